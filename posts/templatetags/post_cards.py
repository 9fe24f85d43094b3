"""{% post_cards posts %} and {% post_card post %}: post cards on pages (posts/cards.py)."""

from django import template
from django.utils.safestring import SafeString

from posts.cards import render_cards

register = template.Library()


@register.simple_tag(takes_context=True)
def post_cards(context, posts) -> SafeString:
    """The cards of a list of posts, their contents from the shared cache in one round trip.

    One tag for the list rather than a loop of includes: a feed page renders twenty cards.
    """
    return render_cards(context, list(posts))


@register.simple_tag(takes_context=True)
def post_card(context, post, full_text: bool = False) -> SafeString:
    """One post card (a post's page), rendered without the cache; `full_text`: a long text
    in full rather than cut short behind "more"."""
    return render_cards(context, [post], cached=False, full_text=full_text)
