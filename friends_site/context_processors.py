"""`nav`: the addresses of the site's fixed places, for the navigation every page draws."""

from functools import cache

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse

# {{ nav.<name> }} -> URL name. A place that takes arguments (a profile) is reversed in the
# template as usual.
PLACES = {
    "home": "posts:home",
    "people": "accounts:people",
    "notifications": "posts:notifications",
    "likes": "posts:likes",
    "bookmarks": "posts:bookmarks",
    "create": "posts:create",
    "settings": "accounts:settings",
    "login": "accounts:login",
    "signup": "accounts:signup",
    "logout": "accounts:logout",
    "events": "events",
    "set_language": "set_language",
}


def navigation(request) -> dict:
    """The fixed places' addresses, reversed once per process (and URL configuration and
    prefix): reversing a URL is a good part of drawing a page's frame."""
    return {"nav": _places(get_script_prefix(), settings.ROOT_URLCONF, get_urlconf())}


@cache
def _places(prefix: str, root_urlconf: str, urlconf) -> dict[str, str]:
    return {name: reverse(route) for name, route in PLACES.items()}
