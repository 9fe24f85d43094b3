"""Every write about media: uploads, attaching photos to posts, processing, deleting files."""

import logging
import uuid
from datetime import timedelta

import django_rq
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.core.files.storage import Storage, storages
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from redis.exceptions import RedisError
from rq import Callback, Retry
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus

from accounts.models import User
from friends_site.errors import ApplicationError
from friends_site.heartbeat import RowHeartbeat
from posts import imaging
from posts.models import Media, Post

logger = logging.getLogger(__name__)

# --- Media ------------------------------------------------------------------------------------
# The request only checks what is cheap (size, format from the bytes, header pixel count),
# stores the original privately and writes the row; `process_media` (posts/jobs.py) does the
# rest on the "media" queue. Variants have deterministic names under
# media/<id>-<storage_key>/ in the public storage, so a second run writes the same files.

MEDIA_QUEUE = "media"


def _media_queue():
    # "auto": enqueue now. Callers already run after commit, and the sweeper must see a
    # Redis error at once (django-rq's default would defer it to a commit hook).
    return django_rq.get_queue(MEDIA_QUEUE, commit_mode="auto")


def media_limits() -> imaging.Limits:
    return imaging.Limits(
        max_bytes=settings.MEDIA_MAX_UPLOAD_BYTES,
        max_pixels=settings.MEDIA_MAX_PIXELS,
        max_frames=settings.MEDIA_MAX_FRAMES,
        max_animation_pixels=settings.MEDIA_MAX_ANIMATION_PIXELS,
    )


def media_sizes() -> imaging.Sizes:
    return imaging.Sizes(
        display=settings.MEDIA_DISPLAY_SIZE,
        thumbnail=settings.MEDIA_THUMBNAIL_SIZE,
        animated_display=settings.MEDIA_ANIMATED_DISPLAY_SIZE,
        avatar=tuple(settings.MEDIA_AVATAR_SIZES),
        quality=settings.MEDIA_WEBP_QUALITY,
    )


def _media_alt_text_validate(alt_text: str) -> str:
    alt_text = (alt_text or "").strip()
    if len(alt_text) > settings.MEDIA_ALT_TEXT_MAX:
        raise ApplicationError(
            f"The description is longer than {settings.MEDIA_ALT_TEXT_MAX} characters.",
            field="alt_text",
        )
    return alt_text


def _media_probe(file, *, field: str) -> imaging.Probe:
    try:
        return imaging.probe(file, media_limits())
    except imaging.ImageRejected as error:
        name = getattr(file, "name", "") or "The file"
        raise ApplicationError(f"{name}: {error}", field=field, code="invalid_image") from error


def _media_store(*, owner: User, file, probe: imaging.Probe, alt_text: str, kind: str) -> Media:
    """Store the original privately and write the row (caller's transaction); enqueue on commit."""
    extension = {"JPEG": "jpg", "HEIF": "heic"}.get(probe.format, probe.format.lower())
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
    # The name never comes from the upload: a random one with the sniffed extension. Storage is
    # looked up by name on every use (never through the field) so settings can swap it.
    private = storages["private"]
    today = timezone.now()
    media.original.name = private.save(
        f"originals/{today:%Y/%m}/{uuid.uuid4().hex}.{extension}", file
    )
    try:
        with transaction.atomic():
            media.save()
            transaction.on_commit(lambda: _media_enqueue(media_id=media.pk), robust=True)
    except Exception:
        private.delete(media.original.name)
        raise
    return media


def media_create(
    *, owner: User, file, alt_text: str = "", kind: str = Media.Kind.POST_IMAGE
) -> Media:
    """Accept an upload: cheap checks, original to private storage, a pending row; enqueues
    `process_media` after commit. Raises ApplicationError (nothing stored) for a bad file."""
    alt_text = _media_alt_text_validate(alt_text)
    probe = _media_probe(file, field="file")
    return _media_store(owner=owner, file=file, probe=probe, alt_text=alt_text, kind=kind)


