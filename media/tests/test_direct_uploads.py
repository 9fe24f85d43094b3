"""Direct uploads to S3 (moto in-process): a presigned POST limited to the declared type and
size, completion by the owner only, and the worker's checks on bytes no request saw."""

import base64
import json
from datetime import datetime, timedelta

import boto3
import django_rq
import pytest
import requests
from django.utils import timezone
from moto import mock_aws

from accounts.tests.factories import UserFactory, api_client_for
from media.models import FileDeletion, Media
from media.services import media_delete_unused_and_failed
from media.tests import media_images as images

pytestmark = pytest.mark.django_db

BUCKET = "friends-test-media"
REGION = "us-east-1"


@pytest.fixture
def s3(settings):
    """Media on S3 (moto), as with AWS_STORAGE_BUCKET_NAME set; yields a boto3 client."""
    with mock_aws():
        client = boto3.client("s3", region_name=REGION)
        client.create_bucket(Bucket=BUCKET)
        common = {"bucket_name": BUCKET, "region_name": REGION, "file_overwrite": True}
        settings.STORAGES = {
            **settings.STORAGES,
            "default": {
                "BACKEND": "storages.backends.s3.S3Storage",
                "OPTIONS": {**common, "location": "public", "querystring_auth": False},
            },
            "private": {
                "BACKEND": "storages.backends.s3.S3Storage",
                "OPTIONS": {
                    **common,
                    "location": "private",
                    "querystring_auth": True,
                },
            },
        }
        yield client


def start(client, *, content_type="image/jpeg", size=1000, **extra):
    return client.post(
        "/api/v1/media/uploads/",
        {"content_type": content_type, "size": size, **extra},
        format="json",
    )


def complete(client, media_id: int):
    return client.post(f"/api/v1/media/{media_id}/complete/")


def send(upload: dict, data: bytes) -> requests.Response:
    """What a browser does with the answer: the presigned POST, the file last."""
    return requests.post(
        upload["url"], data=upload["fields"], files={"file": ("photo", data)}, timeout=10
    )


def object_keys(s3, prefix: str) -> list[str]:
    listing = s3.list_objects_v2(Bucket=BUCKET, Prefix=prefix)
    return [item["Key"] for item in listing.get("Contents", [])]


def test_start_answers_a_presigned_post_for_the_declared_type_and_size_only(s3, settings):
    settings.MEDIA_DIRECT_UPLOAD_EXPIRES_SECONDS = 300
    response = start(api_client_for(UserFactory()), content_type="image/png", size=12_345)

    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "awaiting_upload"
    media = Media.objects.get(pk=body["id"])
    assert media.status == Media.Status.AWAITING_UPLOAD
    fields = body["upload"]["fields"]
    assert fields["key"] == f"private/{media.original.name}"
    assert fields["key"].endswith(".png")
    assert fields["Content-Type"] == "image/png"
    policy = json.loads(base64.b64decode(fields["policy"]))
    assert ["content-length-range", 1, 12_345] in policy["conditions"]
    assert {"Content-Type": "image/png"} in policy["conditions"]
    assert {"key": fields["key"]} in policy["conditions"]
    expires = datetime.fromisoformat(policy["expiration"].replace("Z", "+00:00"))
    assert timedelta(seconds=290) < expires - timezone.now() <= timedelta(seconds=300)


@pytest.mark.parametrize(
    ("content_type", "size", "status", "code"),
    [
        ("text/html", 1000, 415, "invalid_image"),
        ("image/svg+xml", 1000, 415, "invalid_image"),
        ("image/jpeg", 20 * 1024 * 1024 + 1, 413, "image_too_large"),
        ("image/jpeg", 0, 400, "invalid"),
    ],
)
def test_start_refuses_types_and_sizes_past_the_limits(s3, content_type, size, status, code):
    response = start(api_client_for(UserFactory()), content_type=content_type, size=size)

    assert response.status_code == status
    assert response.json()["code"] == code
    assert not Media.objects.exists()


def test_start_counts_against_the_persons_upload_rate(s3, settings):
    settings.MEDIA_UPLOAD_RATE = (1, 3600)
    client = api_client_for(UserFactory())

    assert start(client).status_code == 201
    refused = start(client)

    assert refused.status_code == 429
    assert Media.objects.count() == 1


