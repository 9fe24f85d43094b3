"""Who may do what: one `Rule` per action on an object kind, in each app's `policies.py`.

A rule answers for pages (whether to show a link), for views (refuse early) and for services,
which enforce it once before they write:

    delete_post = Rule("posts.delete_post", "Only the author may delete this post.",
                       lambda user, post: post.author_id == user.pk or is_moderator(user, ...))
    delete_post.allows(user, post)      # True / False
    delete_post.enforce(user, post)     # PermissionDenied with the message, or nothing

Templates ask by name: {% load permissions %}{% allowed "posts.delete_post" post as can %}.

A rule made with `hidden=True` refuses as if the object were not there (Http404 with the
message): what a person may not even know of, such as someone who blocked them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404

_RULES: dict[str, Rule] = {}


@dataclass(frozen=True)
class Rule:
    name: str
    message: str
    test: Callable[[Any, Any], bool]
    hidden: bool = False

    def __post_init__(self) -> None:
        _RULES[self.name] = self

    def allows(self, user, obj) -> bool:
        return bool(user is not None and user.is_authenticated and self.test(user, obj))

    def enforce(self, user, obj) -> None:
        if not self.allows(user, obj):
            raise (Http404 if self.hidden else PermissionDenied)(self.message)


def rule(name: str) -> Rule:
    return _RULES[name]


def is_moderator(user, permission: str) -> bool:
    """Staff with the admin permission for the action (the admin acts through the services)."""
    return user.is_staff and user.has_perm(permission)