def media_create_many(
    *, owner: User, files: list, alt_texts: list[str] | None = None
) -> list[Media]:
    """Accept several photos for a post (multipart `images`): every file is checked before any
    is stored. Writes pending rows; enqueues their processing after commit."""
    if len(files) > settings.MEDIA_MAX_PER_POST:
        raise ApplicationError(
            f"A post has at most {settings.MEDIA_MAX_PER_POST} photos.", field="images"
        )
    alt_texts = list(alt_texts or [])
    alt_texts += [""] * (len(files) - len(alt_texts))
    checked = [
        (file, _media_probe(file, field="images"), _media_alt_text_validate(alt))
        for file, alt in zip(files, alt_texts, strict=False)
    ]
    stored: list[Media] = []
    try:
        for file, probe, alt_text in checked:
            stored.append(
                _media_store(
                    owner=owner,
                    file=file,
                    probe=probe,
                    alt_text=alt_text,
                    kind=Media.Kind.POST_IMAGE,
                )
            )
    except Exception:
        for media in stored:
            storages["private"].delete(media.original.name)
        raise
    return stored


def _media_attachable(*, post: Post, owner: User, media_ids: list) -> dict[int, Media]:
    """Check `media_ids` may become the photos of `post`; returns them by id, locked."""
    try:
        ids = [int(media_id) for media_id in media_ids]
    except (TypeError, ValueError) as error:
        raise ApplicationError("Photo ids must be numbers.", field="media_ids") from error
    if len(set(ids)) != len(ids):
        raise ApplicationError("A photo is listed twice.", field="media_ids")
    if len(ids) > settings.MEDIA_MAX_PER_POST:
        raise ApplicationError(
            f"A post has at most {settings.MEDIA_MAX_PER_POST} photos.", field="media_ids"
        )
    found = {
        media.pk: media
        for media in Media.objects.select_for_update().filter(
            Q(post__isnull=True) | Q(post=post) if post.pk else Q(post__isnull=True),
            pk__in=ids,
            owner=owner,
            kind=Media.Kind.POST_IMAGE,
        )
    }
    missing = [media_id for media_id in ids if media_id not in found]
    if missing:
        raise ApplicationError(
            f"Unknown photo id(s): {', '.join(map(str, missing))}.", field="media_ids"
        )
    for media in found.values():
        if media.status == Media.Status.FAILED:
            raise ApplicationError(
                f"Photo {media.pk} could not be processed: {media.error}", field="media_ids"
            )
    return {media_id: found[media_id] for media_id in ids}


def media_attach(*, post: Post, owner: User, media_ids: list[int]) -> list[Media]:
    """Make `media_ids` (in this order) the photos of `post`; photos dropped from the post are
    deleted (files in a job). Call inside the post's transaction. Checks ownership, the count
    and that no photo belongs to another post."""
    with transaction.atomic():
        found = _media_attachable(post=post, owner=owner, media_ids=media_ids)
        for position, media_id in enumerate(found):
            Media.objects.filter(pk=media_id).update(post=post, position=position)
        for media in Media.objects.filter(post=post).exclude(pk__in=list(found)):
            _media_delete(media=media)
    return list(found.values())


def post_media_update(
    *,
    post: Post,
    owner: User,
    media_ids: list[int] | None = None,
    images: list | None = None,
    alt_texts: list[str] | None = None,
    remove_ids: list[int] | None = None,
) -> list[Media]:
    """The photos of `post` after a create/edit: `media_ids` (uploaded before, in order)
    replace the current ones when given, else the current ones minus `remove_ids`; new
    `images` (with `alt_texts`) are added at the end. Every check runs before any file is
    stored. Call it inside the post's transaction (post_create, post_update)."""
    images = list(images or [])
    if media_ids is None:
        removed = {int(media_id) for media_id in remove_ids or []}
        current = post.media.order_by("position", "id").values_list("pk", flat=True)
        media_ids = [media_id for media_id in current if media_id not in removed]
    if len(media_ids) + len(images) > settings.MEDIA_MAX_PER_POST:
        raise ApplicationError(
            f"A post has at most {settings.MEDIA_MAX_PER_POST} photos.",
            field="images" if images else "media_ids",
        )
    _media_attachable(post=post, owner=owner, media_ids=media_ids)
    new = media_create_many(owner=owner, files=images, alt_texts=alt_texts) if images else []
    return media_attach(post=post, owner=owner, media_ids=[*media_ids, *(m.pk for m in new)])