def test_complete_of_someone_elses_upload_is_404(s3):
    owner_client = api_client_for(UserFactory())
    body = start(owner_client, size=len(images.jpeg())).json()
    send(body["upload"], images.jpeg()).raise_for_status()

    response = complete(api_client_for(UserFactory()), body["id"])

    assert response.status_code == 404
    assert Media.objects.get(pk=body["id"]).status == Media.Status.AWAITING_UPLOAD


def test_complete_before_the_file_is_sent_is_a_clear_409(s3, redis_connection):
    client = api_client_for(UserFactory())
    body = start(client).json()

    response = complete(client, body["id"])

    assert response.status_code == 409
    assert response.json()["code"] == "upload_missing"
    assert "not in storage yet" in response.json()["detail"]
    assert Media.objects.get(pk=body["id"]).status == Media.Status.AWAITING_UPLOAD
    assert django_rq.get_queue("media").count == 0


def test_complete_refuses_an_object_larger_than_declared_and_deletes_it(s3):
    client = api_client_for(UserFactory())
    body = start(client, size=100).json()
    media = Media.objects.get(pk=body["id"])
    # S3 enforces the policy's size range; a store that did not would let this through.
    s3.put_object(Bucket=BUCKET, Key=body["upload"]["fields"]["key"], Body=images.jpeg())

    response = complete(client, body["id"])

    assert response.status_code == 413
    assert response.json()["code"] == "image_too_large"
    assert object_keys(s3, f"private/{media.original.name}") == []
    assert Media.objects.get(pk=body["id"]).status == Media.Status.AWAITING_UPLOAD


def test_a_file_that_is_no_image_fails_in_the_worker_with_a_reason(
    s3, run_worker, django_capture_on_commit_callbacks
):
    client = api_client_for(UserFactory())
    data = b"<html><script>alert(1)</script></html>"
    body = start(client, content_type="image/jpeg", size=len(data)).json()
    send(body["upload"], data).raise_for_status()

    with django_capture_on_commit_callbacks(execute=True):
        assert complete(client, body["id"]).status_code == 202
    run_worker()

    media = Media.objects.get(pk=body["id"])
    assert media.status == Media.Status.FAILED
    assert "not supported" in media.last_error
    assert object_keys(s3, "public/") == []
    assert client.get(f"/api/v1/media/{media.pk}/").json()["error"] == media.last_error


def test_an_image_past_the_pixel_limit_fails_in_the_worker(
    s3, settings, run_worker, django_capture_on_commit_callbacks
):
    settings.MEDIA_MAX_PIXELS = 100 * 100
    client = api_client_for(UserFactory())
    data = images.jpeg((200, 200))
    body = start(client, size=len(data)).json()
    send(body["upload"], data).raise_for_status()

    with django_capture_on_commit_callbacks(execute=True):
        complete(client, body["id"])
    run_worker()

    media = Media.objects.get(pk=body["id"])
    assert media.status == Media.Status.FAILED
    assert "megapixels" in media.last_error
    assert object_keys(s3, "public/") == []


def test_a_photo_sent_straight_to_s3_becomes_ready_with_its_variants_on_s3(
    s3, run_worker, django_capture_on_commit_callbacks
):
    client = api_client_for(UserFactory())
    data = images.jpeg((640, 480))
    body = start(client, size=len(data), alt_text="A card").json()
    send(body["upload"], data).raise_for_status()

    with django_capture_on_commit_callbacks(execute=True):
        first = complete(client, body["id"])
    with django_capture_on_commit_callbacks(execute=True):
        again = complete(client, body["id"])

    assert first.status_code == again.status_code == 202
    assert first.json() == again.json()
    assert first.json()["status"] == "pending"
    assert django_rq.get_queue("media").count == 1  # the second answer queued nothing
    run_worker()
    media = Media.objects.get(pk=body["id"])
    assert media.status == Media.Status.DONE
    assert (media.original_format, media.original_size) == ("JPEG", len(data))
    assert media.alt_text == "A card"
    variants = client.get(f"/api/v1/media/{media.pk}/").json()["variants"]
    assert variants["display"]["width"] == 640
    public = object_keys(s3, "public/")
    assert sorted(public) == sorted(f"public/{v['name']}" for v in media.variants.values())
    # The original stays private, apart from the variants.
    assert object_keys(s3, "private/") == [f"private/{media.original.name}"]


