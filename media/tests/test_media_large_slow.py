"""A real 24-megapixel camera photo through the API and a real worker process (make slow)."""

import io
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from rest_framework.test import APIClient

from accounts.tests.factories import UserFactory
from media.models import Media
from media.tests.media_images import GPS_IFD, ORIENTATION

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def camera_photo(size=(6000, 4000)) -> bytes:
    """A noisy 24 MP JPEG (several MB, like a phone photo), turned by EXIF, with GPS."""
    grain = Image.effect_noise(size, 40)
    image = Image.merge(
        "RGB", (grain, grain.point(lambda v: v // 2), grain.point(lambda v: 255 - v))
    )
    image.paste((230, 30, 30), (0, 0, size[0] // 2, size[1] // 8))  # a red band, top left
    exif = Image.Exif()
    exif[ORIENTATION] = 6
    exif[0x010F] = "Camera maker"
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (52.0, 31.0, 12.0), 3: "E", 4: (13.0, 24.0, 5.0)})
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90, exif=exif.tobytes())
    return out.getvalue()


def test_a_24_megapixel_photo_is_accepted_at_once_and_ready_within_10_seconds(worker_process):
    client = APIClient()
    client.force_authenticate(UserFactory())
    photo = camera_photo()
    assert len(photo) > 3_000_000
    worker_process("media")

    response = client.post(
        "/api/v1/media/",
        {"file": SimpleUploadedFile("IMG_0001.JPG", photo, "image/jpeg"), "alt_text": "A lake"},
        format="multipart",
    )
    accepted_at = time.monotonic()
    assert response.status_code == 202, response.content
    assert response.json()["status"] == "pending"

    url = f"/api/v1/media/{response.json()['id']}/"
    while (body := client.get(url).json())["status"] != "ready":
        assert body["status"] in ("pending", "processing"), body
        assert time.monotonic() - accepted_at < 10, "not ready within 10 s"
        time.sleep(0.2)

    # Portrait after EXIF orientation 6; the served files carry no EXIF or GPS.
    assert body["width"] * 3 == pytest.approx(body["height"] * 2, abs=3)  # 4000 x 6000, scaled
    assert body["blurhash"]
    media = Media.objects.get(pk=body["id"])
    for variant in ("display", "thumbnail"):
        served = client.get(f"/media/{media.variants[variant]['name']}")
        assert served.status_code == 200
        assert served["X-Content-Type-Options"] == "nosniff"
        data = b"".join(served.streaming_content)
        image = Image.open(io.BytesIO(data))
        assert image.format == "WEBP"
        assert image.height > image.width
        assert max(image.size) <= 2048
        assert b"Exif" not in data
        assert b"GPS" not in data
        # The red band was top left of the landscape original: after turning, top right.
        red, _green, blue = image.convert("RGB").getpixel((image.width - 5, 5))
        assert red > 150 > blue
