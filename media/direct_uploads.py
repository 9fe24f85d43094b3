"""Direct uploads, the services: a client sends a photo straight to S3, so that the web servers
never carry its bytes (the media services of media/services.py, for uploads at scale).

1. `media_upload_start` checks the declared type and size against the limits (media.limits),
   counts the upload against its owner's upload limits, writes a row awaiting its upload and
   answers a presigned POST: S3 takes one object, at the row's private key, of that exact
   content type and of 1 byte up to the declared size, for MEDIA_DIRECT_UPLOAD_EXPIRES_SECONDS.
2. The client POSTs the file to S3 with the given fields.
3. `media_upload_complete` finds the object there, within the declared size; the row becomes
   pending and its processing is queued after commit. The worker checks the bytes as it would
   those of any upload (size, sniffed format, pixels, frames) before anything is served.

Rows never completed are deleted with their object by the sweep after
MEDIA_DIRECT_UPLOAD_TTL_SECONDS (media.services.media_delete_unused_and_failed).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.files.storage import storages
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core import durable
from core.errors import ApplicationError
from media.imaging import formats_text
from media.limits import direct_uploads_available, format_of_content_type, media_limits
from media.models import Media
from media.services import alt_text_clean, uploads_count


@dataclass(frozen=True)
class DirectUpload:
    """A row awaiting its file, and where and how the client sends it (a presigned POST)."""

    media: Media
    url: str
    fields: dict[str, str]
    expires_at: datetime


def media_upload_start(
    *, owner, content_type: str, size: int, alt_text: str = "", kind: str = Media.Kind.PHOTO
) -> DirectUpload:
    """Start a direct upload: checks, the owner's upload limits, a row awaiting its upload and
    a presigned POST for it. Refused (nothing written) with ApplicationError or RateLimited."""
    _require_direct_uploads()
    alt_text = alt_text_clean(alt_text)
    image_format = format_of_content_type(content_type)
    if image_format is None:
        raise ApplicationError(
            _("This file type is not supported: upload a %(formats)s image.")
            % {"formats": formats_text()},
            field="content_type",
            code="invalid_image",
            status=415,
        )
    _check_size(size, field="size")
    uploads_count(owner=owner, sizes=[size])
    name = f"originals/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.{image_format.extension}"
    # The declared size bounds what S3 accepts: it is what the daily upload bytes counted.
    media = Media(
        owner=owner,
        kind=kind,
        alt_text=alt_text,
        status=Media.Status.AWAITING_UPLOAD,
        original_size=size,
    )
    media.original.name = name
    media.save()
    storage = storages["private"]
    expires_in = settings.MEDIA_DIRECT_UPLOAD_EXPIRES_SECONDS
    presigned = storage.connection.meta.client.generate_presigned_post(
        Bucket=storage.bucket_name,
        Key=storage._normalize_name(name),
        Fields={"Content-Type": content_type},
        Conditions=[{"Content-Type": content_type}, ["content-length-range", 1, size]],
        ExpiresIn=expires_in,
    )
    return DirectUpload(
        media=media,
        url=presigned["url"],
        fields=presigned["fields"],
        expires_at=timezone.now() + timedelta(seconds=expires_in),
    )


def media_upload_complete(*, media_id: int, owner) -> Media:
    """The client says the file of a direct upload is in storage: once it is there within the
    declared size, the row becomes pending and its processing is queued after commit.
    Idempotent: an item completed before is returned as it is. An object past the declared
    size is deleted (the client may send the file again until the row expires)."""
    _require_direct_uploads()
    media = Media.objects.filter(pk=media_id, owner=owner).first()
    if media is None:
        raise ApplicationError(_("No such photo."), code="not_found", status=404)
    if media.status != Media.Status.AWAITING_UPLOAD:
        return media
    storage = storages["private"]
    if not storage.exists(media.original.name):
        raise ApplicationError(
            _("The file is not in storage yet: send it to the upload's URL first."),
            code="upload_missing",
            status=409,
        )
    size = storage.size(media.original.name)
    if size > media.original_size:
        storage.delete(media.original.name)
        raise ApplicationError(
            _("The file sent is larger than the size declared (%(size)s bytes).")
            % {"size": f"{media.original_size:,}"},
            code="image_too_large",
            status=413,
        )
    with transaction.atomic():
        completed = Media.objects.filter(pk=media.pk, status=Media.Status.AWAITING_UPLOAD).update(
            status=Media.Status.PENDING, original_size=size, next_attempt_at=timezone.now()
        )
        if completed:
            durable.enqueue_on_commit(media)
    media.refresh_from_db()
    return media


def _require_direct_uploads() -> None:
    if not direct_uploads_available():
        raise ApplicationError(
            _("Direct uploads need S3 storage, which this server does not use: POST media/."),
            code="direct_uploads_unavailable",
            status=409,
        )


def _check_size(size: int, *, field: str) -> None:
    limit = media_limits().max_bytes
    if size < 1:
        raise ApplicationError(_("The file is empty."), field=field)
    if size > limit:
        raise ApplicationError(
            _("The file is %(size)s MB; the limit is %(limit)s MB.")
            % {"size": f"{size / (1024 * 1024):.1f}", "limit": f"{limit / (1024 * 1024):g}"},
            field=field,
            code="image_too_large",
            status=413,
        )
