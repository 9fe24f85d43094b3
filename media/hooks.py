"""What happens when an item becomes ready is decided by the app that uses it.

Media knows nothing of posts or profiles: an app registers a handler for a kind in its
`AppConfig.ready()` (accounts: a ready avatar becomes the person's avatar). Handlers run inside
the transaction that marks the item ready, so they succeed or fail with it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

_ON_READY: dict[str, list[Callable]] = defaultdict(list)


def on_ready(kind: str, handler: Callable) -> None:
    """Call `handler(media)` when an item of `kind` (Media.Kind) becomes ready."""
    _ON_READY[kind].append(handler)


def media_became_ready(media) -> None:
    for handler in _ON_READY[media.kind]:
        handler(media)
