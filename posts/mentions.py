"""@username mentions in the text of posts and comments: where they are, and which name each
one means. No database here: posts.selectors.mentions_resolve looks the names up (one query for
a whole page), the notification job notifies the people found, and the `linkify` filter links
them (posts.templatetags.post_text).

A mention is "@" and the characters a username may hold (letters, digits and `_.@+-`), at the
start of the text or after a space or an opening bracket or quote, so that an email address or
an address like https://example.com/@name is no mention. A username may end in ".", "-", "+" or
"@", which a sentence also puts after a name ("Thanks @alice."): the longest name that exists
wins ("@alice." is alice when nobody is called "alice.").
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

# At most this many different names are mentions in one text: more are left as plain text, so
# that a post cannot notify a crowd.
MAX_MENTIONS = 20
_MENTION = re.compile(r"(?<![^\s(\[{\"'“‘«])@([\w.@+-]+)")
_TRAILING = ".@+-"
_USERNAME_MAX = 150


@dataclass(frozen=True)
class Mention:
    start: int  # where its "@" is in the text
    token: str  # what follows the "@", as typed (may hold trailing punctuation)

    def _prefixes(self) -> list[str]:
        """The names it may mean as typed, longest first."""
        token, prefixes = self.token[:_USERNAME_MAX], []
        while token:
            prefixes.append(token)
            if token[-1] not in _TRAILING:
                break
            token = token[:-1]
        return prefixes

    def names(self) -> list[str]:
        """The usernames it may mean, lowercased, longest first."""
        return [prefix.lower() for prefix in self._prefixes()]

    def resolve(self, found: dict[str, str]) -> tuple[str, str] | None:
        """(username, the name as typed) of the person it means among `found` ({lowercased
        name: username}), or None."""
        for prefix in self._prefixes():
            username = found.get(prefix.lower())
            if username is not None:
                return username, prefix
        return None


def mentions_in(text: str | None) -> Iterator[Mention]:
    """The mentions of `text` in order, up to MAX_MENTIONS different ones."""
    seen: set[str] = set()
    for match in _MENTION.finditer(text or ""):
        token = match.group(1)
        key = token.lower()
        if key not in seen:
            if len(seen) >= MAX_MENTIONS:
                continue
            seen.add(key)
        yield Mention(start=match.start(), token=token)


def mentioned_names(text: str | None) -> set[str]:
    """Every lowercased username that the mentions of `text` may mean (to look up)."""
    return {name for mention in mentions_in(text) for name in mention.names()}
