"""The image pipeline: cheap header checks for the request, the full render for the worker.

Free of Django models and settings on purpose: callers pass `Limits` and sizes, so the
benchmark can run it next to a bare Pillow pipeline. Every served byte is re-encoded from
decoded pixels (WebP, sRGB, no EXIF/XMP/ICC), oriented by EXIF.
"""

from __future__ import annotations

import io
import itertools
import struct
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import IO

import blurhash
from django.utils.translation import gettext
from PIL import Image, ImageCms, ImageFile, ImageOps, UnidentifiedImageError
from pillow_heif import register_heif_opener

register_heif_opener()
# Truncated files fail instead of being served half grey.
ImageFile.LOAD_TRUNCATED_IMAGES = False


@dataclass(frozen=True)
class ImageFormat:
    """An accepted format: its name in Pillow, the name people read, the extension of stored
    originals and the content types a file input may offer."""

    pillow: str
    label: str
    extension: str
    content_types: tuple[str, ...]


# The one list of accepted formats: the checks, the messages, the upload forms' `accept` and
# the limits API all read it.
FORMATS = {
    image_format.pillow: image_format
    for image_format in (
        ImageFormat("JPEG", "JPEG", "jpg", ("image/jpeg",)),
        ImageFormat("PNG", "PNG", "png", ("image/png",)),
        ImageFormat("GIF", "GIF", "gif", ("image/gif",)),
        ImageFormat("WEBP", "WebP", "webp", ("image/webp",)),
        ImageFormat("HEIF", "HEIC/HEIF", "heic", ("image/heic", "image/heif")),
    )
}
FORMAT_LABELS = [image_format.label for image_format in FORMATS.values()]
FORMATS_TEXT = ", ".join(FORMAT_LABELS[:-1]) + " or " + FORMAT_LABELS[-1]


def formats_text() -> str:
    """FORMATS_TEXT in the active language ("JPEG, PNG or WebP")."""
    return gettext("%(formats)s or %(last)s") % {
        "formats": ", ".join(FORMAT_LABELS[:-1]),
        "last": FORMAT_LABELS[-1],
    }


ACCEPT = ",".join(ct for image_format in FORMATS.values() for ct in image_format.content_types)
HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"hevm", b"hevs", b"mif1"}
HEIF_BRANDS |= {b"msf1"}
SRGB_PROFILE = ImageCms.createProfile("sRGB")
BLURHASH_COMPONENTS = (4, 3)


class ImageRejected(Exception):
    """The file is not an image we accept; the message is shown to its owner as it is."""


class ImageTooLarge(ImageRejected):
    """An image we could read, past a limit on bytes or pixels."""


@dataclass(frozen=True)
class Limits:
    """What an upload may be (from settings: media.limits.media_limits)."""

    max_bytes: int
    max_pixels: int
    max_frames: int
    max_animation_pixels: int


@dataclass(frozen=True)
class Sizes:
    """What the served variants are (from settings: media.limits.media_sizes)."""

    display: int
    thumbnail: int
    animated_display: int
    avatar: tuple[int, ...]
    quality: int


@dataclass(frozen=True)
class Probe:
    """What the header says: format, oriented width and height."""

    format: str
    width: int
    height: int


@dataclass
class Variant:
    name: str
    data: bytes
    width: int
    height: int


@dataclass
class Rendered:
    width: int
    height: int
    blurhash: str
    animated: bool
    variants: list[Variant] = field(default_factory=list)


def sniff_format(head: bytes) -> str | None:
    """The format from the first bytes of a file (never from its name or content type)."""
    if head.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "GIF"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    if head[4:8] == b"ftyp" and (
        head[8:12] in HEIF_BRANDS or any(head[i : i + 4] in HEIF_BRANDS for i in (16, 20, 24))
    ):
        return "HEIF"
    return None


# Pillow's guard against decompression bombs: an error past twice MAX_IMAGE_PIXELS, only a
# warning between the two. Both are refusals here, wherever Pillow raises them: opening, and
# seeking the frames of a GIF, whose canvas a later frame may enlarge.
BOMB_ERRORS = (Image.DecompressionBombError, Image.DecompressionBombWarning)


