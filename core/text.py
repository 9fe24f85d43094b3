"""Text the database cannot store: the NUL character and lone UTF-16 surrogates.

PostgreSQL refuses both (NUL in any text value, a surrogate in UTF-8), so neither may reach a
query. Request bodies are checked by their fields: Django's form fields refuse NUL (a form post
is decoded with replacement, so it carries no surrogates) and DRF's fields refuse both, each as
a 400 field error. What arrives outside a form or serializer (the URL path, the query string,
cookies and the Authorization header) is checked here, for every page and API route, before any
view or authentication runs.
"""

from __future__ import annotations

import re

from django.http import HttpResponseBadRequest, JsonResponse
from django.template.loader import render_to_string

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")

NUL_MESSAGE = "Null characters are not allowed."
SURROGATE_MESSAGE = "This text holds characters that cannot be stored (lone surrogates)."


def unstorable_reason(value: str) -> str | None:
    """Why `value` cannot be stored, or None when it can."""
    found = _UNSTORABLE.search(value)
    if found is None:
        return None
    return NUL_MESSAGE if found.group() == "\x00" else SURROGATE_MESSAGE


class UnstorableTextMiddleware:
    """Refuse a request whose path, query string, cookies or Authorization header hold text the
    database cannot store: a 400 naming the input (JSON under /api/, a page elsewhere)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        problem = _first_problem(request)
        if problem is None:
            return self.get_response(request)
        field, reason = problem
        if request.path.startswith("/api/"):
            return JsonResponse(
                {"detail": reason, "code": "unstorable_text", "errors": {field: [reason]}},
                status=400,
            )
        # No request context: authentication (a database query) has not run, and must not.
        return HttpResponseBadRequest(render_to_string("400.html", {"message": reason}))


def _first_problem(request) -> tuple[str, str] | None:
    inputs = [("path", request.path)]
    inputs += [(name, value) for name, values in request.GET.lists() for value in [name, *values]]
    inputs += [(f"cookie {name}", value) for name, value in request.COOKIES.items()]
    inputs.append(("Authorization", request.META.get("HTTP_AUTHORIZATION", "")))
    for field, value in inputs:
        if reason := unstorable_reason(value):
            return field, reason
    return None
