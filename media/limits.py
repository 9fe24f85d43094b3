"""The upload limits and variant sizes, from settings: what the checks, the forms, the pages and
GET /api/v1/limits/ all read."""

from __future__ import annotations

from django.conf import settings
from django.core.files.storage import storages
from django.utils.translation import gettext

from core import ratelimit
from media import imaging
from media.models import Media


def alt_text_max_length() -> int:
    return Media._meta.get_field("alt_text").max_length


def media_limits() -> imaging.Limits:
    return imaging.Limits(
        max_bytes=settings.MEDIA_MAX_UPLOAD_BYTES,
        max_pixels=settings.MEDIA_MAX_PIXELS,
        max_frames=settings.MEDIA_MAX_FRAMES,
        max_animation_pixels=settings.MEDIA_MAX_ANIMATION_PIXELS,
    )


def format_of_content_type(content_type: str) -> imaging.ImageFormat | None:
    """The accepted format a client declares with `content_type` (a direct upload), or None."""
    for image_format in imaging.FORMATS.values():
        if content_type in image_format.content_types:
            return image_format
    return None


def direct_uploads_available() -> bool:
    """Whether clients may send files straight to storage (media.direct_uploads): only when
    originals live on S3, whose presigned POSTs check the size and type of what arrives."""
    from storages.backends.s3 import S3Storage  # boto3 is needed only where S3 is used

    return isinstance(storages["private"], S3Storage)


def upload_rate() -> ratelimit.Rate:
    """Uploads one person may make in a window: MEDIA_UPLOAD_RATE, or RATELIMIT_RATES["uploads"]."""
    return ratelimit.rate_of("uploads", ratelimit.Rate(*settings.MEDIA_UPLOAD_RATE))


def upload_bytes_rate() -> ratelimit.Rate:
    """Bytes one person may upload in a day: MEDIA_DAILY_UPLOAD_BYTES, or
    RATELIMIT_RATES["upload_bytes"]."""
    default = ratelimit.Rate(settings.MEDIA_DAILY_UPLOAD_BYTES, 24 * 3600)
    return ratelimit.rate_of("upload_bytes", default)


def media_sizes() -> imaging.Sizes:
    return imaging.Sizes(
        display=settings.MEDIA_DISPLAY_SIZE,
        thumbnail=settings.MEDIA_THUMBNAIL_SIZE,
        animated_display=settings.MEDIA_ANIMATED_DISPLAY_SIZE,
        avatar=tuple(settings.MEDIA_AVATAR_SIZES),
        quality=settings.MEDIA_WEBP_QUALITY,
    )


def limits_data() -> dict:
    """The limits as API clients, upload forms and pages show them."""
    megabytes = settings.MEDIA_MAX_UPLOAD_BYTES / (1024 * 1024)
    megapixels = settings.MEDIA_MAX_PIXELS / 1_000_000
    uploads, upload_bytes = upload_rate(), upload_bytes_rate()
    return {
        "max_upload_bytes": settings.MEDIA_MAX_UPLOAD_BYTES,
        "max_request_bytes": settings.MEDIA_MAX_REQUEST_BYTES,
        "upload_rate": {"uploads": uploads.limit, "seconds": uploads.seconds},
        "upload_bytes_rate": {"bytes": upload_bytes.limit, "seconds": upload_bytes.seconds},
        "max_pixels": settings.MEDIA_MAX_PIXELS,
        "max_upload_megabytes": round(megabytes, 1),
        "max_megapixels": round(megapixels, 1),
        "max_frames": settings.MEDIA_MAX_FRAMES,
        "max_animation_pixels": settings.MEDIA_MAX_ANIMATION_PIXELS,
        "max_per_post": settings.MEDIA_MAX_PER_POST,
        "alt_text_max_length": alt_text_max_length(),
        # POST media/uploads/ then media/<id>/complete/ instead of POST media/ (S3 only).
        "direct_uploads": direct_uploads_available(),
        "formats": imaging.FORMAT_LABELS,
        "accept": imaging.ACCEPT,
        "display_size": settings.MEDIA_DISPLAY_SIZE,
        "thumbnail_size": settings.MEDIA_THUMBNAIL_SIZE,
        "avatar_sizes": list(settings.MEDIA_AVATAR_SIZES),
        "summary": (
            gettext("%(formats)s; up to %(megabytes)s MB and %(megapixels)s megapixels each")
            % {
                "formats": imaging.formats_text(),
                "megabytes": f"{megabytes:g}",
                "megapixels": f"{megapixels:g}",
            }
        ),
    }
