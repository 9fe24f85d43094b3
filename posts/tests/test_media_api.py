"""Uploading media through the API: cheap checks at the door, 202, owner-only access."""

from pathlib import Path

import pytest
from django.core.files.storage import storages
from rest_framework.test import APIClient

from accounts.tests.factories import UserFactory, api_client_for
from posts.models import Media
from posts.services.media import media_attach
from posts.tests import media_images as images
from posts.tests.factories import PostFactory
from posts.tests.media_images import stored_files

pytestmark = pytest.mark.django_db


def upload(client, data: bytes, name="photo.jpg", content_type="image/jpeg", **extra):
    return client.post(
        "/api/v1/media/",
        {"file": images.upload(data, name, content_type), **extra},
        format="multipart",
    )


def test_upload_answers_202_pending_with_the_header_dimensions(settings):
    user = UserFactory()
    response = upload(api_client_for(user), images.jpeg((64, 48)), alt_text="A red and blue card")

    assert response.status_code == 202
    body = response.json()
    assert body["status"] == "pending"
    assert (body["width"], body["height"]) == (64, 48)
    assert body["alt_text"] == "A red and blue card"
    assert body["variants"] == {}
    media = Media.objects.get(pk=body["id"])
    assert media.owner == user
    assert media.original_format == "JPEG"
    # The original is private: no URL, stored under the private storage only.
    assert storages["private"].exists(media.original.name)
    assert not any(
        path.is_relative_to(Path(settings.MEDIA_ROOT) / "public") for path in stored_files(settings)
    )


def test_upload_of_a_rotated_photo_reports_the_oriented_size():
    response = upload(api_client_for(UserFactory()), images.jpeg((64, 48), orientation=6))

    assert response.status_code == 202
    assert (response.json()["width"], response.json()["height"]) == (48, 64)


def test_upload_queues_processing_on_the_media_queue(
    redis_connection, django_capture_on_commit_callbacks
):
    import django_rq

    with django_capture_on_commit_callbacks(execute=True):
        response = upload(api_client_for(UserFactory()), images.jpeg())

    queue = django_rq.get_queue("media")
    assert response.status_code == 202
    assert queue.count == 1
    assert queue.jobs[0].func_name == "posts.jobs.process_media"
    assert queue.jobs[0].args == (response.json()["id"],)


@pytest.mark.parametrize(
    ("data", "name", "content_type", "message"),
    [
        (b"", "empty.jpg", "image/jpeg", "empty"),
        (b"<html><script>alert(1)</script></html>", "page.jpg", "image/jpeg", "not supported"),
        (b"just some text, honest", "notes.jpg", "image/jpeg", "not supported"),
        (images.svg(), "drawing.svg", "image/svg+xml", "not supported"),
        (images.png_bomb(), "bomb.png", "image/png", "too many pixels"),
        (images.png_bomb((10_000, 10_000)), "big.png", "image/png", "megapixels"),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 30, "broken.jpg", "image/jpeg", "not a valid JPEG"),
    ],
    ids=[
        "zero-bytes",
        "html-named-jpg",
        "text-named-jpg",
        "svg",
        "png-bomb",
        "too-many-pixels",
        "bad-header",
    ],
)
def test_bad_files_are_refused_at_upload_and_nothing_is_stored(
    settings, redis_connection, data, name, content_type, message
):
    import django_rq

    response = upload(api_client_for(UserFactory()), data, name, content_type)

    assert response.status_code == 400
    assert message in response.json()["detail"]
    assert "file" in response.json()["errors"]
    assert Media.objects.count() == 0
    assert stored_files(settings) == []
    assert django_rq.get_queue("media").count == 0


def test_a_file_over_the_size_limit_is_refused(settings):
    settings.MEDIA_MAX_UPLOAD_BYTES = 1_000

    response = upload(api_client_for(UserFactory()), images.jpeg((200, 200)))

    assert response.status_code == 400
    assert "the limit is" in response.json()["detail"]
    assert stored_files(settings) == []


