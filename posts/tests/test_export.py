"""Download your data: the zip's contents, progress, one export at a time, the owner-only
download, expiry, a job run twice or after a killed worker, bounded memory, the page and the
API."""

from __future__ import annotations

import io
import json
import re
import tracemalloc
import zipfile
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from django.core import mail
from django.core.files.storage import storages
from django.utils import timezone

from accounts.models import EmailDelivery
from accounts.services import user_delete
from accounts.tests.factories import UserFactory, api_client_for
from core import durable, events
from core.errors import ApplicationError
from posts.models import DataExport
from posts.services import export as export_service
from posts.services.export import export_run, export_start, exports_expire
from posts.tests.exports import person_with_data

pytestmark = pytest.mark.django_db

API = "/api/v1/me/export/"
JSON_FILES = [
    "profile.json",
    "posts.json",
    "comments.json",
    "likes.json",
    "bookmarks.json",
    "following.json",
    "followers.json",
    "notifications.json",
]


def start_and_run(user, run_worker, django_capture_on_commit_callbacks) -> DataExport:
    with django_capture_on_commit_callbacks(execute=True):
        export = export_start(user=user)
    with django_capture_on_commit_callbacks(execute=True):
        run_worker()
    export.refresh_from_db()
    return export


def zip_of(export: DataExport) -> zipfile.ZipFile:
    with storages["private"].open(export.file.name, "rb") as file:
        return zipfile.ZipFile(io.BytesIO(file.read()))


class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("href", "src") and value:
                self.links.append(value)


def email_link(message) -> str:
    return re.search(r"http://testserver(/settings/export/\d+/download/)", message.body).group(1)


# --- The zip ----------------------------------------------------------------------------------


def test_the_zip_holds_every_list_as_json_the_original_photos_and_an_index_that_links_them(
    run_worker, django_capture_on_commit_callbacks, settings
):
    settings.SITE_URL = "http://testserver"
    person = person_with_data(posts=6, photos=3, title='<script>alert("x")</script> Walk {n}')
    export = start_and_run(person, run_worker, django_capture_on_commit_callbacks)

    assert export.status == DataExport.Status.DONE
    assert export.state == "done"
    archive = zip_of(export)
    names = set(archive.namelist())
    folder = "friends-data/"
    assert {folder + name for name in [*JSON_FILES, "index.html"]} <= names
    photos = sorted(name for name in names if name.startswith(folder + "photos/"))
    assert len(photos) == 3
    assert all(archive.read(name)[:3] == b"\xff\xd8\xff" for name in photos)  # the JPEGs
    data = {name: json.loads(archive.read(folder + name)) for name in JSON_FILES}
    assert data["profile.json"][0]["username"] == "ada"
    assert len(data["posts.json"]) == 6
    assert data["posts.json"][0]["title"] == '<script>alert("x")</script> Walk 0'
    assert {photo["file"] for post in data["posts.json"] for photo in post["photos"]} == {
        name.removeprefix(folder) for name in photos
    }
    assert data["comments.json"][0]["body"] == "Nice <b>one</b>"
    assert data["likes.json"][0]["post"]["title"] == "A friend's post"
    assert len(data["bookmarks.json"]) == 1
    assert data["following.json"][0]["username"] == "ada_friend"
    assert data["followers.json"][0]["username"] == "ada_friend"
    assert data["notifications.json"][0]["kind"] == "follow"

    index = archive.read(folder + "index.html").decode()
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; Walk 5" in index
    assert "<script" not in index  # escaped, and no script of its own
    assert "Nice &lt;b&gt;one&lt;/b&gt;" in index
    parser = Links()
    parser.feed(index)
    files = [link for link in parser.links if not link.startswith("#")]
    assert len([link for link in files if link.startswith("photos/")]) >= 3
    for link in files:
        assert folder + link in names, link  # every link opens a file of the zip, offline
    assert export.items_done == export.items_total == 1 + 6 + 1 + 1 + 1 + 1 + 1 + 1 + 3


def test_progress_is_written_on_the_row_and_published_to_the_person(
    run_worker, django_capture_on_commit_callbacks, redis_connection, monkeypatch
):
    monkeypatch.setattr(export_service, "PROGRESS_EVERY_ITEMS", 5)
    person = person_with_data(posts=30, photos=2)
    pubsub = redis_connection.pubsub()
    pubsub.subscribe(events.channel_for(person.pk))
    pubsub.get_message(timeout=1)  # the subscription's confirmation
    export = start_and_run(person, run_worker, django_capture_on_commit_callbacks)

    messages = []
    while (message := pubsub.get_message(timeout=0.2)) is not None:
        messages.append(json.loads(message["data"]))
    pubsub.close()
    assert {message["kind"] for message in messages} == {"export"}
    progress = [message["data"] for message in messages]
    assert progress[0] == {"id": export.pk, "done": 0, "total": 0, "status": "pending"}
    done = [item["done"] for item in progress if item["status"] == "processing"]
    assert len(done) >= 5
    assert done == sorted(done)
    assert 0 < done[1] < export.items_total
    assert progress[-1] == {
        "id": export.pk,
        "done": export.items_total,
        "total": export.items_total,
        "status": "done",
    }
    assert export.items_done == export.items_total == 1 + 30 + 6 + 2


