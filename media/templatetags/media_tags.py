"""Template helpers of media: the upload limits (GET /api/v1/limits/ has the same)."""

from django import template

from media.limits import limits_data

register = template.Library()


@register.simple_tag
def media_limits() -> dict:
    """{% media_limits as limits %}: sizes, formats, `accept` for file inputs, a summary."""
    return limits_data()
