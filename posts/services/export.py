"""Download your data: every write about data exports (posts.DataExport).

The path: `export_start` (the page or POST me/export/) writes a pending DataExport (one
unfinished export a person: a lock and a partial unique constraint) and queues the job
`export_data` after commit (core.durable). The job streams everything of the person into a zip
in a temporary file: JSON files written a row at a time from querysets read in chunks
(`.iterator(chunk_size=...)`), an index.html rendered a few rows at a time beside them (it is
copied into the zip at the end), then the original photos copied from storage a megabyte at a
time; memory stays the same whatever the person's size. The zip goes to private storage under
a name fixed by the row, progress (`items_done` of `items_total`) is written every few items
and published to the person's open pages (core.events, kind "export"). When it is done the
email with the download link is queued in the same transaction (an EmailDelivery of kind
export_ready). A worker killed half-way: the sweep hands the row out again and the job starts
again from the beginning (a fresh temporary file, the same storage name), so running it twice
is harmless. The link works EXPORT_LINK_DAYS days for its owner only; then the sweep deletes the
file and marks the row expired.
"""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import PurePosixPath

from django.conf import settings
from django.core.files import File
from django.core.files.storage import storages
from django.db import IntegrityError, transaction
from django.db.models import Prefetch
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from accounts.models import EmailDelivery, Follow, User
from accounts.services import email_delivery_queue
from core import durable, events
from core.errors import ApplicationError
from media.services import files_discard
from posts.models import Bookmark, Comment, DataExport, Like, Notification, Post, PostPhoto

logger = logging.getLogger(__name__)

ROWS_PER_QUERY = 500  # rows read from the database at a time
ROWS_PER_RENDER = 50  # rows of index.html rendered at a time
COPY_CHUNK_BYTES = 1024 * 1024  # photos and index.html are copied into the zip by this much
PROGRESS_EVERY_ITEMS = 50
PROGRESS_EVERY_SECONDS = 1.0

# --- Starting one -----------------------------------------------------------------------------


def export_start(*, user: User) -> DataExport:
    """Start an export of everything of `user`: writes a pending DataExport, queued after
    commit. ApplicationError (409, code export_running) while one is still on its way."""
    running = _("An export of your data is already on its way; it will be ready soon.")
    with transaction.atomic():
        # One start of a person at a time; the partial unique constraint is the last word.
        list(User.objects.select_for_update().filter(pk=user.pk).values_list("pk"))
        if DataExport.objects.filter(
            user=user, status__in=[DataExport.Status.PENDING, DataExport.Status.PROCESSING]
        ).exists():
            raise ApplicationError(running, code="export_running", status=409)
        try:
            with transaction.atomic():
                export = DataExport.objects.create(user=user)
        except IntegrityError as error:
            raise ApplicationError(running, code="export_running", status=409) from error
        durable.enqueue_on_commit(export)
        _publish(export)
    return export


# --- The job's work ---------------------------------------------------------------------------


def export_run(*, export_id: int) -> str:
    """Write the zip of one DataExport unless it is finished or claimed (export_data's
    service): writes the file to private storage, the row's progress, and queues the email.
    Returns the outcome (core.durable.Attempt)."""
    attempt = durable.run(
        DataExport, export_id, _export_write, on_done=_export_done, on_failed=_export_failed
    )
    if attempt.outcome == "lost" and attempt.result and attempt.result.get("file"):
        # The person left (the row is gone) while the zip was written: the file goes too.
        files_discard(names={"private": [attempt.result["file"]]})
    return attempt.outcome


def export_file_name(export: DataExport) -> str:
    """Where the zip of `export` is stored (private storage): fixed by the row, so that an
    attempt after a crash writes the same file."""
    return f"exports/{export.pk}-{export.storage_key}.zip"


def export_download_name(export: DataExport) -> str:
    """The file name a browser saves the zip under."""
    return f"friends-{export.user.username}-{export.created_at:%Y-%m-%d}.zip"


def _export_write(export: DataExport) -> dict:
    user = User.objects.select_related("avatar").filter(pk=export.user_id).first()
    if user is None or not user.is_active:
        raise durable.PermanentFailure("The account is no longer active.")
    # index.html in the person's language (the worker has no request to take it from).
    with translation.override(getattr(user, "language", "") or settings.LANGUAGE_CODE):
        return _export_zip(export, user)


