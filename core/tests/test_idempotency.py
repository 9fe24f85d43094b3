"""Idempotency-Key on POST posts/, media/ and posts/<id>/comments/: a retry is answered once."""

import threading
import time
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from rest_framework.exceptions import APIException

from accounts.tests.factories import UserFactory, api_client_for
from core import idempotency, sweep
from core.errors import ApplicationError
from core.models import IdempotentRequest
from media.models import Media
from media.tests import media_images as images
from posts.models import Comment, Post
from posts.tests.factories import PostFactory

pytestmark = pytest.mark.django_db

POSTS = "/api/v1/posts/"


def keyed(key: str = "key-1") -> dict:
    return {"HTTP_IDEMPOTENCY_KEY": key}


def write_post(client, key: str | None = "key-1", **data):
    extra = keyed(key) if key is not None else {}
    return client.post(POSTS, {"title": "Hello", "body": "World", **data}, format="json", **extra)


def upload(client, data: bytes, key: str = "key-1", **fields):
    file = images.upload(data, "photo.jpg", "image/jpeg")
    return client.post("/api/v1/media/", {"file": file, **fields}, format="multipart", **keyed(key))


# --- Retries ----------------------------------------------------------------------------------


def test_a_retried_post_gets_the_first_answer_and_creates_one_post():
    client = api_client_for(UserFactory())

    first = write_post(client)
    retry = write_post(client)

    assert first.status_code == retry.status_code == 201
    assert retry.json() == first.json()
    assert retry["Idempotent-Replayed"] == "true"
    assert not first.has_header("Idempotent-Replayed")
    assert Post.objects.count() == 1


def test_a_retried_upload_gets_the_first_answer_and_creates_one_media_item():
    client = api_client_for(UserFactory())
    photo = images.jpeg((64, 48))

    first = upload(client, photo, alt_text="A card")
    retry = upload(client, photo, alt_text="A card")

    assert first.status_code == retry.status_code == 202
    assert retry.json() == first.json()
    assert Media.objects.count() == 1


def test_a_retried_comment_gets_the_first_answer_and_creates_one_comment():
    client = api_client_for(UserFactory())
    comments = f"{POSTS}{PostFactory().pk}/comments/"

    first = client.post(comments, {"body": "Nice"}, format="json", **keyed())
    retry = client.post(comments, {"body": "Nice"}, format="json", **keyed())

    assert first.status_code == retry.status_code == 201
    assert retry.json() == first.json()
    assert Comment.objects.count() == 1


def test_without_the_header_every_request_runs():
    client = api_client_for(UserFactory())

    assert write_post(client, key=None).status_code == 201
    assert write_post(client, key=None).status_code == 201

    assert Post.objects.count() == 2
    assert not IdempotentRequest.objects.exists()


# --- The same key for another request ---------------------------------------------------------


def test_the_same_key_with_another_body_is_422_and_creates_nothing():
    client = api_client_for(UserFactory())
    first = write_post(client)

    response = write_post(client, body="Something else")

    assert response.status_code == 422
    assert response.json() == {
        "detail": idempotency.IdempotencyKeyReused.default_detail,
        "code": "idempotency_key_reused",
        "errors": {},
    }
    assert list(Post.objects.values_list("pk", flat=True)) == [first.json()["id"]]


def test_the_same_key_on_another_post_s_comments_is_422():
    client = api_client_for(UserFactory())
    one, other = PostFactory(), PostFactory()
    client.post(f"{POSTS}{one.pk}/comments/", {"body": "Nice"}, format="json", **keyed())

    response = client.post(
        f"{POSTS}{other.pk}/comments/", {"body": "Nice"}, format="json", **keyed()
    )

    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_reused"
    assert Comment.objects.count() == 1


PHOTO = images.jpeg((64, 48))
# The same name and size, other bytes (the 422 comes before anything reads the image).
PHOTO_CHANGED = PHOTO[:-10] + bytes([PHOTO[-10] ^ 0xFF]) + PHOTO[-9:]


@pytest.mark.parametrize(
    ("second_file", "second_alt_text"),
    [
        pytest.param(PHOTO_CHANGED, "A card", id="other bytes, same name and size"),
        pytest.param(PHOTO, "Another card", id="other field"),
    ],
)
def test_an_upload_with_another_file_or_field_under_the_same_key_is_422(
    second_file, second_alt_text
):
    client = api_client_for(UserFactory())
    assert upload(client, PHOTO, alt_text="A card").status_code == 202

    response = upload(client, second_file, alt_text=second_alt_text)

    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_reused"
    assert Media.objects.count() == 1


def test_another_person_may_use_the_same_key():
    ada, bob = api_client_for(UserFactory()), api_client_for(UserFactory())

    first = write_post(ada)
    second = write_post(bob)

    assert first.status_code == second.status_code == 201
    assert first.json()["id"] != second.json()["id"]
    assert Post.objects.count() == 2


# --- Expiry and the sweep ---------------------------------------------------------------------


def age(**delta) -> None:
    IdempotentRequest.objects.update(created_at=timezone.now() - timedelta(**delta))


def test_a_key_older_than_a_day_runs_again():
    client = api_client_for(UserFactory())
    first = write_post(client)
    age(hours=24, minutes=1)

    again = write_post(client)

    assert again.status_code == 201
    assert again.json()["id"] != first.json()["id"]
    assert Post.objects.count() == 2
    assert IdempotentRequest.objects.get().created_at > timezone.now() - timedelta(minutes=1)


