import mimetypes

from django.core.files.storage import default_storage
from django.http import FileResponse, Http404
from django.utils._os import safe_join
from django.views.decorators.http import require_safe


@require_safe
def serve_media(request, path: str):
    """Serve a processed variant from local storage (S3 deployments serve from the bucket).

    Only the public storage is reachable: originals live in another storage with no URL.
    """
    location = getattr(default_storage, "location", None)
    if location is None:
        raise Http404("Media is served by the storage backend.")
    try:
        full_path = safe_join(location, path)
        handle = open(full_path, "rb")  # noqa: SIM115 - FileResponse closes it
    except (ValueError, OSError) as error:
        raise Http404("No such file.") from error
    content_type = mimetypes.guess_type(full_path)[0] or "application/octet-stream"
    response = FileResponse(handle, content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "public, max-age=31536000, immutable"
    return response
