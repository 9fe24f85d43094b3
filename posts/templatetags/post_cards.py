"""The action row of a post card, rendered in Python: it repeats on every post of a page.

As a template it cost about as much as the feed query itself (two forms, a dozen filters and
lookups per post), so the feed page renders it with format_html, which escapes every value.
"""

from django import template
from django.middleware.csrf import get_token
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

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
def post_actions(context, post, post_url: str, api_url: str) -> SafeString:
    """Like toggle with count, comments link, bookmark toggle, and edit/delete for the author.

    The toggles are POST forms that work alone; static/js/site.js ("Toggles") turns them into
    PUT/DELETE on `data-api` and updates them in place.
    """
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