# --- One at a time ----------------------------------------------------------------------------


def test_one_export_at_a_time_then_a_new_one_once_it_is_done(
    run_worker, django_capture_on_commit_callbacks
):
    person = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        first = export_start(user=person)
    with pytest.raises(ApplicationError) as refused:
        export_start(user=person)
    assert refused.value.status == 409
    assert refused.value.code == "export_running"
    response = api_client_for(person).post(API)
    assert response.status_code == 409
    assert response.json()["code"] == "export_running"
    assert response.json()["detail"]
    assert DataExport.objects.filter(user=person).count() == 1

    with django_capture_on_commit_callbacks(execute=True):
        run_worker()
    second = export_start(user=person)
    assert second.pk != first.pk
    assert DataExport.objects.filter(user=person).count() == 2


# --- The email and the download ---------------------------------------------------------------


def test_the_emailed_link_downloads_the_zip_for_its_owner_only(
    client, run_worker, django_capture_on_commit_callbacks, settings
):
    settings.SITE_URL = "http://testserver"
    person = person_with_data(posts=3, photos=1)
    export = start_and_run(person, run_worker, django_capture_on_commit_callbacks)
    assert mail.outbox == []  # queued when the export was done, sent by its own job
    with django_capture_on_commit_callbacks(execute=True):
        run_worker()

    [message] = [m for m in mail.outbox if m.to == [person.email]]
    assert message.subject == "Your Friends data is ready to download"
    link = email_link(message)
    assert link == f"/settings/export/{export.pk}/download/"
    assert EmailDelivery.objects.get(user=person).kind == EmailDelivery.Kind.EXPORT_READY

    assert client.get(link).status_code == 302  # log in first
    client.force_login(person)
    response = client.get(link)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert "attachment" in response["Content-Disposition"]
    body = b"".join(response.streaming_content)
    assert "friends-data/index.html" in zipfile.ZipFile(io.BytesIO(body)).namelist()

    other = UserFactory()
    client.force_login(other)
    assert client.get(link).status_code == 404
    assert api_client_for(other).get(API).status_code == 404  # nothing of theirs either
    answer = api_client_for(person).get(API).json()
    assert answer["status"] == "done"
    assert answer["download_url"] == f"http://testserver{link}"
    assert answer["items_done"] == answer["items_total"] > 0


def test_a_link_past_its_time_is_gone_the_sweep_deleted_the_file(
    client, run_worker, django_capture_on_commit_callbacks
):
    person = person_with_data(posts=2, photos=1)
    export = start_and_run(person, run_worker, django_capture_on_commit_callbacks)
    name = export.file.name
    assert storages["private"].exists(name)
    assert exports_expire() == 0  # not yet

    DataExport.objects.filter(pk=export.pk).update(expires_at=timezone.now() - timedelta(1))
    with django_capture_on_commit_callbacks(execute=True):
        assert exports_expire() == 1
    with django_capture_on_commit_callbacks(execute=True):
        run_worker()  # the file deletion's job
    assert not storages["private"].exists(name)
    export.refresh_from_db()
    assert export.expired_at is not None
    assert export.state == "expired"
    assert not export.file

    client.force_login(person)
    response = client.get(f"/settings/export/{export.pk}/download/")
    assert response.status_code == 410
    assert "This download has expired" in response.content.decode()
    answer = api_client_for(person).get(API).json()
    assert answer["status"] == "expired"
    assert answer["download_url"] is None


def test_a_new_export_expires_the_older_ones(run_worker, django_capture_on_commit_callbacks):
    person = person_with_data(posts=1, photos=0)
    first = start_and_run(person, run_worker, django_capture_on_commit_callbacks)
    second = start_and_run(person, run_worker, django_capture_on_commit_callbacks)
    first.refresh_from_db()
    assert second.is_ready
    assert not first.is_ready
    assert exports_expire() == 1


# --- Safe to run twice, and after a killed worker ---------------------------------------------


