"""Posts with photos through the API: uploaded ids or multipart images, limits, deletion."""

import pytest

from accounts.tests.factories import UserFactory, api_client_for
from media.models import Media
from media.tests import media_images as images
from media.tests.media_images import api_upload, stored_files

pytestmark = pytest.mark.django_db


def test_a_post_takes_uploaded_media_ids_in_order(django_capture_on_commit_callbacks):
    owner = UserFactory()
    client = api_client_for(owner)
    first, second = (api_upload(client, images.jpeg()).json()["id"] for _ in range(2))

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

    assert response.status_code == 415
    assert "bad.jpg" in response.json()["detail"]
    assert stored_files(settings) == []


def test_a_post_cannot_take_someone_elses_photo():
    theirs = api_upload(api_client_for(UserFactory()), images.jpeg()).json()["id"]

    response = api_client_for(UserFactory()).post(
        "/api/v1/posts/", {"title": "Not mine", "media_ids": [theirs]}, format="json"
    )

    assert response.status_code == 404  # not yours: as if it did not exist
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
