"""Every write about media: uploads, attaching, processing, deleting files.

The request only checks what is cheap (size, format from the bytes, header pixel count),
stores the original privately and writes a pending row; `process_media` (media/jobs.py) does
the rest on the "media" queue, through the durable-work mechanism (core.durable). Variants
have deterministic names under media/<id>-<storage_key>/ in the public storage, so a second
run writes the same files.
"""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import Storage, storages
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from rq.timeouts import JobTimeoutException

from core import durable, events, ratelimit
from core.errors import ApplicationError
from media import hooks, imaging, policies
from media.limits import (
    alt_text_max_length,
    media_limits,
    media_sizes,
    upload_bytes_rate,
    upload_rate,
)
from media.models import FileDeletion, Media

logger = logging.getLogger(__name__)

PHOTO = Media.Kind.PHOTO

# --- Uploads ----------------------------------------------------------------------------------


def media_create(*, owner, file, alt_text: str = "", kind: str = PHOTO) -> Media:
    """Accept an upload: cheap checks, the owner's upload limits, the original to private
    storage, a pending row; its processing is queued after commit. A bad file raises
    ApplicationError, an upload past the limits RateLimited (nothing stored either way)."""
    alt_text = alt_text_clean(alt_text)
    probe = _probe(file, field="file")
    uploads_count(owner=owner, sizes=[file.size])
    return _store(owner=owner, file=file, probe=probe, alt_text=alt_text, kind=kind)


def media_create_many(*, owner, files: list, alt_texts: list[str], field: str) -> list[Media]:
    """Accept several photos (a post's `images`): every file is checked, and counted against the
    owner's upload limits, before any is stored. Writes pending rows; their processing is queued
    after commit."""
    alt_texts = [*alt_texts, *[""] * (len(files) - len(alt_texts))]
    checked = [
        (file, _probe(file, field=field), alt_text_clean(alt_text))
        for file, alt_text in zip(files, alt_texts, strict=False)
    ]
    uploads_count(owner=owner, sizes=[file.size for file in files])
    stored: list[Media] = []
    try:
        with transaction.atomic():
            for file, probe, alt_text in checked:
                stored.append(
                    _store(owner=owner, file=file, probe=probe, alt_text=alt_text, kind=PHOTO)
                )
    except Exception:
        for media in stored:
            storages["private"].delete(media.original.name)
        raise
    return stored


def alt_text_clean(alt_text: str) -> str:
    alt_text = (alt_text or "").strip()
    maximum = alt_text_max_length()
    if len(alt_text) > maximum:
        raise ApplicationError(
            _("The description is longer than %(maximum)s characters.")
            % {"maximum": f"{maximum:,}"},
            field="alt_text",
        )
    return alt_text


def uploads_count(*, owner, sizes: list[int]) -> None:
    """Count files of these sizes against the owner's upload rate and daily bytes
    (core.ratelimit, names "uploads" and "upload_bytes"). Past either, RateLimited, and nothing
    is counted: the uploads a person may still make are not spent on refused ones."""
    key = str(owner.pk)
    sent = sum(sizes)
    uploads, upload_bytes = upload_rate(), upload_bytes_rate()
    if ratelimit.current("uploads", key, uploads) + len(sizes) > uploads.limit:
        wait = ratelimit.retry_after(uploads)
        raise ratelimit.RateLimited(
            ngettext(
                "You can upload %(limit)s photo every %(period)s; try again in %(wait)s.",
                "You can upload %(limit)s photos every %(period)s; try again in %(wait)s.",
                uploads.limit,
            )
            % {
                "limit": uploads.limit,
                "period": ratelimit.readable_wait(uploads.seconds),
                "wait": ratelimit.readable_wait(wait),
            },
            retry_after=wait,
        )
    if ratelimit.current("upload_bytes", key, upload_bytes) + sent > upload_bytes.limit:
        wait = ratelimit.retry_after(upload_bytes)
        raise ratelimit.RateLimited(
            _("You can upload %(size)s MB every %(period)s; try again in %(wait)s.")
            % {
                "size": f"{upload_bytes.limit / (1024 * 1024):g}",
                "period": ratelimit.readable_wait(upload_bytes.seconds),
                "wait": ratelimit.readable_wait(wait),
            },
            retry_after=wait,
        )
    ratelimit.count("uploads", key, uploads, amount=len(sizes))
    ratelimit.count("upload_bytes", key, upload_bytes, amount=sent)


def _probe(file, *, field: str) -> imaging.Probe:
    try:
        return imaging.probe(file, media_limits())
    except imaging.ImageRejected as error:
        name = getattr(file, "name", "") or "The file"
        # The API's answer: 413 past a limit, 415 for a file that is no image we take.
        too_large = isinstance(error, imaging.ImageTooLarge)
        raise ApplicationError(
            _("%(name)s: %(error)s") % {"name": name, "error": error},
            field=field,
            code="image_too_large" if too_large else "invalid_image",
            status=413 if too_large else 415,
        ) from error