def test_the_job_run_twice_writes_one_file_and_one_email(
    run_worker, django_capture_on_commit_callbacks
):
    person = person_with_data(posts=3, photos=1)
    export = start_and_run(person, run_worker, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        assert export_run(export_id=export.pk) == "skipped"
        run_worker()
    assert EmailDelivery.objects.filter(user=person).count() == 1
    assert len(storages["private"].listdir("exports")[1]) == 1


def test_a_killed_worker_s_export_is_handed_out_again_and_starts_from_the_beginning(
    run_worker, django_capture_on_commit_callbacks, settings
):
    person = person_with_data(posts=4, photos=2)
    with django_capture_on_commit_callbacks(execute=True):
        export = export_start(user=person)
    # A worker claimed it, wrote half the progress and a partial file, then died.
    stale = timezone.now() - timedelta(seconds=settings.CLAIM_TIMEOUT + 5)
    DataExport.objects.filter(pk=export.pk).update(
        status=DataExport.Status.PROCESSING, claimed_at=stale, attempts=1, items_done=5
    )
    storages["private"].save(export_service.export_file_name(export), io.BytesIO(b"half a zip"))
    redis_queue_flushed = durable.requeue_stale(DataExport)
    assert redis_queue_flushed == 1
    with django_capture_on_commit_callbacks(execute=True):
        run_worker()

    export.refresh_from_db()
    assert export.status == DataExport.Status.DONE
    assert export.attempts == 2
    assert export.items_done == export.items_total == 1 + 4 + 6 + 2
    assert export.file.name == export_service.export_file_name(export)  # the same name
    assert zipfile.is_zipfile(storages["private"].open(export.file.name, "rb"))
    assert EmailDelivery.objects.filter(user=person).count() == 1


def test_leaving_deletes_the_files_of_the_person_s_exports(
    run_worker, django_capture_on_commit_callbacks
):
    person = person_with_data(posts=1, photos=0)
    export = start_and_run(person, run_worker, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        user_delete(user=person, actor=person)
    with django_capture_on_commit_callbacks(execute=True):
        run_worker()
    assert not storages["private"].exists(export.file.name)
    assert not DataExport.objects.exists()


# --- Memory -----------------------------------------------------------------------------------


def test_memory_stays_bounded_whatever_the_number_of_posts(
    run_worker, django_capture_on_commit_callbacks, monkeypatch
):
    # Small chunks, so that 20 and 200 posts both span several of them.
    monkeypatch.setattr(export_service, "ROWS_PER_QUERY", 20)
    monkeypatch.setattr(export_service, "ROWS_PER_RENDER", 10)
    peaks = {}
    for posts in (20, 20, 200):  # the first run warms the templates' and the ORM's caches
        person = person_with_data(posts=posts, photos=10, username=f"p{posts}_{len(peaks)}")
        with django_capture_on_commit_callbacks(execute=True):
            export = export_start(user=person)
        tracemalloc.start()
        export_run(export_id=export.pk)
        peaks[(posts, len(peaks))] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    small, large = peaks[(20, 1)], peaks[(200, 2)]
    assert large < small * 1.5, peaks


# --- The page ---------------------------------------------------------------------------------


def test_the_page_starts_an_export_and_shows_its_progress_then_its_link(
    client, run_worker, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    person = person_with_data(posts=2, photos=1)
    client.force_login(person)
    page = client.get("/settings/")
    assert 'href="/settings/export/"' in page.content.decode()

    page = client.get("/settings/export/").content.decode()
    assert "No export yet" in page
    assert "Start an export" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/settings/export/", follow=True)
    page = response.content.decode()
    assert "Your export has started" in page
    assert "<progress" in page
    assert 'data-export-status="pending"' in page
    assert '<noscript><meta http-equiv="refresh"' in page  # reloads itself without JavaScript
    assert "Start a new export" not in page

    again = client.post("/settings/export/", follow=True).content.decode()
    assert "already on its way" in again

    with django_capture_on_commit_callbacks(execute=True):
        run_worker()
    with django_assert_max_num_queries(6):
        fragment = client.get("/settings/export/", headers={"X-Fragment": "1"})
    html = fragment.content.decode()
    assert html.startswith("<section")
    assert 'data-export-status="done"' in html
    export = DataExport.objects.get(user=person)
    assert f'href="/settings/export/{export.pk}/download/"' in html
    assert "Start a new export" in html
    assert "http-equiv" not in client.get("/settings/export/").content.decode()


def test_the_api_answers_404_before_any_export_then_the_export(
    run_worker, django_capture_on_commit_callbacks
):
    person = UserFactory()
    api = api_client_for(person)
    missing = api.get(API)
    assert missing.status_code == 404
    assert missing.json()["code"] == "not_found"
    with django_capture_on_commit_callbacks(execute=True):
        started = api.post(API)
    assert started.status_code == 202
    assert started.json()["status"] == "pending"
    assert started.json()["download_url"] is None
    assert api.get(API).json()["id"] == started.json()["id"]
