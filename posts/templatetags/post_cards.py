"""Post cards on pages: the cached, viewer-independent content and the per-viewer action row.

A card is two parts (templates/posts/_post.html). The content (author, time, title, text, ready
photos: _post_content.html) looks the same to everyone, so lists fetch it from the shared cache
in one round trip per page, keyed by a hash of everything it is made of: an edited post, a new
avatar or display name, a new photo description is simply another key, and nothing needs
invalidating. The action row (like/bookmark toggles with the CSRF token, edit/delete for the
author) differs per viewer and is rendered on every request, in Python: as a template it cost
about as much as the feed query itself, so it is built with format_html, which escapes every
value.
"""

import hashlib
import logging

from django import template
from django.conf import settings
from django.core.cache import cache
from django.middleware.csrf import get_token
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import format_html
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
    return repr(
        (
            sources,
            settings.MEDIA_URL,
            timezone.get_current_timezone_name(),
            translation.get_language(),
        )
    )


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


@register.simple_tag(takes_context=True)
def cached_post_contents(context, posts) -> dict:
    """{% cached_post_contents posts as post_contents %}: {post id: content HTML} for a list.

    One cache.get_many for the whole list; the missing ones are rendered and stored with one
    set_many. The cache is only an optimisation: when it is down, the contents are rendered
    as usual.
    """
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
                {key: str(html) for key, html in missing.items()}, timeout=CONTENT_CACHE_SECONDS
            )
        except Exception:
            logger.warning("Post contents not written to the cache", exc_info=True)
    return contents


@register.simple_tag(takes_context=True)
def post_content(context, post, contents=None) -> SafeString:
    """{% post_content post post_contents %}: the card's content from `contents`
    (cached_post_contents) when it is there, else rendered now."""
    if contents:
        html = contents.get(post.pk)
        if html is not None:
            return html
    return _render_content(context, post)

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


def _toggle(
    *, action, api, on, label_on, label_off, state_field, count_field, count, icon, csrf, next_url
):
    return format_html(
        _TOGGLE,
        action=action,
        api=api,
        on_flag="1" if on else "0",
        label_on=label_on,
        label_off=label_off,
        state_field=state_field,
        count_field=count_field,
        csrf=csrf,
        next=next_url,
        value="unset" if on else "set",
        on_class=" on" if on else "",
        pressed="true" if on else "false",
        icon=icon,
        label=label_on if on else label_off,
        count=format_html(' <span class="js-count count">{}</span>', count)
        if count is not None
        else "",
    )


@register.simple_tag(takes_context=True)
def post_actions(context, post) -> SafeString:
    """Like toggle with count, comments link, bookmark toggle, and edit/delete for the author.

    The toggles are POST forms that work alone; static/js/site.js ("Toggles") turns them into
    PUT/DELETE on `data-api` and updates them in place. Their URLs hang off the post's page and
    API URLs (posts/urls.py, posts/api/urls.py): two reverse() calls per post.
    """
    post_url = reverse("posts:detail", args=[post.pk])
    api_url = reverse("api-post", args=[post.pk])
    request = context.get("request")
    user = getattr(request, "user", None)
    comments = format_html(
        '<a class="button" href="{}#comments"><span class="count">{}</span> comment{}</a>',
        post_url,
        post.comment_count,
        "" if post.comment_count == 1 else "s",
    )
    if user is None or not user.is_authenticated:
        like = format_html('<span class="muted">♥ {}</span>', post.like_count)
        return mark_safe(f"{like}\n{comments}")  # noqa: S308 - both built by format_html
    # The context's token is computed once per page; get_token() would mask a new one per post.
    csrf = context.get("csrf_token") or get_token(request)
    common = {"csrf": str(csrf), "next_url": request.get_full_path()}
    like = _toggle(
        action=f"{post_url}like/",
        api=f"{api_url}like/",
        on=post.is_liked,
        label_on="Liked",
        label_off="Like",
        state_field="is_liked",
        count_field="like_count",
        count=post.like_count,
        icon="♥ ",
        **common,
    )
    bookmark = _toggle(
        action=f"{post_url}bookmark/",
        api=f"{api_url}bookmark/",
        on=post.is_bookmarked,
        label_on="Bookmarked",
        label_off="Bookmark",
        state_field="is_bookmarked",
        count_field="",
        count=None,
        icon="",
        **common,
    )
    parts = [like, comments, bookmark]
    if post.author_id == user.pk:
        parts.append(
            format_html(
                '<span class="spacer"></span><a href="{0}edit/">Edit</a> '
                '<a class="danger" href="{0}delete/">Delete</a>',
                post_url,
            )
        )
    return mark_safe("\n".join(parts))  # noqa: S308 - every part built by format_html
