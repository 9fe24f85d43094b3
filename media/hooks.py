"""What happens when an item becomes ready, or fails, is decided by the app that uses it.

Media knows nothing of posts or profiles: an app registers a handler for a kind in its
`AppConfig.ready()` (accounts: a ready avatar becomes the person's avatar; posts: a photo that
failed notifies its owner). Handlers run inside the transaction that marks the item ready or
failed, so they succeed or fail with it. Accounts also registers who sees whom (people who
left, blocks): others' items follow it (owners_visible_q).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

from django.db.models import Q

_ON_READY: dict[str, list[Callable]] = defaultdict(list)
_ON_FAILED: dict[str, list[Callable]] = defaultdict(list)


def on_ready(kind: str, handler: Callable) -> None:
    """Call `handler(media)` when an item of `kind` (Media.Kind) becomes ready."""
    _ON_READY[kind].append(handler)


def media_became_ready(media) -> None:
    for handler in _ON_READY[media.kind]:
        handler(media)


def on_failed(kind: str, handler: Callable) -> None:
    """Call `handler(media)` when an item of `kind` fails for good (its reason in
    `media.last_error`)."""
    _ON_FAILED[kind].append(handler)


def media_failed(media) -> None:
    for handler in _ON_FAILED[media.kind]:
        handler(media)


_OWNERS_VISIBLE: list[Callable] = []


def on_owner_visibility(filter_for: Callable) -> None:
    """Register `filter_for(viewer)`, a Q on items keeping those whose `owner` the viewer may
    see (accounts.policies.people_visible_q): others' items of anyone else are hidden."""
    _OWNERS_VISIBLE.append(filter_for)


def owners_visible_q(viewer) -> Q:
    visible = Q()
    for filter_for in _OWNERS_VISIBLE:
        visible &= filter_for(viewer)
    return visible