@contextmanager
def _bomb_guard(limits: Limits) -> Iterator[None]:
    """Pillow's bomb warning raised as an error, and either one as ImageRejected."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            yield
    except BOMB_ERRORS as error:
        raise ImageTooLarge(
            "The image has too many pixels; the limit is "
            f"{limits.max_pixels / 1_000_000:g} megapixels."
        ) from error


def _open(fp: IO[bytes], image_format: str, limits: Limits) -> Image.Image:
    """Open (header only) with Pillow's bomb guard at our pixel limit, warnings as errors."""
    Image.MAX_IMAGE_PIXELS = limits.max_pixels
    try:
        with _bomb_guard(limits):
            return Image.open(fp, formats=[image_format])
    except (UnidentifiedImageError, SyntaxError, ValueError, OSError, EOFError) as error:
        name = FORMATS[image_format].label
        raise ImageRejected(
            gettext("The file is not a valid %(name)s image.") % {"name": name}
        ) from error


def _oriented(size: tuple[int, int], image: Image.Image) -> tuple[int, int]:
    try:
        orientation = image.getexif().get(0x0112, 1)
    except Exception:  # a broken EXIF block only loses the orientation
        orientation = 1
    return (size[1], size[0]) if orientation in (5, 6, 7, 8) else size


def probe(fp: IO[bytes], limits: Limits) -> Probe:
    """Cheap checks for the request: size, sniffed format, header pixel count (no decoding)."""
    fp.seek(0, io.SEEK_END)
    size = fp.tell()
    fp.seek(0)
    if size == 0:
        raise ImageRejected(gettext("The file is empty."))
    if size > limits.max_bytes:
        raise ImageTooLarge(
            gettext("The file is %(size)s MB; the limit is %(limit)s MB.")
            % {
                "size": f"{size / (1024 * 1024):.1f}",
                "limit": f"{limits.max_bytes / (1024 * 1024):g}",
            }
        )
    image_format = _sniff_supported(fp)
    image = _open(fp, image_format, limits)
    try:
        with _bomb_guard(limits):
            width, height = image.size
            _check_pixels(width, height, limits)
            width, height = _oriented((width, height), image)
    finally:
        # Not image.close(): that would close the caller's file.
        fp.seek(0)
    return Probe(format=image_format, width=width, height=height)


def _sniff_supported(fp: IO[bytes]) -> str:
    """The format named by the file's first bytes (the file is left at its start)."""
    image_format = sniff_format(fp.read(32))
    fp.seek(0)
    if image_format is None:
        raise ImageRejected(
            gettext("This file type is not supported: upload a %(formats)s image.")
            % {"formats": formats_text()}
        )
    return image_format


def _check_pixels(width: int, height: int, limits: Limits) -> None:
    if width < 1 or height < 1:
        raise ImageRejected(gettext("The image has no pixels."))
    if width * height > limits.max_pixels:
        raise ImageTooLarge(
            gettext(
                "The image is %(width)s×%(height)s (%(megapixels)s megapixels); "
                "the limit is %(limit)s megapixels."
            )
            % {
                "width": width,
                "height": height,
                "megapixels": f"{width * height / 1_000_000:.0f}",
                "limit": f"{limits.max_pixels / 1_000_000:g}",
            }
        )