def _export_zip(export: DataExport, user: User) -> dict:
    sections = _sections(user)
    photos = _photos_of(user)
    total = 1 + sum(section.queryset.count() for section in sections) + photos.count()
    total += 1 if _avatar_original(user) else 0
    # From the start again (an attempt after a crash too): the first figures on the row.
    DataExport.objects.filter(pk=export.pk).update(items_done=0, items_total=total)
    progress = _Progress(export, total)
    progress.publish()
    storage = storages["private"]
    name = export_file_name(export)
    with tempfile.TemporaryFile(dir=settings.FILE_UPLOAD_TEMP_DIR) as archive_file:
        with (
            zipfile.ZipFile(archive_file, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive,
            tempfile.TemporaryFile("w+", encoding="utf-8") as index,
        ):
            context = {"person": user, "sections": sections, "generated_at": timezone.now()}
            context["avatar_file"] = _avatar_file(user)
            index.write(render_to_string(_INDEX, {**context, "part": "start"}))
            _write_json(archive, "profile.json", [_profile_row(user)])
            progress.add(1)
            for section in sections:
                _write_section(archive, index, section, progress)
            index.write(render_to_string(_INDEX, {**context, "part": "end"}))
            index.seek(0)
            with archive.open(_entry("index.html"), "w") as entry:
                while chunk := index.read(COPY_CHUNK_BYTES // 4):
                    entry.write(chunk.encode("utf-8"))
            _copy_photos(archive, storage, user, photos, progress)
        size = archive_file.tell()
        archive_file.seek(0)
        if storage.exists(name):  # an earlier attempt's file: replaced, never a second name
            storage.delete(name)
        saved = storage.save(name, File(archive_file, name=name))
    progress.finish()
    expires_at = timezone.now() + timedelta(days=settings.EXPORT_LINK_DAYS)
    return {"file": saved, "size": size, "items_done": total, "expires_at": expires_at}


def _export_done(export: DataExport) -> None:
    """In the transaction that marks it done: the email with the link, and the person's older
    exports expire now (one zip a person is kept; the sweep deletes their files)."""
    email_delivery_queue(user=export.user, kind=EmailDelivery.Kind.EXPORT_READY)
    DataExport.objects.filter(
        user_id=export.user_id, status=DataExport.Status.DONE, expired_at__isnull=True
    ).exclude(pk=export.pk).update(expires_at=timezone.now())
    _publish(export)


def _export_failed(export: DataExport) -> None:
    files_discard(names={"private": [export_file_name(export)]})
    _publish(export)


def _publish(export: DataExport) -> None:
    events.publish_on_commit(
        user_id=export.user_id,
        kind="export",
        data={
            "id": export.pk,
            "done": export.items_done,
            "total": export.items_total,
            "status": export.state,
        },
    )


class _Progress:
    """Items done of the total, written to the row (only ever forward) and published every
    PROGRESS_EVERY_ITEMS items or PROGRESS_EVERY_SECONDS, whichever comes first."""

    def __init__(self, export: DataExport, total: int):
        self.export, self.total, self.done, self.written = export, total, 0, 0
        self.written_at = time.monotonic()

    def add(self, count: int = 1) -> None:
        self.done = min(self.done + count, self.total)
        elapsed = time.monotonic() - self.written_at
        if self.done - self.written >= PROGRESS_EVERY_ITEMS or elapsed >= PROGRESS_EVERY_SECONDS:
            self.publish()

    def publish(self) -> None:
        # Conditional: only this worker's claim, and never backwards.
        DataExport.objects.filter(
            pk=self.export.pk, status=DataExport.Status.PROCESSING, items_done__lte=self.done
        ).update(items_done=self.done)
        self.export.items_done, self.export.items_total = self.done, self.total
        self.written, self.written_at = self.done, time.monotonic()
        _publish(self.export)

    def finish(self) -> None:
        self.done = self.total
        self.publish()


# --- What goes in the zip ---------------------------------------------------------------------

_INDEX = "posts/export/index.html"
_ITEMS = "posts/export/_items.html"
_FOLDER = "friends-data"


def _entry(name: str) -> zipfile.ZipInfo:
    """An entry of the zip, under one folder (unzipping makes one folder, not a dozen files)."""
    info = zipfile.ZipInfo(f"{_FOLDER}/{name}", date_time=time.localtime()[:6])
    # Photos are compressed already: stored as they are; text is deflated.
    photo = name.startswith(("photos/", "avatar."))
    info.compress_type = zipfile.ZIP_STORED if photo else zipfile.ZIP_DEFLATED
    return info


@dataclass(frozen=True)
class Section:
    key: str  # the JSON file's name and the template's section
    title: str
    queryset: object
    row: Callable[[object], dict]


def _sections(user: User) -> list[Section]:
    photo_links = Prefetch(
        "photo_links", queryset=PostPhoto.objects.select_related("media").order_by("position")
    )
    return [
        Section(
            "posts",
            _("Posts"),
            Post.objects.filter(author=user)
            .order_by("-created_at", "-id")
            .prefetch_related(photo_links),
            _post_row,
        ),
        Section(
            "comments",
            _("Comments"),
            Comment.objects.filter(author=user)
            .select_related("post__author")
            .order_by("-created_at", "-id"),
            _comment_row,
        ),
        Section(
            "likes",
            _("Likes"),
            Like.objects.filter(user=user)
            .select_related("post__author")
            .order_by("-created_at", "-id"),
            _post_reference_row,
        ),
        Section(
            "bookmarks",
            _("Bookmarks"),
            Bookmark.objects.filter(user=user)
            .select_related("post__author")
            .order_by("-created_at", "-id"),
            _post_reference_row,
        ),
        Section(
            "following",
            _("Following"),
            Follow.objects.filter(follower=user)
            .select_related("followee")
            .order_by("-created_at", "-id"),
            lambda follow: _person_row(follow.followee, follow.created_at),
        ),
        Section(
            "followers",
            _("Followers"),
            Follow.objects.filter(followee=user)
            .select_related("follower")
            .order_by("-created_at", "-id"),
            lambda follow: _person_row(follow.follower, follow.created_at),
        ),
        Section(
            "notifications",
            _("Notifications"),
            Notification.objects.filter(recipient=user)
            .select_related("latest_actor", "post")
            .order_by("-updated_at", "-id"),
            _notification_row,
        ),
    ]


def _time(value) -> str | None:
    return value.isoformat() if value is not None else None


def _profile_row(user: User) -> dict:
    return {
        "username": user.username,
        "display_name": user.display_name,
        "email": user.email,
        "bio": user.bio,
        "date_joined": _time(user.date_joined),
        "likes_public": user.likes_public,
        "avatar": _avatar_file(user),
    }


def _photo_file(link: PostPhoto) -> str:
    suffix = PurePosixPath(link.media.original.name or "").suffix.lower() or ".jpg"
    return f"photos/{link.post_id}-{link.position + 1}{suffix}"


def _post_row(post: Post) -> dict:
    return {
        "id": post.pk,
        "title": post.title,
        "body": post.body,
        "created_at": _time(post.created_at),
        "edited_at": _time(post.edited_at),
        "like_count": post.like_count,
        "comment_count": post.comment_count,
        "photos": [
            {
                "file": _photo_file(link),
                "alt_text": link.media.alt_text,
                "width": link.media.width,
                "height": link.media.height,
            }
            for link in post.photo_links.all()
            if link.media.original
        ],
    }


def _comment_row(comment: Comment) -> dict:
    return {
        "id": comment.pk,
        "body": comment.body,
        "created_at": _time(comment.created_at),
        "edited_at": _time(comment.edited_at),
        "post": _post_reference(comment.post),
    }


def _post_reference(post: Post) -> dict:
    return {"id": post.pk, "title": post.title, "author": post.author.username}


def _post_reference_row(row: Like | Bookmark) -> dict:
    return {"created_at": _time(row.created_at), "post": _post_reference(row.post)}


def _person_row(person: User, since) -> dict:
    return {"username": person.username, "display_name": person.display_name, "since": _time(since)}


def _notification_row(notification: Notification) -> dict:
    actor = notification.latest_actor
    return {
        "kind": notification.kind,
        "description": notification.get_kind_display(),
        "latest_actor": actor.username if actor else None,
        "actor_count": notification.actor_count,
        "post": {"id": notification.post.pk, "title": notification.post.title}
        if notification.post
        else None,
        "updated_at": _time(notification.updated_at),
        "read_at": _time(notification.read_at),
    }


def _chunks(rows: Iterable, size: int) -> Iterator[list]:
    chunk = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _write_json(archive: zipfile.ZipFile, name: str, rows: Iterable[dict]) -> None:
    """A JSON array written an element at a time (profile.json is a one-element array)."""
    with archive.open(_entry(name), "w") as entry:
        entry.write(b"[")
        for number, row in enumerate(rows):
            entry.write((",\n" if number else "\n").encode())
            entry.write(json.dumps(row, ensure_ascii=False, indent=1).encode("utf-8"))
        entry.write(b"\n]\n")


def _write_section(archive, index, section: Section, progress: _Progress) -> None:
    """`<key>.json` in the zip, and the section of index.html, from one pass over the rows."""
    with archive.open(_entry(f"{section.key}.json"), "w") as entry:
        entry.write(b"[")
        index.write(render_to_string(_ITEMS, {"section": section, "part": "start"}))
        number = 0
        rows = (section.row(item) for item in section.queryset.iterator(ROWS_PER_QUERY))
        for chunk in _chunks(rows, ROWS_PER_RENDER):
            for row in chunk:
                entry.write((",\n" if number else "\n").encode())
                entry.write(json.dumps(row, ensure_ascii=False, indent=1).encode("utf-8"))
                number += 1
                progress.add(1)
            index.write(render_to_string(_ITEMS, {"section": section, "items": chunk}))
        entry.write(b"\n]\n")
        index.write(render_to_string(_ITEMS, {"section": section, "part": "end", "count": number}))


def _photos_of(user: User):
    return (
        PostPhoto.objects.filter(post__author=user)
        .exclude(media__original="")
        .select_related("media")
        .order_by("post_id", "position")
    )


def _avatar_original(user: User) -> str:
    return user.avatar.original.name if user.avatar_id and user.avatar.original else ""


def _avatar_file(user: User) -> str | None:
    original = _avatar_original(user)
    return f"avatar{PurePosixPath(original).suffix.lower() or '.jpg'}" if original else None


def _copy_photos(archive, storage, user: User, photos, progress: _Progress) -> None:
    """The original of every photo of the person's posts (and of their avatar), copied from
    storage a chunk at a time. A file missing from storage is left out (logged)."""
    files = ((_photo_file(link), link.media.original.name) for link in photos.iterator(500))
    if _avatar_original(user):
        files = _chain([(_avatar_file(user), _avatar_original(user))], files)
    for name, original in files:
        try:
            source = storage.open(original, "rb")
        except FileNotFoundError:
            logger.warning("Export %s: the original %s is missing", progress.export.pk, original)
            progress.add(1)
            continue
        with source, archive.open(_entry(name), "w") as entry:
            shutil.copyfileobj(source, entry, COPY_CHUNK_BYTES)
        progress.add(1)


def _chain(*iterables):
    for iterable in iterables:
        yield from iterable


# --- Downloading, expiring, leaving -----------------------------------------------------------


def export_download_url(export: DataExport) -> str:
    return reverse("posts:export_download", args=[export.pk])


def export_email_context(delivery: EmailDelivery) -> dict:
    """What the export_ready email says (accounts.hooks.on_email_context): the link to the
    person's newest ready export, and until when it works."""
    export = (
        DataExport.objects.filter(user_id=delivery.user_id, status=DataExport.Status.DONE)
        .order_by("-created_at", "-id")
        .first()
    )
    if export is None or not export.is_ready:
        raise durable.PermanentFailure("The export expired before the email was sent.")
    return {
        "download_url": settings.SITE_URL + export_download_url(export),
        "expires_on": formats.date_format(timezone.localtime(export.expires_at), "DATETIME_FORMAT"),
    }


def exports_expire() -> int:
    """Sweep task: files of exports past `expires_at` are deleted (by the file-deletion job,
    after commit) and the rows marked expired. Returns how many."""
    now = timezone.now()
    due = list(
        DataExport.objects.filter(
            status=DataExport.Status.DONE, expired_at__isnull=True, expires_at__lte=now
        )
        .order_by("pk")
        .values_list("pk", "file")[:500]
    )
    if not due:
        return 0
    with transaction.atomic():
        DataExport.objects.filter(pk__in=[pk for pk, _file in due]).update(expired_at=now, file="")
        files_discard(names={"private": [name for _pk, name in due if name]})
    return len(due)


def exports_user_deleting(user: User) -> None:
    """An account is being deleted (accounts.hooks, in its transaction): the files of its
    exports go by a job after commit (the rows go with the user)."""
    names = [
        name for name in DataExport.objects.filter(user=user).values_list("file", flat=True) if name
    ]
    files_discard(names={"private": names})
