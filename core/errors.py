"""The one domain error of Friends, and the one error format of the API.

Every API answer from 400 to 503 has the same JSON body (the `Error` component of the schema):

    {"detail": "A readable message.", "code": "machine_readable", "errors": {"field": ["..."]}}

`errors` names the inputs at fault (empty when none is). DRF's own errors come through
`api_exception_handler`; what happens outside DRF (an unknown /api/ path, a request Django
refuses, an unhandled error, the database gone) through `api_error_response`, used by the
project's handler404/400/403/500 (friends_site/urls.py) and core.middleware.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from rest_framework import exceptions, status
from rest_framework.response import Response

from core.ratelimit import RateLimited


class ApplicationError(Exception):
    """A rule of the product was broken; `message` is shown to the person as it is (translated
    where it is raised, in the request's language); `code` stays the same English identifier.

    `field` names the input at fault, when there is one, so forms and the API can show the
    message next to it. `status` is the API's answer: 400 for input that is wrong in itself,
    404 for a reference to something that is not there (or not yours), 409 for input that
    conflicts with how things are (a name taken, following yourself).
    """

    def __init__(
        self, message: str, *, field: str | None = None, code: str = "invalid", status: int = 400
    ):
        super().__init__(message)
        self.message = message
        self.field = field
        self.code = code
        self.status = status


def error_body(detail: str, code: str, errors: dict | None = None) -> dict:
    return {"detail": str(detail), "code": code, "errors": errors or {}}


def api_exception_handler(exc, context):
    """DRF's exceptions, ApplicationError (400) and RateLimited (429) in the one format."""
    # Here, not at the top: rest_framework.views reads the parser settings when it loads, and
    # the upload parser (media.uploadhandlers) imports this module.
    from rest_framework.views import exception_handler

    if isinstance(exc, ApplicationError):
        errors = {exc.field: [exc.message]} if exc.field else {}
        response = Response(error_body(exc.message, exc.code, errors), status=exc.status)
        if exc.status == status.HTTP_503_SERVICE_UNAVAILABLE:
            response["Retry-After"] = "60"  # a dependency failing for now: come back later
        return response
    readable = None
    if isinstance(exc, RateLimited):
        readable = exc.message  # says when to come back; Retry-After says it to programs
        exc = exceptions.Throttled(wait=exc.retry_after, detail=exc.message)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)  # the policy's own words
    response = exception_handler(exc, context)
    if response is None:
        return None  # not an API error: a 500, answered by handler500
    if isinstance(exc, exceptions.ValidationError):
        errors = _field_errors(response.data)
        messages = [message for values in errors.values() for message in values]
        response.data = error_body(
            messages[0] if messages else _("Invalid input."), "invalid", errors
        )
    else:
        detail = readable or (exc.detail if isinstance(exc.detail, str) else str(exc.detail))
        code = exc.get_codes() if isinstance(exc.get_codes(), str) else exc.default_code
        response.data = error_body(detail, code)
    return response


def _field_errors(data) -> dict[str, list[str]]:
    """DRF's nested validation errors as {field: [messages]} ("media_ids.0", "non_field_errors")."""
    if isinstance(data, list):
        data = {"non_field_errors": data}
    flat: dict[str, list[str]] = {}

    def walk(prefix: str, value) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                walk(f"{prefix}.{key}" if prefix else str(key), inner)
        elif isinstance(value, list) and value and not all(isinstance(v, str) for v in value):
            for index, inner in enumerate(value):
                if inner:
                    walk(f"{prefix}.{index}", inner)
        else:
            items = value if isinstance(value, list) else [value]
            flat.setdefault(prefix or "non_field_errors", []).extend(str(item) for item in items)

    walk("", data)
    return flat


API_ERRORS = {
    400: (_lazy("The request could not be read."), "bad_request"),
    403: (_lazy("You may not do this."), "permission_denied"),
    404: (_lazy("Not found."), "not_found"),
    500: (
        _lazy("Something went wrong on our side; it is logged and we will look into it."),
        "server_error",
    ),
    503: (
        _lazy("The service is unavailable for a moment; please try again."),
        "service_unavailable",
    ),
}


def api_error_response(status_code: int, detail: str | None = None) -> JsonResponse:
    default_detail, code = API_ERRORS[status_code]
    response = JsonResponse(error_body(detail or default_detail, code), status=status_code)
    if status_code == status.HTTP_503_SERVICE_UNAVAILABLE:
        response["Retry-After"] = "30"
    return response
