"""Template filters for user text: plain text, links made clickable, @mentions linked to the
people's profiles, everything else escaped; whether a text is long enough to be cut short on
cards."""

import re

from django import template
from django.urls import reverse
from django.utils.html import escape, urlize
from django.utils.safestring import SafeString, mark_safe

from posts.mentions import mentions_in

register = template.Library()

# What linkify() makes of a text: part of the key of cached post cards (posts.cards), so a
# change here must change this too (2: @mentions became links).
LINKIFY_VERSION = 2

_ANCHOR = re.compile(r"<a href=")
# What urlize() needs to see in a word before it makes a link: a scheme ("http://"), "www.", an
# "@" (e-mail) or a name ending in one of its seven top-level domains. Text without any of them
# comes out of urlize() unchanged, so it is not split into words and scanned at all.
_MAYBE_LINK = re.compile(r"://|www\.|@|\.(?:com|edu|gov|int|mil|net|org)", re.IGNORECASE)
# A text past either is cut short on cards (photos.css clamps it to LONG_TEXT_LINES lines).
LONG_TEXT_CHARACTERS = 600
LONG_TEXT_LINES = 8


@register.filter(name="linkify")
def linkify(text: str | None, mentions: dict[str, str] | None = None) -> SafeString:
    """Escape `text`, turn URLs into links that open in a new tab and pass no ranking, and
    @mentions of the people in `mentions` ({lowercased name: username}, from
    posts.selectors.mentions_attach: active people only) into links to their profiles.

    Every piece of the author's text goes through escape() (urlize() runs on already escaped
    text, autoescape=False keeping it from escaping twice), so nothing they typed can become
    markup; only the <a> tags added here are HTML.
    """
    text = text or ""
    if not mentions:
        return _links(text)
    pieces, done = [], 0
    for mention in mentions_in(text):
        resolved = mention.resolve(mentions)
        if resolved is None:
            continue
        username, typed = resolved
        end = mention.start + 1 + len(typed)
        url = reverse("posts:profile", args=[username])
        pieces.append(_links(text[done : mention.start]))
        link = escape(text[mention.start : end])
        pieces.append(f'<a class="mention" href="{escape(url)}">{link}</a>')
        done = end
    pieces.append(_links(text[done:]))
    return mark_safe("".join(pieces))  # noqa: S308 - built from escaped text


def _links(text: str) -> SafeString:
    """`text` escaped, its URLs made links."""
    escaped = escape(text)
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
