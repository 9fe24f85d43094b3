"""Post cards on pages: the cached, viewer-independent content and the per-viewer action row.

A card is two parts. The content (author, time, title, text, ready photos:
templates/posts/_post_content.html) looks the same to everyone, so lists ({% post_cards %})
fetch it from the shared cache in one round trip per page, keyed by a hash of everything it is
made of: an edited post, a new avatar or display name, a new photo description is simply
another key, and nothing needs invalidating. The action row (like/bookmark toggles with the
CSRF token, edit/delete for the author) differs per viewer and is rendered on every request,
in Python: as a template it cost about as much as the feed query itself. Its fixed parts are
escaped once at import; every value that varies is escaped with html.escape, as format_html
would.
"""

import hashlib
import html
import logging

from django import template
from django.conf import settings
from django.core.cache import cache
from django.middleware.csrf import get_token
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import timezone, translation
from django.utils.safestring import SafeString, mark_safe

from posts.models import Media

register = template.Library()
logger = logging.getLogger(__name__)

CONTENT_TEMPLATE = "posts/_post_content.html"
# Every template the content is made of: their source is part of each key, so changing one
# changes the keys (no stale markup after a deploy).
CONTENT_TEMPLATES = (
    CONTENT_TEMPLATE,
    "accounts/_avatar.html",
    "posts/_post_media.html",
    "posts/_media_image.html",
    "posts/_media_pending.html",
)
# Entries are never stale (content-addressed); the timeout only bounds the memory they take.
CONTENT_CACHE_SECONDS = 60 * 60


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
        media.processed_at,
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
    photos = getattr(post, "ready_media", None)
    if photos is None or any(media.status != Media.Status.READY for media in photos):
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


_CARD = (
    '<article class="card post" id="post-{pk}">\n{content}\n'
    '  <footer class="post-actions row">{actions}</footer>\n</article>'
)


def _card(context, post, content: str | None = None) -> str:
    return _CARD.format(
        pk=int(post.pk),
        content=_render_content(context, post) if content is None else content,
        actions=post_actions(context, post),
    )


@register.simple_tag(takes_context=True)
def post_cards(context, posts) -> SafeString:
    """{% post_cards posts %}: the cards of a list of posts, their contents from the shared
    cache (one round trip for the list), their actions for the viewer.

    One tag for the list rather than a loop of includes: a feed page renders twenty cards.
    """
    posts = list(posts)
    contents = _cached_contents(context, posts)
    cards = [_card(context, post, contents.get(post.pk)) for post in posts]
    return mark_safe("\n".join(cards))  # noqa: S308 - built by templates and post_actions


@register.simple_tag(takes_context=True)
def post_card(context, post) -> SafeString:
    """{% post_card post %}: one post card (a post's page), rendered without the cache."""
    return mark_safe(_card(context, post))  # noqa: S308 - built by templates and post_actions


_TOGGLE = (
    '<form method="post" action="{action}" class="inline js-toggle" data-api="{api}" '
    'data-on="{on_flag}" data-label-on="{label_on}" data-label-off="{label_off}" '
    'data-state-field="{state_field}" data-count-field="{count_field}">'
    '<input type="hidden" name="csrfmiddlewaretoken" value="{csrf}">'
    '<input type="hidden" name="next" value="{next}">'
    '<input type="hidden" name="action" data-when-on="unset" data-when-off="set" value="{value}">'
    '<button type="submit" class="toggle{on_class}" aria-pressed="{pressed}">{icon}'
    '<span class="js-label">{label}</span>{count}</button></form>'
)
_COUNT = ' <span class="js-count count">{}</span>'


def _format(template: str, *args, **kwargs) -> str:
    """format_html() for plain values: each escaped with html.escape (what Django's escape()
    does), without format_html's per-value lazy-string checks, which cost the most here."""
    return template.format(
        *(html.escape(str(value)) for value in args),
        **{name: html.escape(str(value)) for name, value in kwargs.items()},
    )


