"""Test images made in code with Pillow (no binary fixtures)."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageCms

GPS_IFD = 0x8825
ORIENTATION = 0x0112


def api_upload(client, data: bytes, name="photo.jpg", content_type="image/jpeg", **extra):
    """POST media/ with one file, as an API client does."""
    return client.post(
        "/api/v1/media/", {"file": upload(data, name, content_type), **extra}, format="multipart"
    )


def image_bytes(image: Image.Image, image_format: str, **options) -> bytes:
    out = io.BytesIO()
    image.save(out, image_format, **options)
    return out.getvalue()


def two_tone(size: tuple[int, int], mode: str = "RGB") -> Image.Image:
    """Left half red, right half blue: orientation shows in the pixels."""
    image = Image.new("RGB", size, (220, 20, 20))
    image.paste((20, 20, 220), (size[0] // 2, 0, size[0], size[1]))
    return image.convert(mode) if mode != "RGB" else image


def jpeg(size=(64, 48), *, orientation: int | None = None, gps: bool = False, **options) -> bytes:
    exif = Image.Exif()
    if orientation:
        exif[ORIENTATION] = orientation
    if gps:
        exif[0x010F] = "Camera maker"
        exif.get_ifd(GPS_IFD).update({1: "N", 2: (52.0, 31.0, 12.0), 3: "E", 4: (13.0, 24.0, 5.0)})
    if orientation or gps:
        options["exif"] = exif.tobytes()
    return image_bytes(two_tone(size), "JPEG", quality=90, **options)


def cmyk_jpeg(size=(64, 48)) -> bytes:
    return image_bytes(Image.new("CMYK", size, (0, 255, 255, 0)), "JPEG")


def png16(size=(32, 24)) -> bytes:
    """A 16-bit-per-channel RGB PNG, written by hand (Pillow writes 16 bits for grey only)."""
    row = b"\x00" + struct.pack(">HHH", 65535, 0, 32768) * size[0]
    return _png(size, bit_depth=16, color_type=2, data=row * size[1])


def png16_grey(size=(32, 24)) -> bytes:
    return image_bytes(Image.new("I;16", size, 40000), "PNG")


def png_bomb(size=(30_000, 30_000)) -> bytes:
    """A tiny PNG whose header claims `size` (900 megapixels by default)."""
    row = b"\x00" + b"\x00" * size[0]
    compressor = zlib.compressobj(9)
    data = compressor.compress(row * 16) + compressor.flush()
    return _png(size, bit_depth=8, color_type=0, raw=data)


def _png(size, *, bit_depth: int, color_type: int, data: bytes = b"", raw: bytes | None = None):
    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", size[0], size[1], bit_depth, color_type, 0, 0, 0)
    idat = raw if raw is not None else zlib.compress(data)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
    )


def transparent_png(size=(40, 30)) -> bytes:
    image = Image.new("RGBA", size, (0, 128, 0, 0))
    image.paste((0, 128, 0, 255), (0, 0, size[0] // 2, size[1]))
    return image_bytes(image, "PNG")


def animated_gif(frames: int = 5, size=(40, 30)) -> bytes:
    images = [
        Image.new("RGB", size, (index * 37 % 256, index * 91 % 256, 255 - index % 256))
        for index in range(frames)
    ]
    return image_bytes(images[0], "GIF", save_all=True, append_images=images[1:], duration=40)


def gif_with_giant_later_frame(extent=(10_000, 10_000), screen=(16, 16)) -> bytes:
    """A two-frame GIF of a few hundred bytes, written byte by byte: the first frame fills a
    small `screen`; the second, 10×10, is placed so that it ends at `extent`. Its image
    descriptor is all it takes for Pillow to enlarge the canvas to `extent` when it seeks that
    frame (with only a warning below twice Image.MAX_IMAGE_PIXELS)."""

    def lzw(pixels: int) -> bytes:
        # Colour 0 throughout, with minimum code size 2: clear (4), two pixels, clear again...
        # so the table never grows past 3-bit codes; end of information (5) last.
        codes = []
        for start in range(0, pixels, 2):
            codes += [4] + [0] * min(2, pixels - start)
        codes.append(5)
        bits = sum(code << (3 * index) for index, code in enumerate(codes))
        return bits.to_bytes((3 * len(codes) + 7) // 8, "little")

    def frame(left: int, top: int, width: int, height: int) -> bytes:
        control = b"\x21\xf9\x04\x00" + struct.pack("<H", 10) + b"\x00\x00"  # 100 ms
        descriptor = b"\x2c" + struct.pack("<HHHHB", left, top, width, height, 0)
        data = lzw(width * height)
        blocks = b"".join(
            bytes([len(data[i : i + 255])]) + data[i : i + 255] for i in range(0, len(data), 255)
        )
        return control + descriptor + b"\x02" + blocks + b"\x00"

    # Logical screen with a global table of two colours (flags 0xF0), black and white.
    header = b"GIF89a" + struct.pack("<HHBBB", *screen, 0xF0, 0, 0) + b"\x00\x00\x00\xff\xff\xff"
    looping = b"\x21\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00"
    giant = frame(extent[0] - 10, extent[1] - 10, 10, 10)
    return header + looping + frame(0, 0, *screen) + giant + b"\x3b"


def svg() -> bytes:
    return (
        b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
        b"<script>alert(1)</script></svg>"
    )


def srgb_with_profile(size=(32, 32)) -> bytes:
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    return image_bytes(two_tone(size), "JPEG", icc_profile=profile)


def heic(size=(64, 48)) -> bytes:
    import pillow_heif

    pillow_heif.register_heif_opener()
    return image_bytes(two_tone(size), "HEIF", quality=90)


def upload(data: bytes, name: str = "photo.jpg", content_type: str = "image/jpeg"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def stored_files(settings) -> list[Path]:
    """Every file under MEDIA_ROOT (public variants and private originals)."""
    root = Path(settings.MEDIA_ROOT)
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []
