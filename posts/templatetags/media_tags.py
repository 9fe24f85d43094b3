"""Template helpers of media: upload limits, a person's avatar still being processed."""

from django import template

from posts.selectors import avatar_pending_for, media_limits_data

register = template.Library()


@register.simple_tag
def media_limits() -> dict:
    """{% media_limits as limits %}: the upload limits (GET /api/v1/limits/ has the same)."""
    return media_limits_data()


@register.simple_tag
def avatar_pending(user):
    """{% avatar_pending user as pending %}: the newest avatar upload not yet ready, or None."""
    return avatar_pending_for(user)
