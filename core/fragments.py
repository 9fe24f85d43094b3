"""Markup drawn once and used again by later requests: the per-request values as markers.

A fragment kept in a process or in the shared cache must not carry what differs from one
request to the next: the CSRF token of its forms and the page address they return to. It is
drawn with markers in their place (`drawing_values`, pushed into the template's context), and
each request fills in its own (`fill` with `request_values`). Private-use characters, which no
template text and no escaped value contains.

posts.cards (post cards) and accounts.suggestion_box (the lists of suggestions) use it.
"""

from __future__ import annotations

import hashlib
import re

from django.utils.html import escape

MARKERS = {
    "csrf_token": "\ue000csrf\ue000",
    "next_url": "\ue000next\ue000",
}


def drawing_values() -> dict[str, str]:
    """The context values to draw a fragment with: the markers."""
    return dict(MARKERS)


def request_values(context) -> dict[str, str]:
    """This request's values for the markers, escaped as {{ }} would escape them."""
    request = context.get("request")
    return {
        "csrf_token": escape(str(context.get("csrf_token", ""))),
        "next_url": escape(request.get_full_path() if request else ""),
    }


def templates_version(engine, names, *parts) -> str:
    """A digest of the templates `names` (their source in `engine`) and of `parts`: part of a
    kept fragment's key or entry, so that a deploy that changes one draws it again."""
    sources = [engine.get_template(name).source for name in names]
    return hashlib.blake2b(repr((sources, *parts)).encode(), digest_size=16).hexdigest()


class Filler:
    """Fills the markers of `markers` ({name: marker}) in one pass: a value filled in is never
    read again for markers."""

    def __init__(self, markers: dict[str, str]):
        self._names = {marker: name for name, marker in markers.items()}
        self._pattern = re.compile("|".join(re.escape(marker) for marker in markers.values()))

    def __call__(self, markup: str, values: dict[str, str]) -> str:
        return self._pattern.sub(lambda found: values[self._names[found.group()]], markup)


fill = Filler(MARKERS)