def _store(*, owner, file, probe: imaging.Probe, alt_text: str, kind: str) -> Media:
    """Store the original privately and write the pending row; queued after commit."""
    media = Media(
        owner=owner,
        kind=kind,
        alt_text=alt_text,
        original_format=probe.format,
        original_size=file.size,
        width=probe.width,
        height=probe.height,
    )
    file.seek(0)
    # The name never comes from the upload: a random one with the sniffed format's extension.
    # Storage is looked up by name on every use (never through the field) so settings can swap it.
    private = storages["private"]
    extension = imaging.FORMATS[probe.format].extension
    try:
        media.original.name = private.save(
            f"originals/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.{extension}", file
        )
    except Exception as error:
        if not durable.is_transient(error):  # S3 or the disk failing for now: say so, not a 500
            raise
        logger.warning("Could not store an original: %s", error)
        raise ApplicationError(
            _("Photos cannot be stored just now. Please try again in a minute."),
            field="file",
            code="storage_unavailable",
            status=503,
        ) from error
    try:
        with transaction.atomic():
            media.save()
            durable.enqueue_on_commit(media)
    except Exception:
        private.delete(media.original.name)
        raise
    return media


# --- Using media: attach, describe, delete ----------------------------------------------------


def media_lock_for_attaching(*, owner, media_ids: list[int], field: str) -> list[Media]:
    """Lock `media_ids` (photos of `owner`, in this order) for the caller's transaction; refuses
    unknown ids, duplicates and photos that could not be processed. The caller decides whether
    one already used elsewhere may move."""
    if len(set(media_ids)) != len(media_ids):
        raise ApplicationError(_("A photo is listed twice."), field=field)
    with transaction.atomic():
        found = {
            media.pk: media
            for media in Media.objects.select_for_update().filter(
                pk__in=media_ids, owner=owner, kind=PHOTO
            )
        }
    missing = [media_id for media_id in media_ids if media_id not in found]
    if missing:
        raise ApplicationError(
            _("Unknown photo id(s): %(join)s.") % {"join": ", ".join(map(str, missing))},
            field=field,
            code="not_found",
            status=404,
        )
    for media in found.values():
        if media.status == Media.Status.AWAITING_UPLOAD:
            raise ApplicationError(
                _("Photo %(pk)s is not uploaded yet: send it, then POST media/%(pk)s/complete/.")
                % {"pk": media.pk},
                field=field,
                code="photo_not_uploaded",
                status=409,
            )
        if media.status == Media.Status.FAILED:
            raise ApplicationError(
                _("Photo %(pk)s could not be processed: %(last_error)s")
                % {"pk": media.pk, "last_error": media.last_error},
                field=field,
                code="photo_failed",
                status=409,
            )
    return [found[media_id] for media_id in media_ids]


def media_attach(*, media: list[Media]) -> None:
    """Mark items as used by their owner's app: others may see them once ready, and the sweep
    no longer deletes them as abandoned uploads."""
    unattached = [item.pk for item in media if item.attached_at is None]
    if unattached:
        Media.objects.filter(pk__in=unattached, attached_at__isnull=True).update(
            attached_at=timezone.now()
        )


def media_update(*, media: Media, editor, alt_text: str | None = None) -> Media:
    """Change the description (alt text) of an item (its owner only)."""
    policies.change_media.enforce(editor, media)
    if alt_text is not None:
        media.alt_text = alt_text_clean(alt_text)
        media.save(update_fields=["alt_text"])
    return media


def media_delete(*, media: Media, actor) -> None:
    """Delete an item (its owner, or staff); its files are deleted by a job after commit."""
    policies.delete_media.enforce(actor, media)
    media_discard(media=[media])


def media_discard(*, media: list[Media]) -> None:
    """Delete items the system no longer needs (a replaced avatar, a post's photos, a deleted
    account's uploads): the rows now, their files by a durable job queued after commit."""
    if not media:
        return
    names: dict[str, list[str]] = {"private": [], "default": []}
    for item in media:
        for storage_name, file_names in _file_names(item).items():
            names[storage_name] += file_names
    with transaction.atomic():
        deletion = FileDeletion.objects.create(names=names)
        Media.objects.filter(pk__in=[item.pk for item in media]).delete()
        durable.enqueue_on_commit(deletion)


def files_discard(*, names: dict[str, list[str]]) -> None:
    """Delete files that are not media (a data export's zip): `names` by storage alias
    ("private", "default"); by the same durable job, queued after commit."""
    if not any(names.values()):
        return
    with transaction.atomic():
        durable.enqueue_on_commit(FileDeletion.objects.create(names=names))


def media_discard_owned_by(*, owner) -> int:
    """Delete every item of `owner` (their account is going); returns how many."""
    media = list(Media.objects.filter(owner=owner))
    media_discard(media=media)
    return len(media)


