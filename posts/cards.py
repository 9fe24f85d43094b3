"""Post cards on pages: the viewer-independent content, cached, and the per-viewer actions.

A card (templates/posts/_post_card.html) is two parts. The content (author, time, title, text,
ready photos: _post_content.html) looks the same to everyone, so a list of posts fetches it from
the shared cache in one round trip, keyed by a hash of everything it is made of: an edited post,
a new avatar or display name, a new photo description is simply another key, and nothing needs
invalidating. The actions (_post_actions.html: like and bookmark toggles with the CSRF token,
edit and delete for those allowed) differ per viewer and are drawn for every request.

Drawing the actions and the card frame with the template engine for each of a page's twenty
posts cost about as much as the rest of the page. So each is drawn once per page and state
(liked or not, bookmarked or not, ...) with markers where a post's id and counts go, and each
post only fills in its numbers (`_Stamp`). The markup stays in the templates, and the fragment
a toggle answers with is drawn from them in the ordinary way; a test checks that both agree.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from types import SimpleNamespace

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone, translation
from django.utils.safestring import SafeString, mark_safe

from media.models import Media
from posts import policies

logger = logging.getLogger(__name__)

CARD_TEMPLATE = "posts/_post_card.html"
ACTIONS_TEMPLATE = "posts/_post_actions.html"
CONTENT_TEMPLATE = "posts/_post_content.html"
# Every template the content is made of: their source is part of each key, so changing one
# changes the keys (no stale markup after a deploy).
CONTENT_TEMPLATES = (
    CONTENT_TEMPLATE,
    "accounts/_avatar.html",
    "posts/_post_media.html",
    "media/_photo.html",
    "media/_image.html",
)
# Entries are never stale (content-addressed); the timeout only bounds the memory they take.
CONTENT_CACHE_SECONDS = 60 * 60


def render_cards(context, posts: list, *, cached: bool = True) -> SafeString:
    """The cards of `posts` in the page's `context`: contents from the shared cache (one
    round trip for the list) unless `cached` is False, actions for the viewer."""
    contents = _cached_contents(context, posts) if cached else {}
    stamps = _Stamps(context)
    cards = []
    for post in posts:
        content = contents.get(post.pk)
        if content is None:
            content = _render_content(context, post)
        cards.append(stamps.card(post, content))
    return mark_safe("\n".join(cards))  # noqa: S308 - drawn by our templates


class _Stamps:
    """The card frame and actions of one page, each drawn once per state with digit markers
    for a post's id and counts (numbers are all that differ per post), then filled in."""

    def __init__(self, context):
        self.context = context
        self.engine = context.template.engine
        self.user = context.get("user")
        self.drawn: dict[tuple, list[str]] = {}  # state -> the card around its content
        # Markers that nothing else on the stamp can contain: the stamp's only other variable
        # parts are the CSRF token and the page's address.
        request = context.get("request")
        others = f"{context.get('csrf_token', '')} {request.get_full_path() if request else ''}"
        while True:
            self.markers = {name: f"{secrets.randbelow(10**12):012d}" for name in _NUMBERS}
            if len(set(self.markers.values())) == len(_NUMBERS) and not any(
                marker in others for marker in self.markers.values()
            ):
                break

    def card(self, post, content: str) -> str:
        can_edit = policies.edit_post.allows(self.user, post)
        can_delete = policies.delete_post.allows(self.user, post)
        state = (
            bool(post.is_liked),
            bool(post.is_bookmarked),
            post.comment_count == 1,  # "1 comment", "2 comments"
            can_edit,
            can_delete,
        )
        pieces = self.drawn.get(state)
        if pieces is None:
            pieces = self.drawn[state] = self._draw(state)
        numbers = {self.markers[name]: str(int(getattr(post, name))) for name in _NUMBERS}
        before, after = pieces  # the content goes between them, never through _fill
        return f"{_fill(before, numbers)}{content}{_fill(after, numbers)}"

    def _draw(self, state: tuple) -> list[str]:
        liked, bookmarked, one_comment, can_edit, can_delete = state
        stand_in = SimpleNamespace(
            pk=self.markers["pk"],
            like_count=self.markers["like_count"],
            comment_count=1 if one_comment else self.markers["comment_count"],
            is_liked=liked,
            is_bookmarked=bookmarked,
        )
        content_marker = f"\ue000content-{self.markers['pk']}\ue000"
        with self.context.push(
            post=stand_in, content=content_marker, can_edit=can_edit, can_delete=can_delete
        ):
            card = self.engine.get_template(CARD_TEMPLATE).render(self.context)
        before, after = card.split(content_marker)
        return [before, after]


_NUMBERS = ("pk", "like_count", "comment_count")


def _fill(piece: str, numbers: dict[str, str]) -> str:
    for marker, value in numbers.items():
        piece = piece.replace(marker, value)
    return piece


def _media_key(media: Media | None) -> tuple | None:
    if media is None:
        return None
    return (
        media.pk,
        media.status,
        media.alt_text,
        media.width,
        media.height,
        media.animated,
        media.blurhash,
        media.storage_key,
        media.variants,
        media.finished_at,
    )


def _content_version(engine) -> str:
    """What the content looks like apart from the post: the templates' source, the media URL,
    the time zone and language of this request (dates are shown in them)."""
    sources = [engine.get_template(name).source for name in CONTENT_TEMPLATES]
    parts = (
        sources,
        settings.MEDIA_URL,
        timezone.get_current_timezone_name(),
        translation.get_language(),
    )
    return hashlib.blake2b(repr(parts).encode(), digest_size=16).hexdigest()


def content_cache_key(post, version: str) -> str | None:
    """The cache key of `post`'s content: a hash of all it is rendered from, or None when the
    post has photos that are not ready (only their owner sees those: never cached)."""
    photos = post.visible_photos
    if any(media.status != Media.Status.DONE for media in photos):
        return None
    author = post.author
    parts = (
        version,
        post.pk,
        post.title,
        post.body,
        post.created_at,
        post.edited_at,
        author.pk,
        author.username,
        author.name,
        _media_key(author.avatar),
        [_media_key(media) for media in photos],
    )
    digest = hashlib.blake2b(repr(parts).encode(), digest_size=20).hexdigest()
    return f"post-content:{digest}"


def _render_content(context, post) -> SafeString:
    content = context.template.engine.get_template(CONTENT_TEMPLATE)
    with context.push(post=post):
        return content.render(context)


def _cached_contents(context, posts: list) -> dict:
    """{post id: content HTML} for `posts`: one cache.get_many for the whole list; the missing
    ones are rendered and stored with one set_many. The cache is only an optimisation: when it
    is down, the contents are rendered as usual."""
    version = _content_version(context.template.engine)
    keys = {}
    for post in posts:
        key = content_cache_key(post, version)
        if key is not None:
            keys[post.pk] = key
    if not keys:
        return {}
    try:
        found = cache.get_many(keys.values())
        reachable = True
    except Exception:  # the cache must never take a page down
        logger.warning("Post contents not read from the cache", exc_info=True)
        found, reachable = {}, False
    contents, missing = {}, {}
    for post in posts:
        key = keys.get(post.pk)
        if key is None:
            continue
        if key in found:
            contents[post.pk] = mark_safe(found[key])  # noqa: S308 - rendered by our template
        else:
            contents[post.pk] = missing[key] = _render_content(context, post)
    if missing and reachable:
        try:
            cache.set_many(
                {key: str(markup) for key, markup in missing.items()},
                timeout=CONTENT_CACHE_SECONDS,
            )
        except Exception:
            logger.warning("Post contents not written to the cache", exc_info=True)
    return contents
