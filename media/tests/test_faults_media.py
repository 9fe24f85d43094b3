"""Media under faults, in-process: the job delivered twice, S3 refusing for a while, the disk of
the temporary folder full while an upload arrives. (`make faults` does them against gunicorn,
moto's S3 and a 1 MB tmpfs.)"""

import errno
from pathlib import Path

import django_rq
import pytest
from botocore.exceptions import ClientError
from django.core.files.storage import storages
from django.core.files.uploadedfile import TemporaryUploadedFile
from rest_framework.test import APIClient

from accounts.tests.factories import UserFactory
from media.models import Media
from media.services import media_create
from media.tests import media_images as images
from posts.models import Post

pytestmark = pytest.mark.django_db


@pytest.fixture
def upload(django_capture_on_commit_callbacks):
    def run(data: bytes) -> Media:
        with django_capture_on_commit_callbacks(execute=True):
            return media_create(owner=UserFactory(), file=images.upload(data, "photo.jpg"))

    return run


def public_files(settings) -> dict[str, bytes]:
    root = Path(settings.MEDIA_ROOT) / "public"
    return {str(path.relative_to(root)): path.read_bytes() for path in root.rglob("*.*")}


def deliver_again(media: Media, copies: int) -> None:
    queue = django_rq.get_queue("media", commit_mode="auto")  # not deferred to a commit
    for copy in range(copies):
        queue.enqueue("media.jobs.process_media", media.pk, job_id=f"again-{media.pk}-{copy}")


def test_the_media_job_delivered_twice_writes_one_set_of_the_same_files(
    settings, upload, run_worker
):
    media = upload(images.jpeg((800, 600)))
    deliver_again(media, 2)  # queued with the first: all three in one worker's run

    run_worker()

    media.refresh_from_db()
    assert (media.status, media.attempts) == (Media.Status.DONE, 1)
    files = public_files(settings)
    assert sorted(files) == sorted(variant["name"] for variant in media.variants.values())
    deliver_again(media, 2)
    run_worker()
    assert public_files(settings) == files


def test_s3_answering_errors_for_a_while_is_retried_then_the_photo_is_ready(
    settings, upload, run_worker, monkeypatch
):
    settings.MEDIA_RETRY_INTERVALS = [0]
    public = storages["default"]
    real_save = public.save
    refused = []

    def slow_down(name, content, **kwargs):
        if len(refused) < 2:
            refused.append(name)
            raise ClientError(
                {"Error": {"Code": "SlowDown", "Message": "Please reduce your request rate."}},
                "PutObject",
            )
        return real_save(name, content, **kwargs)

    monkeypatch.setattr(public, "save", slow_down)
    media = upload(images.jpeg())

    run_worker()

    media.refresh_from_db()
    assert len(refused) == 2
    assert (media.status, media.attempts) == (Media.Status.DONE, 3)
    assert sorted(public_files(settings)) == sorted(v["name"] for v in media.variants.values())


@pytest.fixture
def full_temp_disk(settings, tmp_path, monkeypatch):
    """Every upload goes to a temporary file (as one over 2.5 MB does), and writing it fails as
    on a full disk; returns the temporary folder."""
    folder = tmp_path / "upload-tmp"
    folder.mkdir()
    settings.FILE_UPLOAD_TEMP_DIR = str(folder)
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 100

    def no_space(self, data):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(TemporaryUploadedFile, "write", no_space, raising=False)
    return folder


def nothing_kept(folder: Path, settings) -> bool:
    private = Path(settings.MEDIA_ROOT) / "private"
    originals = [path for path in private.rglob("*") if path.is_file()] if private.exists() else []
    return not list(folder.iterdir()) and not originals and not Media.objects.exists()


def test_a_full_temp_disk_refuses_an_api_upload_cleanly_and_the_next_one_works(
    settings, full_temp_disk, monkeypatch
):
    client = APIClient()
    client.force_authenticate(UserFactory())

    response = images.api_upload(client, images.jpeg((400, 300)))

    assert response.status_code == 503
    assert response["Retry-After"] == "60"
    body = response.json()
    assert body["code"] == "no_room_for_upload"
    assert "no room to receive this upload" in body["detail"]
    assert nothing_kept(full_temp_disk, settings)

    monkeypatch.undo()  # room again
    assert images.api_upload(client, images.jpeg()).status_code == 202


def test_a_full_temp_disk_shows_the_post_form_again_with_the_reason(
    client, settings, full_temp_disk
):
    client.force_login(UserFactory())

    response = client.post(
        "/posts/new/",
        {"title": "Holiday", "body": "Look", "images": images.upload(images.jpeg((400, 300)))},
    )

    assert response.status_code == 503
    assert response["Retry-After"] == "60"
    page = response.content.decode()
    assert "no room to receive this upload" in page
    assert 'name="title"' in page
    assert "Traceback" not in page
    assert not Post.objects.exists()
    assert nothing_kept(full_temp_disk, settings)


def test_storage_failing_while_an_original_is_stored_answers_503_json_and_keeps_nothing(
    monkeypatch,
):
    def refuse(*args, **kwargs):
        raise ClientError({"Error": {"Code": "SlowDown", "Message": "Slow down"}}, "PutObject")

    monkeypatch.setattr(storages["private"], "save", refuse)
    client = APIClient()
    client.force_authenticate(UserFactory())

    response = client.post(
        "/api/v1/media/", {"file": images.upload(images.jpeg(), "photo.jpg")}, format="multipart"
    )

    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "storage_unavailable"
    assert response["Retry-After"] == "60"
    assert not Media.objects.exists()


def test_storage_failing_on_the_new_post_form_shows_the_form_again_with_the_text(
    monkeypatch, client
):
    def refuse(*args, **kwargs):
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(storages["private"], "save", refuse)
    client.force_login(UserFactory())

    response = client.post(
        "/posts/new/",
        {"title": "Kept", "body": "My words", "images": images.upload(images.jpeg(), "a.jpg")},
    )

    page = response.content.decode()
    assert "Photos cannot be stored just now" in page
    assert "My words" in page  # nothing the person wrote is lost
    assert not Post.objects.exists()
    assert not Media.objects.exists()
