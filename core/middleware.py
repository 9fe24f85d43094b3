"""Middleware every page and API answer passes through (besides core.text's)."""

from __future__ import annotations

import logging

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import translation

from core.errors import api_error_response, error_body
from core.ratelimit import RateLimited

logger = logging.getLogger(__name__)

# Browser features no page of the site uses: refused to the page and to anything it embeds.
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "camera",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "payment",
        "usb",
        "interest-cohort",
    )
)


# Pages of other projects that need more than the site's policy, and only there: django-rq's
# dashboard (staff only) writes inline scripts and styles; Swagger UI adds style elements.
CSP_RELAXED = {
    "/admin/rq/": {"script-src": ["'unsafe-inline'"], "style-src": ["'unsafe-inline'"]},
    "/api/v1/docs/": {"style-src": ["'unsafe-inline'"]},
}


class SecurityHeadersMiddleware:
    """Permissions-Policy on every answer (Django's SecurityMiddleware sets Referrer-Policy and
    Cross-Origin-Opener-Policy, django-csp the Content-Security-Policy: this middleware comes
    after it in MIDDLEWARE, so it can adjust the policy of a response first)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        for prefix, update in CSP_RELAXED.items():
            if request.path.startswith(prefix):
                response._csp_update = update
        return response


class RateLimitedMiddleware:
    """A view (or the authentication it calls) past a limit answers 429 with Retry-After: a page,
    or JSON under /api/ (DRF views answer through core.errors the same way)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, RateLimited):
            return None
        return rate_limited_response(request, exception)


def rate_limited_response(request, error: RateLimited):
    if request.path.startswith("/api/"):
        response = JsonResponse(error_body(error.message, "throttled"), status=429)
    else:
        response = render(request, "429.html", {"message": error.message}, status=429)
    response["Retry-After"] = str(error.retry_after)
    return response


class DatabaseUnavailableMiddleware:
    """The database not answering is a 503 with Retry-After (JSON under /api/, a page
    elsewhere), not a 500: nothing is wrong with the request, it can simply be sent again."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        logger.error("The database is unavailable: %s", exception)
        if request.path.startswith("/api/"):
            return api_error_response(503)
        # No request context: its processors (the session, the user) need the database.
        response = HttpResponse(render_to_string("503.html"), status=503)
        response["Retry-After"] = "30"
        return response


# --- Language -------------------------------------------------------------------------------


class UserLanguageMiddleware:
    """The signed-in person's language setting (User.language) wins over the switcher's cookie
    and Accept-Language, which LocaleMiddleware (before this one) has already applied; a blank
    setting follows the browser. Database trouble leaves the browser's language in place."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        language = ""
        try:
            user = request.user
            if user.is_authenticated:
                language = getattr(user, "language", "")
        except (OperationalError, InterfaceError):
            language = ""
        if language and translation.check_for_language(language):
            translation.activate(language)
            request.LANGUAGE_CODE = translation.get_language()
        return self.get_response(request)