def fit(size: tuple[int, int], long_side: int) -> tuple[int, int]:
    """`size` scaled down so its long side is at most `long_side` (never up)."""
    width, height = size
    scale = min(1.0, long_side / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def render(fp: IO[bytes], *, limits: Limits, sizes: Sizes, avatar: bool = False) -> Rendered:
    """Decode with limits and make the served WebP variants. Raises ImageRejected."""
    fp.seek(0)
    image_format = _sniff_supported(fp)
    image = _open(fp, image_format, limits)
    try:
        with _bomb_guard(limits):
            _check_pixels(*image.size, limits)
            animated = getattr(image, "is_animated", False)
            if not avatar and image_format in ("GIF", "WEBP") and animated:
                return _render_animated(image, limits=limits, sizes=sizes)
            return _render_still(image, sizes=sizes, avatar=avatar)
    except ImageRejected:
        raise
    except (OSError, SyntaxError, ValueError, EOFError, IndexError, struct.error) as error:
        raise ImageRejected(_decode_error_message(error)) from error
    except MemoryError as error:
        raise ImageRejected(gettext("The image is too large to process.")) from error


def _decode_error_message(error: Exception) -> str:
    text = str(error).lower()
    if "truncated" in text or isinstance(error, EOFError):
        return gettext("The file is truncated or damaged.")
    return gettext("The image could not be decoded; it may be damaged.")


def _decode(image: Image.Image, wanted: tuple[int, int]) -> Image.Image:
    """Load the pixels; JPEG decodes at 1/2, 1/4 or 1/8 scale when that still covers `wanted`."""
    if image.format == "JPEG" and wanted[0] < image.size[0]:
        image.draft(None, wanted)
    image.load()
    return image


def _to_working_mode(image: Image.Image) -> Image.Image:
    """RGB(A), L(A) or CMYK, 8 bits, keeping the ICC profile for the sRGB conversion."""
    icc = image.info.get("icc_profile")
    mode = image.mode
    if mode in ("RGB", "RGBA", "L", "LA", "CMYK"):
        return image
    if mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
        image = image.convert("I").point(lambda value: value * (1 / 256)).convert("L")
    elif mode == "F":
        image = image.convert("L")
    elif mode in ("P", "PA", "1", "La", "RGBa", "RGBX", "YCbCr", "LAB", "HSV"):
        has_alpha = mode in ("PA", "La", "RGBa") or image.has_transparency_data
        image = image.convert("RGBA" if has_alpha else "RGB")
    else:
        image = image.convert("RGB")
    if icc and image.mode in ("RGB", "RGBA", "L"):
        image.info["icc_profile"] = icc
    return image


def _to_srgb(image: Image.Image) -> Image.Image:
    """sRGB pixels, RGB or RGBA (alpha kept); ICC profiles applied, then dropped."""
    icc = image.info.get("icc_profile")
    alpha = image.getchannel("A") if image.mode in ("RGBA", "LA") else None
    base_mode = {"RGBA": "RGB", "LA": "L"}.get(image.mode, image.mode)
    base = image.convert(base_mode) if base_mode != image.mode else image
    converted = None
    if icc:
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            converted = ImageCms.profileToProfile(
                base, source, SRGB_PROFILE, outputMode="RGB", renderingIntent=0
            )
        except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
            converted = None  # a broken profile: fall back to the plain conversion
    if converted is None:
        converted = base if base.mode == "RGB" else base.convert("RGB")
    if alpha is not None and alpha.getextrema() != (255, 255):
        converted.putalpha(alpha)
    converted.info = {}
    return converted


def _resize(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    if image.size == size:
        return image
    return image.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)


def _webp(image: Image.Image, quality: int, **options) -> bytes:
    out = io.BytesIO()
    image.info = {}
    image.save(out, "WEBP", quality=quality, method=4, **options)
    return out.getvalue()


def _blurhash(image: Image.Image) -> str:
    small = image.convert("RGB")
    small.thumbnail((32, 32), Image.Resampling.BILINEAR)
    return blurhash.encode(small, *BLURHASH_COMPONENTS)


def _render_still(image: Image.Image, *, sizes: Sizes, avatar: bool) -> Rendered:
    orientation = _exif_orientation(image)
    # Avatars are square crops: their short side must reach the largest avatar size.
    target = _cover(image.size, max(sizes.avatar)) if avatar else fit(image.size, sizes.display)
    image = _decode(image, target)
    resized = _resize(_to_working_mode(image), target)
    if resized is not image:
        image.close()  # the decoded original is the biggest buffer: free it before encoding
    resized = _transpose(resized, orientation)
    srgb = _to_srgb(resized)
    if avatar:
        variants = []
        for side in sizes.avatar:
            square = ImageOps.fit(srgb, (side, side), Image.Resampling.LANCZOS)
            variants.append(Variant(f"avatar_{side}", _webp(square, sizes.quality), side, side))
        return Rendered(
            width=srgb.width,
            height=srgb.height,
            blurhash=_blurhash(srgb),
            animated=False,
            variants=variants,
        )
    display = Variant("display", _webp(srgb, sizes.quality), srgb.width, srgb.height)
    thumbnail_image = _resize(srgb, fit(srgb.size, sizes.thumbnail))
    thumbnail = Variant(
        "thumbnail",
        _webp(thumbnail_image, sizes.quality),
        thumbnail_image.width,
        thumbnail_image.height,
    )
    return Rendered(
        width=srgb.width,
        height=srgb.height,
        blurhash=_blurhash(thumbnail_image),
        animated=False,
        variants=[display, thumbnail],
    )


def _cover(size: tuple[int, int], side: int) -> tuple[int, int]:
    """`size` scaled down so its short side is `side` (never up)."""
    scale = min(1.0, side / min(size))
    return max(1, round(size[0] * scale)), max(1, round(size[1] * scale))


def _exif_orientation(image: Image.Image) -> int:
    try:
        return int(image.getexif().get(0x0112, 1))
    except Exception:
        return 1


TRANSPOSE = {
    2: [Image.Transpose.FLIP_LEFT_RIGHT],
    3: [Image.Transpose.ROTATE_180],
    4: [Image.Transpose.FLIP_TOP_BOTTOM],
    5: [Image.Transpose.TRANSPOSE],
    6: [Image.Transpose.ROTATE_270],
    7: [Image.Transpose.TRANSVERSE],
    8: [Image.Transpose.ROTATE_90],
}


def _transpose(image: Image.Image, orientation: int) -> Image.Image:
    """Apply the EXIF orientation read from the original (the resized copy has no EXIF)."""
    for method in TRANSPOSE.get(orientation, []):
        image = image.transpose(method)
    return image


def _frames(image: Image.Image, limits: Limits) -> Iterator[tuple[Image.Image, int]]:
    """Frames with their durations (the image itself, seeked to each), failing once the frame or
    pixel budget is spent. Each frame's canvas is checked before the frame is decoded: a GIF's
    grows when a later frame reaches past it, which Pillow only warns about below twice
    MAX_IMAGE_PIXELS (render's bomb guard makes that warning an error)."""
    total_pixels = 0
    for index in itertools.count():
        try:
            image.seek(index)
        except EOFError:
            return
        except BOMB_ERRORS as error:
            raise ImageRejected(
                gettext(
                    "Frame %(n)s of the animation is larger than %(limit)s megapixels, the limit."
                )
                % {"n": index + 1, "limit": f"{limits.max_pixels / 1_000_000:g}"}
            ) from error
        if index >= limits.max_frames:
            raise ImageRejected(
                gettext("The animation has more than %(limit)s frames.")
                % {"limit": limits.max_frames}
            )
        width, height = image.size
        if width * height > limits.max_pixels:
            raise ImageRejected(
                gettext(
                    "Frame %(n)s of the animation is %(width)s×%(height)s; the limit is "
                    "%(limit)s megapixels."
                )
                % {
                    "n": index + 1,
                    "width": width,
                    "height": height,
                    "limit": f"{limits.max_pixels / 1_000_000:g}",
                }
            )
        total_pixels += width * height
        if total_pixels > limits.max_animation_pixels:
            raise ImageRejected(
                gettext(
                    "The animation is too large: more than %(limit)s megapixels over all frames."
                )
                % {"limit": f"{limits.max_animation_pixels / 1_000_000:g}"}
            )
        yield image, int(image.info.get("duration") or 100)


def _render_animated(image: Image.Image, *, limits: Limits, sizes: Sizes) -> Rendered:
    loop = image.info.get("loop", 0)
    target = fit(image.size, sizes.animated_display)
    frames: list[Image.Image] = []
    durations: list[int] = []
    has_alpha = False
    for frame, duration in _frames(image, limits):
        converted = _to_srgb(_to_working_mode(frame.copy()))
        has_alpha = has_alpha or converted.mode == "RGBA"
        frames.append(_resize(converted, target))
        durations.append(max(20, duration))
    if has_alpha:
        frames = [frame.convert("RGBA") for frame in frames]
    first = frames[0]
    out = io.BytesIO()
    first.save(
        out,
        "WEBP",
        save_all=True,
        append_images=frames[1:],
        duration=durations,
        loop=loop,
        quality=sizes.quality,
        method=4,
    )
    display = Variant("display", out.getvalue(), first.width, first.height)
    still = _resize(first, fit(first.size, sizes.thumbnail))
    thumbnail = Variant("thumbnail", _webp(still, sizes.quality), still.width, still.height)
    return Rendered(
        width=first.width,
        height=first.height,
        blurhash=_blurhash(still),
        animated=len(frames) > 1,
        variants=[display, thumbnail],
    )
