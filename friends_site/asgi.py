"""ASGI entry point."""

import os

from django.core.asgi import get_asgi_application

from friends_site.startup import require_secret_key

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "friends_site.settings")

application = get_asgi_application()
require_secret_key()
