"""{% suggestion_box "aside" %} and {% suggestion_box "people" %}: the lists of people to follow
on the feed's side and on the people page, kept for a minute (accounts.suggestion_box)."""

from django import template
from django.utils.safestring import SafeString

from accounts.suggestion_box import render_suggestion_box

register = template.Library()


@register.simple_tag(takes_context=True)
def suggestion_box(context, place: str) -> SafeString:
    """The list of people to follow for `place` (accounts.suggestion_box.PLACES)."""
    return render_suggestion_box(context, place)
