"""The project's error views (friends_site/urls.py): JSON in the API's format under /api/, a page
in the site's style everywhere else."""

from django.http import HttpResponseServerError
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import Resolver404, resolve
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from core.errors import api_error_response


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


def bad_request(request, exception=None):
    if _is_api(request):
        return api_error_response(400)
    return render(request, "400.html", status=400)


def permission_denied(request, exception=None):
    if _is_api(request):
        return api_error_response(403, str(exception) if exception and str(exception) else None)
    return render(request, "403.html", {"message": str(exception or "")}, status=403)


def csrf_failure(request, reason=""):
    """CSRF_FAILURE_VIEW: a refused form post is the styled 403 page; under /api/ the JSON 403
    (DRF's own session check answers the same)."""
    if _is_api(request):
        return api_error_response(403, f"CSRF Failed: {reason}")
    message = _("This form was sent without its security token; reload the page and send it again.")
    return render(request, "403.html", {"message": message}, status=403)


def page_not_found(request, exception=None):
    if _is_api(request):
        return api_not_found(request)
    return render(request, "404.html", status=404)


@csrf_exempt  # it changes nothing: a write to an unknown path is a 404, not a CSRF failure
def api_not_found(request, *args, **kwargs):
    """Any /api/ path no endpoint answers (friends_site/urls.py routes them all here)."""
    detail = _("No API endpoint answers %(path)s.") % {"path": request.path}
    if not request.path.endswith("/") and _resolves_to_endpoint(request.path + "/"):
        detail += " " + _("Paths end with a slash: %(path)s/") % {"path": request.path}
    return api_error_response(404, detail)


def _resolves_to_endpoint(path: str) -> bool:
    try:
        return resolve(path).func is not api_not_found
    except Resolver404:
        return False


def server_error(request):
    """No request context: whatever failed (the database, a context processor) may fail again."""
    if _is_api(request):
        return api_error_response(500)
    return HttpResponseServerError(render_to_string("500.html"))
