"""What the apps above accounts do when an account is deleted, registered in their ready().

Accounts knows nothing of posts: posts registers a handler that takes the person's likes and
comments off other people's posts before the rows go (the counters stay right). Handlers run in
the transaction of `user_delete`, before the user row is deleted.
"""

from __future__ import annotations

from collections.abc import Callable

_ON_USER_DELETE: list[Callable] = []


def on_user_delete(handler: Callable) -> None:
    """Call `handler(user)` inside the deletion's transaction, before the row is deleted."""
    _ON_USER_DELETE.append(handler)


def user_deleting(user) -> None:
    for handler in _ON_USER_DELETE:
        handler(user)