def media_update(*, media: Media, editor: User, alt_text: str) -> Media:
    """Change the alt text (owner only: PermissionDenied)."""
    if media.owner_id != editor.pk:
        raise PermissionDenied("Only the owner may change this photo.")
    media.alt_text = _media_alt_text_validate(alt_text)
    media.save(update_fields=["alt_text"])
    return media


def media_delete(*, media: Media, actor: User) -> None:
    """Delete a media item (owner only: PermissionDenied); its files go in a job after commit."""
    if media.owner_id != actor.pk:
        raise PermissionDenied("Only the owner may delete this photo.")
    with transaction.atomic():
        _media_delete(media=media)


def media_delete_for_post(*, post: Post) -> None:
    """Delete the photos of `post` (rows now, files in a job after commit).

    The post services call it from post_delete, before deleting the post.
    """
    with transaction.atomic():
        for media in Media.objects.filter(post=post):
            _media_delete(media=media)


def _media_file_names(media: Media) -> dict[str, list[str]]:
    """Every file an item may have, recorded or not (a running job may still write them)."""
    names = {name["name"] for name in media.variants.values() if name.get("name")}
    variant_names = ["display", "thumbnail"] + [f"avatar_{s}" for s in settings.MEDIA_AVATAR_SIZES]
    names |= {_media_variant_name(media, name) for name in variant_names}
    return {"private": [media.original.name] if media.original else [], "default": sorted(names)}


def _media_delete(*, media: Media) -> None:
    names = _media_file_names(media)
    User.objects.filter(avatar=media).update(avatar=None)
    Media.objects.filter(pk=media.pk).delete()
    transaction.on_commit(lambda: _media_files_delete_enqueue(names=names), robust=True)


def _media_files_delete_enqueue(*, names: dict[str, list[str]]) -> None:
    from posts.jobs import delete_media_files

    try:
        _media_queue().enqueue(
            delete_media_files,
            names,
            retry=Retry(max=3, interval=settings.MEDIA_JOB_RETRY_INTERVALS),
            result_ttl=600,
        )
    except RedisError:
        # No queue: deleting a few files is quick enough to do now.
        logger.warning("Redis unavailable; deleting media files in the request")
        media_files_delete(names=names)


def media_files_delete(*, names: dict[str, list[str]]) -> int:
    """Delete files by storage ("private"/"default") and name; idempotent. Returns the count."""
    deleted = 0
    for storage_name, file_names in names.items():
        storage = storages[storage_name]
        for name in file_names:
            if storage.exists(name):
                storage.delete(name)
                deleted += 1
    return deleted


def _media_variant_name(media: Media, variant: str) -> str:
    return f"media/{media.pk}-{media.storage_key}/{variant}.webp"


def _media_enqueue(*, media_id: int) -> bool:
    """Queue `process_media`; with Redis down the row stays pending for the sweeper."""
    from posts.jobs import media_job_failed, process_media

    try:
        job = _media_queue().enqueue(
            process_media,
            media_id,
            job_timeout=settings.MEDIA_JOB_TIMEOUT,
            retry=Retry(
                max=len(settings.MEDIA_JOB_RETRY_INTERVALS),
                interval=settings.MEDIA_JOB_RETRY_INTERVALS,
            ),
            on_failure=Callback(media_job_failed),
            result_ttl=600,
            failure_ttl=7 * 24 * 3600,
        )
    except RedisError:
        logger.warning("Redis unavailable; media %s stays pending for the sweeper", media_id)
        return False
    # The sweeper leaves an item alone while this job is still on its way.
    Media.objects.filter(pk=media_id, status=Media.Status.PENDING).update(job_id=job.id)
    return True


