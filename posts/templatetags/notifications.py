"""{% unread_badge %}: the count of unread notifications in the navigation, one query per page
(kept on the request, so both navigations share it), for signed-in people only."""

from django import template
from django.conf import settings
from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from posts.selectors.notifications import UNREAD_COUNT_MAX, notifications_unread_count

register = template.Library()

BADGE_TEMPLATE = "posts/_unread_badge.html"


def unread_count_for(request) -> int:
    """The request's count of unread notifications, counted once (a view may set it first:
    the notifications page counts what is left once those shown are read)."""
    count = getattr(request, "unread_notifications", None)
    if count is None:
        count = request.unread_notifications = notifications_unread_count(user=request.user)
    return count


def badge_context(count: int) -> dict:
    return {
        "count": count,
        "many": count >= UNREAD_COUNT_MAX,
        "poll_seconds": settings.NOTIFICATION_POLL_SECONDS,
    }


@register.simple_tag(takes_context=True)
def unread_badge(context) -> SafeString:
    """The badge (templates/posts/_unread_badge.html); nothing without a signed-in person."""
    request = context.get("request")
    if request is None or not request.user.is_authenticated:
        return SafeString("")
    # Both navigations draw the same badge: rendered once per request and count.
    count = unread_count_for(request)
    drawn = getattr(request, "unread_badge_drawn", None)
    if drawn is None or drawn[0] != count:
        drawn = request.unread_badge_drawn = (
            count,
            render_to_string(BADGE_TEMPLATE, badge_context(count)),
        )
    return drawn[1]
