"""What the web server and the workers check before they start serving."""

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

SECRET_KEY_MISSING = (
    "DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off "
    "(generate one with: python -c 'import secrets; print(secrets.token_urlsafe(50))')."
)


def require_secret_key() -> None:
    """Refuse to start (ImproperlyConfigured) without a secret key: sessions, password-reset
    links and tokens would be signed with nothing."""
    try:
        settings.SECRET_KEY  # noqa: B018 - Django raises on an empty key
    except ImproperlyConfigured as error:
        raise ImproperlyConfigured(SECRET_KEY_MISSING) from error
