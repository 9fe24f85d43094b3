"""Post cards on pages: the viewer-independent content, cached, and the per-viewer actions.

A card (templates/posts/_post_card.html) is two parts. The content (author, time, title, text,
ready photos: _post_content.html) looks the same to everyone, so a list of posts fetches it from
the shared cache in one round trip, keyed by a hash of everything it is made of: an edited post,
a new avatar or display name, a new photo description is simply another key, and nothing needs
invalidating. The actions (_post_actions.html: like and bookmark toggles with the CSRF token,
edit and delete for those allowed) differ per viewer and are drawn for every request.

Drawing the actions and the card frame with the template engine for each of a page's twenty
posts cost about as much as the rest of the page. So they are drawn once per state (liked or
not, bookmarked or not, ...) with markers where a post's id, its counts, the CSRF token and the
page's address go, kept in the process, and each card only fills in its values (`_stamp`). The
markup stays in the templates, and the fragment a toggle answers with is drawn from them in the
ordinary way; a test checks that both give the same.
"""

from __future__ import annotations

import hashlib
import logging
from types import SimpleNamespace

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone, translation
from django.utils.safestring import SafeString, mark_safe

from core import fragments
from media.models import Media
from posts import policies
from posts.selectors import mentions_attach
from posts.templatetags import post_text

logger = logging.getLogger(__name__)

CARD_TEMPLATE = "posts/_post_card.html"
ACTIONS_TEMPLATE = "posts/_post_actions.html"
CONTENT_TEMPLATE = "posts/_post_content.html"
# Every template the content is made of: their source is part of each key, so changing one
# changes the keys (no stale markup after a deploy).
CONTENT_TEMPLATES = (
    CONTENT_TEMPLATE,
    "accounts/_avatar.html",
    "core/_time.html",
    "posts/_post_media.html",
    "posts/_photo_tile.html",
    "media/_photo.html",
    "media/_image.html",
)
# Entries are never stale (content-addressed); the timeout only bounds the memory they take.
CONTENT_CACHE_SECONDS = 60 * 60


def render_cards(
    context, posts: list, *, cached: bool = True, full_text: bool = False
) -> SafeString:
    """The cards of `posts` in the page's `context`: contents from the shared cache (one
    round trip for the list) unless `cached` is False, actions for the viewer. `full_text`
    (never cached): long texts in full, not cut short behind "more"."""
    if full_text and cached:
        raise ValueError("Cards with the full text are never cached.")
    # The people their texts @mention, linked when they exist (one query, none without any):
    # part of each content's key, so a person's arrival or departure changes it.
    mentions_attach(posts)
    contents = _cached_contents(context, posts) if cached else {}
    user = context.get("user")
    page_values = fragments.request_values(context)
    cards = []
    for post in posts:
        content = contents.get(post.pk)
        if content is None:
            content = _render_content(context, post, full_text=full_text)
        state = (
            bool(user is not None and user.is_authenticated),
            bool(post.is_liked),
            bool(post.is_bookmarked),
            post.comment_count == 1,  # "1 comment", "2 comments"
            policies.edit_post.allows(user, post),
            policies.delete_post.allows(user, post),
        )
        before, after = _stamp(context, state)  # the content goes between, never through _fill
        values = {
            **page_values,
            "pk": str(int(post.pk)),
            "like_count": str(int(post.like_count)),
            "comment_count": str(int(post.comment_count)),
        }
        cards.append(f"{_fill(before, values)}{content}{_fill(after, values)}")
    return mark_safe("\n".join(cards))  # noqa: S308 - drawn by our templates


# Where each card's values go in a stamp. Digits for the numbers (the id passes through
# {% url %}); the page's values as core.fragments marks them; the content where it goes.
_MARKERS = {
    "pk": "9000000000000000001",
    "like_count": "9000000000000000002",
    "comment_count": "9000000000000000003",
    **fragments.MARKERS,
}
_CONTENT = "\ue000content\ue000"
_fill = fragments.Filler(_MARKERS)
# (state, language) -> (the card template drawn, the card before and after its content)
_STAMPS: dict[tuple, tuple[object, list[str]]] = {}


def _stamp(context, state: tuple) -> list[str]:
    """The card frame and actions for a state, drawn once per process with markers (again
    when the template changes: a new template object after a reload)."""
    template = context.template.engine.get_template(CARD_TEMPLATE)
    key = (state, translation.get_language())
    drawn = _STAMPS.get(key)
    if drawn is not None and drawn[0] is template:
        return drawn[1]
    _authenticated, liked, bookmarked, one_comment, can_edit, can_delete = state
    stand_in = SimpleNamespace(
        pk=_MARKERS["pk"],
        like_count=_MARKERS["like_count"],
        comment_count=1 if one_comment else _MARKERS["comment_count"],
        is_liked=liked,
        is_bookmarked=bookmarked,
    )
    with context.push(
        post=stand_in,
        content=_CONTENT,
        can_edit=can_edit,
        can_delete=can_delete,
        **fragments.drawing_values(),
    ):
        card = template.render(context)
    pieces = card.split(_CONTENT)
    _STAMPS[key] = (template, pieces)
    return pieces


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
    the time zone and language of this request (dates are shown in them), when a text is
    cut short, and how text becomes links (post_text.LINKIFY_VERSION)."""
    return fragments.templates_version(
        engine,
        CONTENT_TEMPLATES,
        (post_text.LONG_TEXT_CHARACTERS, post_text.LONG_TEXT_LINES),
        post_text.LINKIFY_VERSION,
        settings.MEDIA_URL,
        timezone.get_current_timezone_name(),
        translation.get_language(),
    )


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
        sorted(getattr(post, "mentions", {}).items()),
    )
    digest = hashlib.blake2b(repr(parts).encode(), digest_size=20).hexdigest()
    return f"post-content:{digest}"


def _render_content(context, post, *, full_text: bool = False) -> SafeString:
    content = context.template.engine.get_template(CONTENT_TEMPLATE)
    # `mentions`: the people its text @mentions (selectors.mentions_attach), linked by linkify.
    mentions = getattr(post, "mentions", {})
    with context.push(post=post, full_text=full_text, mentions=mentions):
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
