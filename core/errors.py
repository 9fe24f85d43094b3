"""The one domain error of Friends and how the API shows it."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from core.ratelimit import RateLimited


class ApplicationError(Exception):
    """A rule of the product was broken; `message` is shown to the person as it is.

    `field` names the input at fault, when there is one, so forms and the API can show the
    message next to it.
    """

    def __init__(self, message: str, *, field: str | None = None, code: str = "invalid"):
        super().__init__(message)
        self.message = message
        self.field = field
        self.code = code


def api_exception_handler(exc, context):
    """DRF errors as JSON `{"detail": ..., "errors": {field: [...]}}`; ApplicationError is 400."""
    if isinstance(exc, ApplicationError):
        body = {"detail": exc.message, "code": exc.code}
        if exc.field:
            body["errors"] = {exc.field: [exc.message]}
        return Response(body, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, RateLimited):
        exc = exceptions.Throttled(wait=exc.retry_after, detail=exc.message)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)  # the policy's own words
    response = exception_handler(exc, context)
    if response is not None and isinstance(exc, exceptions.ValidationError):
        data = response.data
        if isinstance(data, dict):
            messages = [str(m) for value in data.values() for m in _as_list(value)]
            response.data = {
                "detail": messages[0] if messages else "Invalid input.",
                "errors": data,
            }
        else:
            response.data = {"detail": " ".join(str(m) for m in _as_list(data)), "errors": {}}
    return response


def _as_list(value) -> list:
    if isinstance(value, list):
        return [m for item in value for m in _as_list(item)]
    if isinstance(value, dict):
        return [m for item in value.values() for m in _as_list(item)]
    return [value]