def _media_job_alive(job_id: str) -> bool:
    """True while the job is queued, scheduled (a retry) or running."""
    if not job_id:
        return False
    try:
        status = Job.fetch(job_id, connection=_media_queue().connection).get_status()
    except NoSuchJobError:
        return False
    return status in (JobStatus.QUEUED, JobStatus.SCHEDULED, JobStatus.DEFERRED, JobStatus.STARTED)


def _media_claim(*, media_id: int, job_id: str) -> Media | None:
    """Lock the row and mark it processing; None when there is nothing to do."""
    with transaction.atomic():
        media = Media.objects.select_for_update().filter(pk=media_id).first()
        if media is None or media.status in (Media.Status.READY, Media.Status.FAILED):
            return None
        if media.attempts >= settings.MEDIA_MAX_ATTEMPTS:
            media_fail(
                media_id=media_id,
                reason="The photo could not be processed; please upload it again.",
            )
            return None
        started = timezone.now()
        claimed = Media.objects.filter(
            pk=media_id, status__in=[Media.Status.PENDING, Media.Status.PROCESSING]
        ).update(
            status=Media.Status.PROCESSING,
            processing_started_at=started,
            attempts=F("attempts") + 1,
            job_id=job_id,
        )
        if not claimed:
            return None
    media.status, media.processing_started_at = Media.Status.PROCESSING, started
    return media


def _storage_write(storage: Storage, name: str, data: bytes) -> None:
    """Write `name` exactly (replacing it): the same run twice leaves the same file."""
    if storage.exists(name):
        storage.delete(name)
    saved = storage.save(name, ContentFile(data))
    if saved != name:  # another run wrote it between the two calls: the content is the same
        storage.delete(saved)


def media_process(*, media_id: int, job_id: str = "") -> Media | None:
    """Decode the original, write the WebP variants, mark the item ready (or failed with a
    reason for a bad image); avatars become the owner's avatar. Idempotent; transient errors
    (storage, database) propagate so the job retries."""
    media = _media_claim(media_id=media_id, job_id=job_id)
    if media is None:
        return None
    avatar = media.kind == Media.Kind.AVATAR
    # The heartbeat tells the sweeper this worker is alive however long the photo takes.
    heartbeat = RowHeartbeat(
        Media.objects.filter(pk=media_id, status=Media.Status.PROCESSING),
        field="processing_started_at",
        stamp=media.processing_started_at,
        interval=settings.CLAIM_HEARTBEAT,
    )
    try:
        with heartbeat, storages["private"].open(media.original.name, "rb") as original:
            rendered = imaging.render(
                original, limits=media_limits(), sizes=media_sizes(), avatar=avatar
            )
    except imaging.ImageRejected as error:
        media_fail(media_id=media_id, reason=str(error))
        return None
    public = storages["default"]
    variants = {}
    for variant in rendered.variants:
        name = _media_variant_name(media, variant.name)
        _storage_write(public, name, variant.data)
        variants[variant.name] = {"name": name, "width": variant.width, "height": variant.height}
    with transaction.atomic():
        updated = Media.objects.filter(pk=media_id, status=Media.Status.PROCESSING).update(
            status=Media.Status.READY,
            error="",
            width=rendered.width,
            height=rendered.height,
            blurhash=rendered.blurhash,
            animated=rendered.animated,
            variants=variants,
            processed_at=timezone.now(),
        )
        if updated and avatar:
            _avatar_set(media=media)
    if not updated and not Media.objects.filter(pk=media_id).exists():
        # Deleted while we worked: take back the files this run wrote.
        media_files_delete(names={"default": [v["name"] for v in variants.values()]})
        return None
    media.refresh_from_db()
    return media


