"""Reads about media that pages and the API share."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from media import hooks
from media.models import Media


def media_visible_to(viewer) -> QuerySet:
    """Media `viewer` may see: all of their own; of others', ready items in use (a post's
    photos, avatars), never unready, failed or abandoned ones, nor those of people the viewer
    may not see (media.hooks.owners_visible_q: accounts' rule)."""
    others = Q(status=Media.Status.DONE, attached_at__isnull=False) & hooks.owners_visible_q(viewer)
    if viewer is not None and viewer.is_authenticated:
        return Media.objects.filter(others | Q(owner=viewer))
    return Media.objects.filter(others)


def media_get(*, media_id: int, viewer) -> Media:
    """One item `viewer` may see, or Http404."""
    return get_object_or_404(media_visible_to(viewer), pk=media_id)


def media_newest_unready(*, owner, kind: str) -> Media | None:
    """The newest item of `owner` of this kind when it is not ready (processing or failed)."""
    if owner is None or not owner.is_authenticated:
        return None
    newest = Media.objects.filter(owner=owner, kind=kind).order_by("-pk").first()
    if newest is None or newest.status == Media.Status.DONE:
        return None
    return newest


# --- Live updates -----------------------------------------------------------------------------

LIVE_WAITING_MAX = 50


def media_live_state(user, query) -> list[tuple[str, dict]]:
    """What a page's event stream sends first on every (re)connect (core.events.on_connect): of
    the person's own photos the page waits for (`?media=3,5`: its placeholders), those that
    finished before the stream listened, as the "media" events it missed. One query at most."""
    ids = []
    for part in query.get("media", "").split(",")[:LIVE_WAITING_MAX]:
        if part.strip().isdigit() and len(part.strip()) < 19:
            ids.append(int(part))
    if not ids:
        return []
    finished = Media.objects.filter(
        owner=user, pk__in=ids, status__in=[Media.Status.DONE, Media.Status.FAILED]
    ).values_list("pk", "status", "kind")
    return [
        ("media", {"id": pk, "status": status, "kind": kind})
        for pk, status, kind in finished.order_by("pk")
    ]