def test_the_sweep_deletes_records_older_than_a_day(redis_connection):
    client = api_client_for(UserFactory())
    write_post(client, key="old")
    age(hours=24, minutes=1)
    write_post(client, key="recent")
    IdempotentRequest.objects.filter(key="recent").update(
        created_at=timezone.now() - timedelta(hours=23)
    )

    counts = sweep.run_sweep()

    assert counts["core: expired Idempotency-Keys deleted"] == 1
    assert list(IdempotentRequest.objects.values_list("key", flat=True)) == ["recent"]


# --- What is kept, what is not ----------------------------------------------------------------


def test_a_400_answer_is_kept_and_replayed(monkeypatch):
    client = api_client_for(UserFactory())

    def refuse(**_fields):
        raise ApplicationError("Not today.", field="title")

    monkeypatch.setattr("posts.api.views.post_create", refuse)
    first = write_post(client)
    monkeypatch.undo()  # the same request would now succeed: the retry must not run it
    retry = write_post(client)

    assert first.status_code == retry.status_code == 400
    assert (
        retry.json()
        == first.json()
        == {
            "detail": "Not today.",
            "code": "invalid",
            "errors": {"title": ["Not today."]},
        }
    )
    assert not Post.objects.exists()


@pytest.mark.parametrize(
    ("error", "status_code"),
    [
        pytest.param(RuntimeError("a bug"), 500, id="exception"),
        pytest.param(APIException("down the line"), 500, id="500 answer"),
    ],
)
def test_a_server_error_is_not_kept_and_a_retry_runs(monkeypatch, error, status_code):
    client = api_client_for(UserFactory())
    client.raise_request_exception = False

    def fail(**_fields):
        raise error

    monkeypatch.setattr("posts.api.views.post_create", fail)
    failed = write_post(client)
    assert not IdempotentRequest.objects.exists()
    monkeypatch.undo()
    retry = write_post(client)

    assert failed.status_code == status_code
    assert retry.status_code == 201
    assert Post.objects.count() == 1


@pytest.mark.parametrize(
    "key",
    [
        pytest.param("", id="empty"),
        pytest.param("k" * 256, id="256 characters"),
        pytest.param("clé", id="not ASCII"),
        pytest.param("tab\there", id="control character"),
        pytest.param("line\n", id="trailing newline"),
        pytest.param(" key", id="space at the start"),
    ],
)
def test_a_malformed_key_is_400_naming_the_header(key):
    client = api_client_for(UserFactory())

    response = write_post(client, key=key)

    assert response.status_code == 400
    assert response.json()["errors"] == {"Idempotency-Key": [idempotency.INVALID_KEY_MESSAGE]}
    assert not Post.objects.exists()


def test_a_key_of_255_printable_characters_is_accepted():
    client = api_client_for(UserFactory())

    assert write_post(client, key="~ " + "k" * 253).status_code == 201
    assert write_post(client, key="~ " + "k" * 253).status_code == 201
    assert Post.objects.count() == 1


# --- Duplicates at the same time --------------------------------------------------------------


def test_a_duplicate_of_a_request_still_running_after_the_wait_is_409(monkeypatch):
    user = UserFactory()
    client = api_client_for(user)
    write_post(client)
    IdempotentRequest.objects.update(state=IdempotentRequest.State.IN_PROGRESS)
    monkeypatch.setattr(idempotency, "WAIT_SECONDS", 0.2)

    response = write_post(client)

    assert response.status_code == 409
    assert response.json()["code"] == "idempotency_key_in_progress"
    assert Post.objects.count() == 1


def test_a_request_abandoned_in_progress_is_given_up_and_runs_again():
    client = api_client_for(UserFactory())
    write_post(client)
    IdempotentRequest.objects.update(state=IdempotentRequest.State.IN_PROGRESS)
    age(minutes=6)  # its process died

    response = write_post(client)

    assert response.status_code == 201
    assert Post.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_requests_with_the_same_key_create_one_post(monkeypatch):
    from posts.api import views

    create = views.post_create

    def slow_create(**fields):
        time.sleep(0.5)  # the duplicate arrives while this one runs
        return create(**fields)

    monkeypatch.setattr(views, "post_create", slow_create)
    user = UserFactory()
    clients = [api_client_for(user), api_client_for(user)]
    start = threading.Barrier(2)
    responses = [None, None]

    def send(index: int) -> None:
        try:
            start.wait()
            responses[index] = write_post(clients[index])
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(index,)) for index in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert [response.status_code for response in responses] == [201, 201]
    assert responses[0].json() == responses[1].json()
    assert Post.objects.count() == 1


# --- The schema -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "method"),
    [
        ("/api/v1/posts/", "post"),
        ("/api/v1/media/", "post"),
        ("/api/v1/posts/{post_id}/comments/", "post"),
    ],
)
def test_the_schema_documents_the_header_409_and_422(path, method):
    operation = SchemaGenerator().get_schema(request=None, public=True)["paths"][path][method]

    [header] = [p for p in operation["parameters"] if p["name"] == "Idempotency-Key"]
    assert header["in"] == "header"
    assert not header.get("required", False)
    assert header["schema"]["maxLength"] == 255
    assert header["schema"]["pattern"] == idempotency.KEY_PATTERN
    assert {"409", "422"} <= set(operation["responses"])


# --- Admin ------------------------------------------------------------------------------------


def test_staff_read_the_records_and_may_delete_one_but_not_write_one(admin_client):
    write_post(api_client_for(UserFactory(username="ada")), key="retry-me")
    record = IdempotentRequest.objects.get()

    listing = admin_client.get("/admin/core/idempotentrequest/?q=ada")

    assert listing.status_code == 200
    assert "retry-me" in listing.content.decode()
    assert admin_client.get("/admin/core/idempotentrequest/add/").status_code == 403
    admin_client.post(f"/admin/core/idempotentrequest/{record.pk}/delete/", {"post": "yes"})
    assert not IdempotentRequest.objects.exists()
