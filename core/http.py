"""Helpers of the HTML views that every app shares."""

from __future__ import annotations

from django.utils.http import url_has_allowed_host_and_scheme

from core.errors import ApplicationError


def safe_next_url(request, default: str) -> str:
    """Where a form sends the person back: `next` (POST or GET) when it is on this site."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return default


def form_error(form, error: ApplicationError, *, fields: dict[str, str] | None = None) -> None:
    """Show a domain error on the form: next to its field when the form has it (`fields` maps a
    service's field name to the form's), else above the form."""
    field = (fields or {}).get(error.field, error.field)
    form.add_error(field if field in form.fields else None, error.message)


def call_service(form, service, **kwargs):
    """Call a service; a domain error becomes a form error and None is returned."""
    try:
        return service(**kwargs)
    except ApplicationError as error:
        form_error(form, error)
        return None


def wants_fragment(request) -> bool:
    """True when the page's script asked for a fragment to swap in place (static/js/site.js)."""
    return request.headers.get("X-Fragment") == "1"