def test_the_format_comes_from_the_bytes_not_the_name():
    response = upload(
        api_client_for(UserFactory()), images.transparent_png(), "photo.jpg", "image/jpeg"
    )

    assert response.status_code == 202
    assert Media.objects.get().original_format == "PNG"
    assert Media.objects.get().original.name.endswith(".png")


def test_alt_text_over_the_limit_is_refused(settings):
    response = upload(api_client_for(UserFactory()), images.jpeg(), alt_text="x" * 1_501)

    assert response.status_code == 400
    assert stored_files(settings) == []


def test_limits_are_readable_without_signing_in():
    response = APIClient().get("/api/v1/limits/")

    assert response.status_code == 200
    body = response.json()
    assert body["max_upload_bytes"] == 20 * 1024 * 1024
    assert body["max_pixels"] == 40_000_000
    assert body["max_per_post"] == 10
    assert body["max_frames"] == 300
    assert body["alt_text_max_length"] == 1_500


def test_uploading_needs_a_signed_in_user():
    response = APIClient().post(
        "/api/v1/media/", {"file": images.upload(images.jpeg())}, format="multipart"
    )

    assert response.status_code in (401, 403)


def test_owner_reads_and_changes_alt_text_of_an_unready_item():
    owner = UserFactory()
    client = api_client_for(owner)
    media_id = upload(client, images.jpeg()).json()["id"]

    assert client.get(f"/api/v1/media/{media_id}/").json()["status"] == "pending"
    response = client.patch(f"/api/v1/media/{media_id}/", {"alt_text": "A card"}, format="json")

    assert response.status_code == 200
    assert Media.objects.get(pk=media_id).alt_text == "A card"


def test_others_cannot_see_unready_or_unattached_media():
    media_id = upload(api_client_for(UserFactory()), images.jpeg()).json()["id"]
    stranger = api_client_for(UserFactory())

    assert stranger.get(f"/api/v1/media/{media_id}/").status_code == 404
    assert stranger.patch(f"/api/v1/media/{media_id}/", {"alt_text": "x"}).status_code == 404
    assert stranger.delete(f"/api/v1/media/{media_id}/").status_code == 404
    Media.objects.filter(pk=media_id).update(status=Media.Status.READY)
    assert stranger.get(f"/api/v1/media/{media_id}/").status_code == 404


def test_others_read_a_ready_photo_on_a_post_but_cannot_change_it():
    owner = UserFactory()
    media_id = upload(api_client_for(owner), images.jpeg()).json()["id"]
    media_attach(post=PostFactory(author=owner), owner=owner, media_ids=[media_id])
    Media.objects.filter(pk=media_id).update(status=Media.Status.READY)
    stranger = api_client_for(UserFactory())

    assert stranger.get(f"/api/v1/media/{media_id}/").status_code == 200
    assert stranger.patch(f"/api/v1/media/{media_id}/", {"alt_text": "x"}).status_code == 403
    assert stranger.delete(f"/api/v1/media/{media_id}/").status_code == 403
    assert Media.objects.filter(pk=media_id).exists()


def test_a_failed_item_shows_its_reason_to_its_owner_only():
    owner = UserFactory()
    owner_client = api_client_for(owner)
    media_id = upload(owner_client, images.jpeg()).json()["id"]
    media_attach(post=PostFactory(author=owner), owner=owner, media_ids=[media_id])
    Media.objects.filter(pk=media_id).update(status=Media.Status.FAILED, error="Broken image.")

    body = owner_client.get(f"/api/v1/media/{media_id}/").json()
    assert (body["status"], body["error"]) == ("failed", "Broken image.")
    assert api_client_for(UserFactory()).get(f"/api/v1/media/{media_id}/").status_code == 404


def test_deleting_an_item_removes_its_files(
    settings, run_worker, django_capture_on_commit_callbacks
):
    owner = UserFactory()
    client = api_client_for(owner)
    with django_capture_on_commit_callbacks(execute=True):
        media_id = upload(client, images.jpeg()).json()["id"]
    run_worker()
    assert Media.objects.get(pk=media_id).status == Media.Status.READY
    assert len(stored_files(settings)) == 3  # the original, display, thumbnail

    with django_capture_on_commit_callbacks(execute=True):
        response = client.delete(f"/api/v1/media/{media_id}/")
    run_worker()

    assert response.status_code == 204
    assert not Media.objects.filter(pk=media_id).exists()
    assert stored_files(settings) == []


