"""Media on pages: a photo's fragment (swapped in by the page's script) and, with local
storage, the served variants."""

from django.core.exceptions import SuspiciousFileOperation
from django.core.files.storage import storages
from django.http import FileResponse, Http404
from django.shortcuts import render
from django.utils._os import safe_join
from django.views.decorators.http import require_safe

from media.selectors import media_get


@require_safe
def photo_fragment(request, media_id: int):
    """GET /photos/<id>/fragment/: the photo as pages show it (templates/media/_photo.html);
    a placeholder asks for it again until the photo is ready or failed."""
    media = media_get(media_id=media_id, viewer=request.user)
    response = render(request, "media/_photo.html", {"media": media})
    response["Cache-Control"] = "no-store"
    return response


@require_safe
def serve_media(request, path: str):
    """Serve a processed variant from local storage (S3 deployments serve from the bucket).

    Only WebP variants of the public storage are reachable (originals live in another storage
    with no URL at all), always as image/webp with nosniff.
    """
    storage = storages["default"]
    location = getattr(storage, "location", None)
    if location is None or not path.startswith("media/") or not path.endswith(".webp"):
        raise Http404("No such file.")
    try:
        full_path = safe_join(location, path)
        handle = open(full_path, "rb")  # noqa: SIM115 - FileResponse closes it
    except (SuspiciousFileOperation, ValueError, OSError) as error:
        raise Http404("No such file.") from error
    response = FileResponse(handle, content_type="image/webp")
    response["X-Content-Type-Options"] = "nosniff"
    # Names are deterministic per item and an item's files never change once ready.
    response["Cache-Control"] = "public, max-age=31536000, immutable"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
