"""What the apps above accounts do when something happens to people, registered in their
ready().

Accounts knows nothing of posts: posts registers a handler that takes the person's likes and
comments off other people's posts before the rows go (the counters stay right). Handlers run in
the transaction of `user_delete`, before the user row is deleted. Posts also registers what a
new follow does (a notification), run in the transaction of `follow_create`.
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


_ON_FOLLOW_CREATED: list[Callable] = []


def on_follow_created(handler: Callable) -> None:
    """Call `handler(follow)` inside follow_create's transaction when a follow is new."""
    _ON_FOLLOW_CREATED.append(handler)


def follow_created(follow) -> None:
    for handler in _ON_FOLLOW_CREATED:
        handler(follow)


_EMAIL_CONTEXT: dict[str, Callable] = {}


def on_email_context(kind: str, handler: Callable) -> None:
    """Emails of `kind` (EmailDelivery.Kind) are about things of an app above accounts (a data
    export): `handler(delivery)` returns what their templates need, or raises
    core.durable.PermanentFailure when there is nothing to send any more."""
    _EMAIL_CONTEXT[kind] = handler


def email_context(delivery) -> dict:
    handler = _EMAIL_CONTEXT.get(delivery.kind)
    return handler(delivery) if handler is not None else {}
