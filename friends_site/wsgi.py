"""WSGI entry point: `gunicorn friends_site.wsgi:application`."""

import os

from django.core.wsgi import get_wsgi_application

from friends_site.startup import require_secret_key

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "friends_site.settings")

application = get_wsgi_application()
require_secret_key()
