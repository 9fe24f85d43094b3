"""Template filters for user text: plain text, links made clickable, everything else escaped;
whether a text is long enough to be cut short on cards."""

import re

from django import template
from django.utils.html import escape, urlize
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

_ANCHOR = re.compile(r"<a href=")
# What urlize() needs to see in a word before it makes a link: a scheme ("http://"), "www.", an
# "@" (e-mail) or a name ending in one of its seven top-level domains. Text without any of them
# comes out of urlize() unchanged, so it is not split into words and scanned at all.
_MAYBE_LINK = re.compile(r"://|www\.|@|\.(?:com|edu|gov|int|mil|net|org)", re.IGNORECASE)
# A text past either is cut short on cards (photos.css clamps it to LONG_TEXT_LINES lines).
LONG_TEXT_CHARACTERS = 600
LONG_TEXT_LINES = 8


@register.filter(name="linkify")
def linkify(text: str | None) -> SafeString:
    """Escape `text`, then turn URLs into links that open in a new tab and pass no ranking.

    urlize() runs on already escaped text (autoescape=False keeps it from escaping twice), so
    nothing the author typed can become markup; only the <a> tags urlize adds are HTML.
    """
    escaped = escape(text or "")
    if not _MAYBE_LINK.search(escaped):
        return escaped
    linked = urlize(escaped, trim_url_limit=60, nofollow=False, autoescape=False)
    linked = _ANCHOR.sub('<a target="_blank" rel="nofollow noopener" href=', linked)
    return mark_safe(linked)  # noqa: S308 - built from escaped text


@register.filter(name="is_long_text")
def is_long_text(text: str | None) -> bool:
    """True when `text` is long enough to be cut short on a card, behind a "more" link."""
    text = text or ""
    return len(text) > LONG_TEXT_CHARACTERS or text.count("\n") >= LONG_TEXT_LINES