def _avatar_set(*, media: Media) -> None:
    """Make a ready avatar the owner's, unless a newer upload exists; the old one is deleted."""
    newer = Media.objects.filter(
        owner_id=media.owner_id, kind=Media.Kind.AVATAR, pk__gt=media.pk
    ).exclude(status=Media.Status.FAILED)
    if newer.exists():
        _media_delete(media=media)
        return
    owner = User.objects.select_for_update().get(pk=media.owner_id)
    previous = Media.objects.filter(pk=owner.avatar_id).first() if owner.avatar_id else None
    User.objects.filter(pk=owner.pk).update(avatar=media)
    if previous is not None and previous.pk != media.pk:
        _media_delete(media=previous)


def media_fail(*, media_id: int, reason: str, job_id: str | None = None) -> bool:
    """Mark an unfinished item failed with a reason its owner can read. With `job_id`, only
    when that job still owns the item (a late callback of an older job changes nothing)."""
    queryset = Media.objects.filter(
        pk=media_id, status__in=[Media.Status.PENDING, Media.Status.PROCESSING]
    )
    if job_id is not None:
        queryset = queryset.filter(job_id=job_id)
    return bool(
        queryset.update(status=Media.Status.FAILED, error=reason[:500], processed_at=timezone.now())
    )


def media_requeue_stale() -> int:
    """Re-enqueue items left pending (Redis was down) or processing past any job's time (the
    worker died); delete post photos never attached. Returns how many were re-enqueued."""
    now = timezone.now()
    pending_before = now - timedelta(seconds=settings.MEDIA_PENDING_STALE_SECONDS)
    processing_before = now - timedelta(seconds=settings.MEDIA_PROCESSING_STALE_SECONDS)
    stale = Media.objects.filter(
        Q(status=Media.Status.PENDING, queued_at__lte=pending_before)
        | Q(status=Media.Status.PROCESSING, processing_started_at__lte=processing_before)
    ).values_list("pk", flat=True)
    count = 0
    for media_id in list(stale[:500]):
        with transaction.atomic():
            media = Media.objects.select_for_update().filter(pk=media_id).first()
            if media is None or media.status in (Media.Status.READY, Media.Status.FAILED):
                continue
            if media.status == Media.Status.PENDING and _media_job_alive(media.job_id):
                continue  # a backlog, not a loss: its job is still queued
            if media.attempts >= settings.MEDIA_MAX_ATTEMPTS:
                media_fail(
                    media_id=media_id,
                    reason="The photo could not be processed; please upload it again.",
                )
                continue
            Media.objects.filter(pk=media_id).update(status=Media.Status.PENDING, queued_at=now)
        if _media_enqueue(media_id=media_id):
            count += 1
    abandoned = Media.objects.filter(
        kind=Media.Kind.POST_IMAGE,
        post__isnull=True,
        created_at__lte=now - timedelta(seconds=settings.MEDIA_UNATTACHED_TTL_SECONDS),
    )
    for media in abandoned[:500]:
        with transaction.atomic():
            _media_delete(media=media)
    return count


def media_reprocess(*, media: Media) -> None:
    """Process an item again from its original (admin); resets it to pending, enqueues the job
    after commit. The files it writes have the same names."""
    Media.objects.filter(pk=media.pk).update(
        status=Media.Status.PENDING, error="", attempts=0, queued_at=timezone.now()
    )
    transaction.on_commit(lambda: _media_enqueue(media_id=media.pk), robust=True)


def avatar_upload(*, user: User, file) -> Media:
    """Accept a new avatar (checked like any photo); it replaces the current one once the
    worker has made its square crops. Writes a pending Media; enqueues processing after commit."""
    return media_create(owner=user, file=file, kind=Media.Kind.AVATAR)