def test_a_post_takes_uploaded_media_ids_in_order(django_capture_on_commit_callbacks):
    owner = UserFactory()
    client = api_client_for(owner)
    first, second = (upload(client, images.jpeg()).json()["id"] for _ in range(2))

    response = client.post(
        "/api/v1/posts/", {"title": "Two photos", "media_ids": [second, first]}, format="json"
    )

    assert response.status_code == 201
    assert [m["id"] for m in response.json()["media"]] == [second, first]
    assert [m["status"] for m in response.json()["media"]] == ["pending", "pending"]
    # Others see no photo until it is ready.
    other = api_client_for(UserFactory())
    assert other.get(f"/api/v1/posts/{response.json()['id']}/").json()["media"] == []


def test_a_post_takes_multipart_images_with_alt_texts(
    settings, run_worker, django_capture_on_commit_callbacks
):
    client = api_client_for(UserFactory())
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/api/v1/posts/",
            {
                "title": "Holiday",
                "images": [
                    images.upload(images.jpeg((40, 30)), "a.jpg"),
                    images.upload(images.transparent_png(), "b.png", "image/png"),
                ],
                "alt_texts": ["A beach", "A logo"],
            },
            format="multipart",
        )
    assert response.status_code == 201, response.json()
    run_worker()

    post = api_client_for(UserFactory()).get(f"/api/v1/posts/{response.json()['id']}/").json()
    assert [m["alt_text"] for m in post["media"]] == ["A beach", "A logo"]
    assert all(m["status"] == "ready" for m in post["media"])
    display = post["media"][0]["variants"]["display"]
    assert (display["width"], display["height"]) == (40, 30)
    assert display["url"].endswith("/display.webp")


def test_eleven_photos_on_a_post_are_refused_and_nothing_is_stored(settings):
    client = api_client_for(UserFactory())
    files = [images.upload(images.jpeg((8, 8)), f"{n}.jpg") for n in range(11)]

    response = client.post(
        "/api/v1/posts/", {"title": "Too many", "images": files}, format="multipart"
    )

    assert response.status_code == 400
    assert "at most 10 photos" in response.json()["detail"]
    assert Media.objects.count() == 0
    assert stored_files(settings) == []


def test_one_bad_image_among_several_refuses_the_post_and_stores_nothing(settings):
    client = api_client_for(UserFactory())
    files = [images.upload(images.jpeg(), "good.jpg"), images.upload(images.svg(), "bad.jpg")]

    response = client.post(
        "/api/v1/posts/", {"title": "Mixed", "images": files}, format="multipart"
    )

    assert response.status_code == 400
    assert "bad.jpg" in response.json()["detail"]
    assert stored_files(settings) == []


def test_a_post_cannot_take_someone_elses_photo():
    theirs = upload(api_client_for(UserFactory()), images.jpeg()).json()["id"]

    response = api_client_for(UserFactory()).post(
        "/api/v1/posts/", {"title": "Not mine", "media_ids": [theirs]}, format="json"
    )

    assert response.status_code == 400
    assert "Unknown photo" in response.json()["detail"]


def test_deleting_a_post_removes_its_photos_files(
    settings, run_worker, django_capture_on_commit_callbacks
):
    client = api_client_for(UserFactory())
    with django_capture_on_commit_callbacks(execute=True):
        post_id = client.post(
            "/api/v1/posts/",
            {"title": "Soon gone", "images": [images.upload(images.jpeg())]},
            format="multipart",
        ).json()["id"]
    run_worker()
    assert len(stored_files(settings)) == 3

    with django_capture_on_commit_callbacks(execute=True):
        assert client.delete(f"/api/v1/posts/{post_id}/").status_code == 204
    run_worker()

    assert Media.objects.count() == 0
    assert stored_files(settings) == []
