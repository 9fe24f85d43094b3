"""Upload bodies: read in large chunks, originals stored byte for byte, nothing left on refusal."""

import os
from pathlib import Path

import pytest
from django.core.files.storage import storages
from django.core.handlers.wsgi import WSGIRequest
from django.test import RequestFactory

from accounts.tests.factories import UserFactory, api_client_for
from media.models import Media
from media.tests import media_images as images
from media.tests.media_images import stored_files

pytestmark = pytest.mark.django_db

MB = 1024 * 1024


@pytest.fixture
def upload_temp_dir(settings, tmp_path) -> Path:
    """Uploads over FILE_UPLOAD_MAX_MEMORY_SIZE stream to temporary files in this folder."""
    folder = tmp_path / "uploads"
    folder.mkdir()
    settings.FILE_UPLOAD_TEMP_DIR = str(folder)
    return folder


def jpeg_of(size: int) -> bytes:
    """A valid JPEG header and image followed by random bytes, `size` bytes in all."""
    head = images.jpeg((64, 48))
    return head + os.urandom(size - len(head))


def original_bytes(media: Media) -> bytes:
    with storages["private"].open(media.original.name) as original:
        return original.read()


class CountingInput:
    """A WSGI input that records the size of every read."""

    def __init__(self, stream):
        self.stream = stream
        self.reads: list[int] = []

    def read(self, size=-1):
        data = self.stream.read(size)
        self.reads.append(len(data))
        return data

    def readline(self, size=-1):
        return self.stream.readline(size)


def test_an_upload_body_is_read_a_megabyte_at_a_time(settings, upload_temp_dir):
    data = jpeg_of(5 * MB)
    built = RequestFactory().post("/api/v1/media/", {"file": images.upload(data)})
    counting = CountingInput(built.environ["wsgi.input"])
    request = WSGIRequest({**built.environ, "wsgi.input": counting})

    assert request.FILES["file"].read() == data
    assert settings.MEDIA_UPLOAD_CHUNK_SIZE == MB
    # Django's own handlers would read this body 64 kB at a time: about 80 reads.
    assert max(counting.reads) == MB
    assert len(counting.reads) <= 7


@pytest.mark.parametrize(
    ("size", "chunk_size"),
    [
        (300_000, None),  # in memory, one chunk
        (3 * MB + 12_345, None),  # over FILE_UPLOAD_MAX_MEMORY_SIZE: a temporary file
        (300_000, 4_004),  # chunks that split the multipart boundary at odd places
    ],
)
def test_an_uploaded_original_is_stored_byte_for_byte(settings, upload_temp_dir, size, chunk_size):
    if chunk_size:
        settings.MEDIA_UPLOAD_CHUNK_SIZE = chunk_size
        settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 100_000  # through the temporary file too
    data = jpeg_of(size)

    response = api_client_for(UserFactory()).post(
        "/api/v1/media/", {"file": images.upload(data)}, format="multipart"
    )

    assert response.status_code == 202, response.json()
    media = Media.objects.get(pk=response.json()["id"])
    assert media.original_size == size
    assert original_bytes(media) == data
    # The temporary file became the original or was deleted: nothing is left behind.
    assert list(upload_temp_dir.iterdir()) == []


@pytest.mark.parametrize("page", ["api", "form"])
def test_post_photos_over_the_memory_limit_are_stored_byte_for_byte(
    client, settings, upload_temp_dir, page
):
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 100_000
    user = UserFactory()
    photos = [jpeg_of(400_000), jpeg_of(250_000)]
    files = [images.upload(data, f"{n}.jpg") for n, data in enumerate(photos)]

    if page == "api":
        response = api_client_for(user).post(
            "/api/v1/posts/", {"title": "Two", "images": files}, format="multipart"
        )
        assert response.status_code == 201, response.json()
    else:
        client.force_login(user)
        response = client.post("/posts/new/", {"title": "Two", "body": "", "images": files})
        assert response.status_code == 302

    stored = Media.objects.filter(owner=user).order_by("post_photo__position")
    assert [original_bytes(media) for media in stored] == photos
    assert list(upload_temp_dir.iterdir()) == []


@pytest.mark.parametrize(
    ("data", "status", "message"),
    [
        (b"<html>" + b"x" * MB, 415, "not supported"),
        (jpeg_of(3 * MB), 413, "larger than 2 MB, the limit"),
    ],
    ids=["not-an-image", "over-the-size-limit"],
)
def test_a_refused_large_upload_leaves_no_file_in_storage_or_the_temporary_folder(
    settings, upload_temp_dir, data, status, message
):
    settings.MEDIA_MAX_UPLOAD_BYTES = 2 * MB
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 100_000  # both go to a temporary file

    response = api_client_for(UserFactory()).post(
        "/api/v1/media/", {"file": images.upload(data)}, format="multipart"
    )

    assert response.status_code == status
    assert message in response.json()["detail"]
    assert Media.objects.count() == 0
    assert stored_files(settings) == []
    assert list(upload_temp_dir.iterdir()) == []
