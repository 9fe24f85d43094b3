"""The lists of people to follow on the feed's side and on the people page, drawn once a minute
per person.

Choosing whom to show (suggestions_for: the kept ranking, then who of it may be shown, read
from the database) and drawing the rows with their follow and dismiss forms cost a third of a
feed page and two thirds of the people page, on every visit. So each drawn list is kept in the
shared cache for SUGGESTION_BOX_SECONDS, per person, place and language, with core.fragments'
markers where the CSRF token and the page's address go; each page fills in its own.

A person's lists are one cache entry, forgotten with the ranking
(accounts.selectors.suggestions_forget) when they follow, unfollow, block, are blocked or
dismiss someone, so that their own actions show at once. What the lists do not follow: a
suggested person who changes their name or picture, or leaves, is shown as they were for at
most SUGGESTION_BOX_SECONDS (following someone who left then says they are not found). When
the cache does not answer, the list is drawn for the page.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.utils import translation
from django.utils.safestring import SafeString, mark_safe

from accounts.selectors import suggestion_boxes_key, suggestions_for
from core import fragments

logger = logging.getLogger(__name__)

SUGGESTION_BOX_SECONDS = 60


@dataclass(frozen=True)
class Place:
    size: int  # how many people
    template: str  # draws `suggestions`; nothing, or an empty list's text, without any


PLACES = {
    "aside": Place(size=5, template="accounts/_suggestion_box.html"),
    "people": Place(size=20, template="accounts/_people_suggestions.html"),
}
# The templates every list is made of besides its place's own: a change to one draws the lists
# again (no stale markup after a deploy).
ROW_TEMPLATES = (
    "accounts/_suggestion_list.html",
    "accounts/_user_row.html",
    "accounts/_avatar.html",
    "accounts/_follow_button.html",
    "core/_toggle.html",
)


def render_suggestion_box(context, place: str) -> SafeString:
    """The list of `place` (PLACES) for the page's signed-in `user`: kept, or drawn and kept;
    this request's CSRF token and address filled in."""
    user = context["user"]
    engine = context.template.engine
    box = PLACES[place]
    key = suggestion_boxes_key(user.pk)
    entry = f"{place}:{translation.get_language()}"
    version = _version(engine, box)
    try:
        kept = cache.get(key) or {}
        reachable = True
    except Exception:  # the cache must never take a page down
        logger.warning("Suggestion lists not read from the cache", exc_info=True)
        kept, reachable = {}, False
    drawn_version, drawn_at, markup = kept.get(entry, (None, 0.0, ""))
    if drawn_version != version or time.time() - drawn_at > SUGGESTION_BOX_SECONDS:
        suggestions = suggestions_for(user=user, limit=box.size)
        with context.push(suggestions=suggestions, **fragments.drawing_values()):
            markup = str(engine.get_template(box.template).render(context))
        if reachable:
            # The entry holds every place and language: one read per page, one key to forget.
            kept[entry] = (version, time.time(), markup)
            try:
                cache.set(key, kept, timeout=SUGGESTION_BOX_SECONDS)
            except Exception:
                logger.warning("Suggestion lists not written to the cache", exc_info=True)
    # Drawn by our templates; the values filled in are escaped (fragments.request_values).
    return mark_safe(fragments.fill(markup, fragments.request_values(context)))  # noqa: S308


def _version(engine, box: Place) -> str:
    """What a list looks like apart from the people: the templates' source and where pictures
    are served from."""
    return fragments.templates_version(engine, (box.template, *ROW_TEMPLATES), settings.MEDIA_URL)