def media_delete_unused_and_failed() -> int:
    """Delete, files by a job after commit (sweep task): uploads never attached within
    MEDIA_UNATTACHED_TTL_SECONDS (a photo never posted), direct uploads never completed within
    MEDIA_DIRECT_UPLOAD_TTL_SECONDS, and items failed for MEDIA_FAILED_TTL_SECONDS, attached
    or not (a post's photo, an avatar), whose owner could read why until then. Returns how
    many."""
    now = timezone.now()
    unused = Q(
        attached_at__isnull=True,
        created_at__lte=now - timedelta(seconds=settings.MEDIA_UNATTACHED_TTL_SECONDS),
    ) & ~Q(status=Media.Status.FAILED)
    failed = Q(
        status=Media.Status.FAILED,
        finished_at__lte=now - timedelta(seconds=settings.MEDIA_FAILED_TTL_SECONDS),
    )
    never_uploaded = Q(
        status=Media.Status.AWAITING_UPLOAD,
        created_at__lte=now - timedelta(seconds=settings.MEDIA_DIRECT_UPLOAD_TTL_SECONDS),
    )
    media = list(Media.objects.filter(unused | failed | never_uploaded).order_by("pk")[:500])
    media_discard(media=media)
    return len(media)


def media_reprocess(*, media: Media, actor) -> None:
    """Process an item again from its original (staff, from the admin): pending again, queued
    after commit; the files it writes have the same names."""
    policies.reprocess_media.enforce(actor, media)
    durable.restart(media)


def _file_names(media: Media) -> dict[str, list[str]]:
    """Every file an item may have, recorded or not (a running job may still write them)."""
    names = {variant["name"] for variant in media.variants.values() if variant.get("name")}
    variant_names = ["display", "thumbnail"] + [f"avatar_{s}" for s in settings.MEDIA_AVATAR_SIZES]
    names |= {_variant_name(media, name) for name in variant_names}
    return {"private": [media.original.name] if media.original else [], "default": sorted(names)}


def _variant_name(media: Media, variant: str) -> str:
    return f"media/{media.pk}-{media.storage_key}/{variant}.webp"


# --- Jobs' services ---------------------------------------------------------------------------


def media_process(*, media_id: int) -> str:
    """Decode the original and write the WebP variants; the item becomes ready or failed with
    a reason its owner can read (the owning app's handlers run, media.hooks). Idempotent."""
    attempt = durable.run(
        Media,
        media_id,
        _render_variants,
        on_done=_became_ready,
        on_failed=_failed,
    )
    if attempt.outcome == "lost" and not Media.objects.filter(pk=media_id).exists():
        # Deleted while we worked: take back the files this run wrote.
        variants = attempt.result.get("variants", {})
        _files_delete({"default": [variant["name"] for variant in variants.values()]})
    return attempt.outcome


# --- Live updates: the owner's open pages hear that an item is ready or failed ------------------


def _became_ready(media: Media) -> None:
    hooks.media_became_ready(media)
    _publish_finished(media)


def _failed(media: Media) -> None:
    hooks.media_failed(media)
    _publish_finished(media)


def _publish_finished(media: Media) -> None:
    """After commit, event "media" to the owner's pages (core.events): a placeholder whose id
    it names asks for its fragment again, once (static/js/site.js)."""
    events.publish_on_commit(
        user_id=media.owner_id,
        kind="media",
        data={"id": media.pk, "status": media.status, "kind": media.kind},
    )


def _render_variants(media: Media) -> dict:
    """The slow part of processing: returns the fields a ready item gets."""
    checked = {}
    try:
        with storages["private"].open(media.original.name, "rb") as original:
            if not media.original_format:
                # A direct upload (media.direct_uploads): no request saw these bytes, so the
                # checks of an upload (size, sniffed format, header pixels) happen here first.
                probe = imaging.probe(original, media_limits())
                checked = {"original_format": probe.format, "original_size": original.size}
            rendered = imaging.render(
                original,
                limits=media_limits(),
                sizes=media_sizes(),
                avatar=media.kind == Media.Kind.AVATAR,
            )
    except imaging.ImageRejected as error:
        raise durable.PermanentFailure(str(error)) from error
    except JobTimeoutException as error:
        # The same image would take as long again.
        raise durable.PermanentFailure("Processing took too long; try a smaller image.") from error
    variants = {}
    for variant in rendered.variants:
        name = _variant_name(media, variant.name)
        _storage_write(storages["default"], name, variant.data)
        variants[variant.name] = {"name": name, "width": variant.width, "height": variant.height}
    return {
        **checked,
        "width": rendered.width,
        "height": rendered.height,
        "blurhash": rendered.blurhash,
        "animated": rendered.animated,
        "variants": variants,
    }


def _storage_write(storage: Storage, name: str, data: bytes) -> None:
    """Write `name` exactly (replacing it): the same run twice leaves the same file."""
    if storage.exists(name):
        storage.delete(name)
    saved = storage.save(name, ContentFile(data))
    if saved != name:  # another run wrote it between the two calls: the content is the same
        storage.delete(saved)


def media_files_delete(*, deletion_id: int) -> str:
    """Delete the files of a FileDeletion; idempotent (missing files are skipped)."""
    return durable.run(FileDeletion, deletion_id, lambda row: _files_delete(row.names)).outcome


def _files_delete(names: dict[str, list[str]]) -> None:
    for storage_name, file_names in names.items():
        storage = storages[storage_name]
        for name in file_names:
            if storage.exists(name):
                storage.delete(name)