# The URLs around a post take its id as their only argument: each is reversed once (per
# script prefix and URLconf) with a placeholder id, then filled in for every post.
_PLACEHOLDER_ID = "9876543210"
_URL_PARTS: dict[tuple, tuple[str, str]] = {}


def _post_url(name: str, post_id: int) -> str:
    """reverse(name, args=[post_id]) for the post URLs, at the cost of one string join."""
    key = (name, get_script_prefix(), get_urlconf())
    parts = _URL_PARTS.get(key)
    if parts is None:
        before, after = reverse(name, args=[_PLACEHOLDER_ID]).split(_PLACEHOLDER_ID)
        parts = _URL_PARTS[key] = (before, after)
    return f"{parts[0]}{int(post_id)}{parts[1]}"


def _toggle_forms(*, label_on, label_off, state_field, count_field, icon) -> dict[bool, str]:
    """A toggle's form when on and when off, its fixed parts escaped and filled in once; what
    differs per post and request ({action}, {api}, {csrf}, {next}, {count}) is left open."""
    forms = {}
    for on in (True, False):
        fixed = {
            "on_flag": "1" if on else "0",
            "label_on": label_on,
            "label_off": label_off,
            "state_field": state_field,
            "count_field": count_field,
            "value": "unset" if on else "set",
            "on_class": " on" if on else "",
            "pressed": "true" if on else "false",
            "icon": icon,
            "label": label_on if on else label_off,
        }
        open_fields = {name: f"{{{name}}}" for name in ("action", "api", "csrf", "next", "count")}
        forms[on] = _TOGGLE.format(
            **{name: html.escape(value) for name, value in fixed.items()}, **open_fields
        )
    return forms


_LIKE_FORMS = _toggle_forms(
    label_on="Liked",
    label_off="Like",
    state_field="is_liked",
    count_field="like_count",
    icon="♥ ",
)
_BOOKMARK_FORMS = _toggle_forms(
    label_on="Bookmarked",
    label_off="Bookmark",
    state_field="is_bookmarked",
    count_field="",
    icon="",
)


@register.simple_tag(takes_context=True)
def post_actions(context, post) -> SafeString:
    """Like toggle with count, comments link, bookmark toggle, and edit/delete for the author.

    The toggles are POST forms that work alone; static/js/site.js ("Toggles") turns them into
    PUT/DELETE on `data-api` and updates them in place. Their URLs hang off the post's page and
    API URLs (posts/urls.py, posts/api/urls.py).
    """
    post_url = _post_url("posts:detail", post.pk)
    api_url = _post_url("api-post", post.pk)
    request = context.get("request")
    user = getattr(request, "user", None)
    comments = _format(
        '<a class="button" href="{}#comments"><span class="count">{}</span> comment{}</a>',
        post_url,
        post.comment_count,
        "" if post.comment_count == 1 else "s",
    )
    if user is None or not user.is_authenticated:
        like = _format('<span class="muted">♥ {}</span>', post.like_count)
        return mark_safe(f"{like}\n{comments}")  # noqa: S308 - both built by _format
    # The context's token is computed once per page; get_token() would mask a new one per post.
    csrf = html.escape(str(context.get("csrf_token") or get_token(request)))
    next_url = html.escape(request.get_full_path())
    like = _LIKE_FORMS[bool(post.is_liked)].format(
        action=html.escape(f"{post_url}like/"),
        api=html.escape(f"{api_url}like/"),
        csrf=csrf,
        next=next_url,
        count=_format(_COUNT, post.like_count),
    )
    bookmark = _BOOKMARK_FORMS[bool(post.is_bookmarked)].format(
        action=html.escape(f"{post_url}bookmark/"),
        api=html.escape(f"{api_url}bookmark/"),
        csrf=csrf,
        next=next_url,
        count="",
    )
    parts = [like, comments, bookmark]
    if post.author_id == user.pk:
        parts.append(
            _format(
                '<span class="spacer"></span><a href="{0}edit/">Edit</a> '
                '<a class="danger" href="{0}delete/">Delete</a>',
                post_url,
            )
        )
    return mark_safe("\n".join(parts))  # noqa: S308 - every part built by _format