def test_a_post_refuses_a_photo_not_uploaded_yet(s3):
    client = api_client_for(UserFactory())
    body = start(client).json()

    response = client.post(
        "/api/v1/posts/", {"title": "Hello", "media_ids": [body["id"]]}, format="json"
    )

    assert response.status_code == 409
    assert response.json()["code"] == "photo_not_uploaded"


def test_the_sweep_deletes_uploads_never_completed_and_their_objects(
    s3, settings, run_worker, django_capture_on_commit_callbacks
):
    settings.MEDIA_DIRECT_UPLOAD_TTL_SECONDS = 3600
    client = api_client_for(UserFactory())
    old, young = start(client, size=len(images.jpeg())).json(), start(client).json()
    send(old["upload"], images.jpeg()).raise_for_status()
    Media.objects.filter(pk=old["id"]).update(created_at=timezone.now() - timedelta(hours=2))

    with django_capture_on_commit_callbacks(execute=True):
        assert media_delete_unused_and_failed() == 1
    run_worker()

    assert list(Media.objects.values_list("pk", flat=True)) == [young["id"]]
    assert FileDeletion.objects.get().status == FileDeletion.Status.DONE
    assert object_keys(s3, "private/") == []


def test_without_s3_direct_uploads_answer_a_clear_409_and_limits_say_so():
    client = api_client_for(UserFactory())

    response = start(client)

    assert response.status_code == 409
    assert response.json()["code"] == "direct_uploads_unavailable"
    assert complete(client, 1).json()["code"] == "direct_uploads_unavailable"
    assert client.get("/api/v1/limits/").json()["direct_uploads"] is False
    assert not Media.objects.exists()


def test_limits_say_direct_uploads_are_available_with_s3(s3):
    assert api_client_for(UserFactory()).get("/api/v1/limits/").json()["direct_uploads"] is True


# --- The page ---------------------------------------------------------------------------------


def test_the_new_post_page_sends_photos_straight_to_storage_only_with_s3(client, settings):
    client.force_login(UserFactory())

    without = client.get("/posts/new/").content.decode()
    with mock_aws():
        boto3.client("s3", region_name=REGION).create_bucket(Bucket=BUCKET)
        settings.STORAGES = {
            **settings.STORAGES,
            "private": {
                "BACKEND": "storages.backends.s3.S3Storage",
                "OPTIONS": {"bucket_name": BUCKET, "region_name": REGION, "location": "private"},
            },
        }
        with_s3 = client.get("/posts/new/").content.decode()

    assert "data-direct-upload" not in without
    assert 'data-direct-upload="/api/v1/media/uploads/"' in with_s3
    assert 'data-complete-upload="/api/v1/media/0/complete/"' in with_s3
    assert '<template class="js-uploaded-photo">' in with_s3


def test_the_new_post_form_takes_photos_sent_to_storage_by_their_ids(
    s3, client, django_capture_on_commit_callbacks
):
    user = UserFactory()
    client.force_login(user)
    data = images.jpeg()
    started = client.post(
        "/api/v1/media/uploads/",
        {"content_type": "image/jpeg", "size": len(data), "alt_text": "A card"},
        content_type="application/json",
    ).json()
    send(started["upload"], data).raise_for_status()
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(f"/api/v1/media/{started['id']}/complete/").status_code == 202

    response = client.post("/posts/new/", {"title": "Straight to S3", "media_ids": [started["id"]]})

    assert response.status_code == 302
    post = user.posts.get()
    assert [link.media_id for link in post.photo_links.all()] == [started["id"]]
    assert Media.objects.get(pk=started["id"]).attached_at is not None


def test_the_edit_form_takes_no_media_ids_that_would_replace_the_photos():
    from posts.forms import PostEditWithPhotosForm, PostWithPhotosForm

    assert "media_ids" in PostWithPhotosForm().fields
    assert "media_ids" not in PostEditWithPhotosForm().fields
