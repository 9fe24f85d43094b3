"""The image pipeline on its own (media/imaging.py): no database, no storage."""

import dataclasses
import io

import pytest
from PIL import Image

from media import imaging
from media.limits import media_limits, media_sizes
from media.tests import media_images as images

# The product's limits and sizes (settings), as the media job passes them.
LIMITS = media_limits()
SIZES = media_sizes()


def render(data: bytes, **kwargs) -> imaging.Rendered:
    return imaging.render(io.BytesIO(data), limits=LIMITS, sizes=SIZES, **kwargs)


def decoded(variant: imaging.Variant) -> Image.Image:
    return Image.open(io.BytesIO(variant.data))


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (images.jpeg()[:32], "JPEG"),
        (images.transparent_png()[:32], "PNG"),
        (images.animated_gif(2)[:32], "GIF"),
        (images.image_bytes(Image.new("RGB", (4, 4)), "WEBP")[:32], "WEBP"),
        (images.heic()[:32], "HEIF"),
        (images.svg()[:32], None),
        (b"BM" + b"\0" * 30, None),  # BMP: a real image, not on the list
        (b"", None),
    ],
    ids=["jpeg", "png", "gif", "webp", "heic", "svg", "bmp", "empty"],
)
def test_the_format_is_sniffed_from_the_first_bytes(head, expected):
    assert imaging.sniff_format(head) == expected


def test_an_animated_webp_stays_animated():
    frames = [Image.new("RGB", (30, 20), (n * 60, 0, 0)) for n in range(4)]
    data = images.image_bytes(
        frames[0], "WEBP", save_all=True, append_images=frames[1:], duration=50, loop=0
    )

    rendered = render(data)

    assert rendered.animated
    display = decoded(rendered.variants[0])
    assert display.n_frames == 4
    assert getattr(decoded(rendered.variants[1]), "n_frames", 1) == 1


def test_an_animated_gif_avatar_is_a_still_square():
    rendered = render(images.animated_gif(frames=3, size=(60, 40)), avatar=True)

    assert [(v.name, v.width, v.height) for v in rendered.variants] == [
        ("avatar_400", 400, 400),
        ("avatar_96", 96, 96),
    ]
    assert not rendered.animated


def test_a_jpeg_is_decoded_at_a_reduced_scale_when_that_covers_the_display_size(monkeypatch):
    decoded_sizes = []
    original_decode = imaging._decode

    def spy(image, wanted):
        result = original_decode(image, wanted)
        decoded_sizes.append(result.size)
        return result

    monkeypatch.setattr(imaging, "_decode", spy)
    rendered = render(images.jpeg((4800, 1200)))

    assert (rendered.width, rendered.height) == (2048, 512)
    assert decoded_sizes == [(2400, 600)]  # JPEG draft at 1/2 scale, not the full 4800x1200


def test_pixel_limits_are_checked_before_decoding():
    small_limits = dataclasses.replace(LIMITS, max_pixels=1_000)

    with pytest.raises(imaging.ImageRejected, match="the limit is 0.001 megapixels"):
        imaging.render(io.BytesIO(images.jpeg((64, 48))), limits=small_limits, sizes=SIZES)


def test_a_palette_gif_with_transparency_keeps_it():
    image = Image.new("P", (20, 10), 0)
    image.putpalette([255, 0, 0, 0, 0, 255] + [0] * 762)
    image.paste(1, (10, 0, 20, 10))
    data = images.image_bytes(image, "GIF", transparency=1)

    display = decoded(render(data).variants[0])

    assert display.mode == "RGBA"
    assert display.getpixel((2, 2))[3] == 255
    assert display.getpixel((18, 2))[3] == 0
