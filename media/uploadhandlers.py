"""Reading request bodies (photos, avatars): limits that stop the reading, and large chunks.

Limits, enforced while the body arrives, so that no upload fills the disk or holds a worker:

- A request whose Content-Length passes MEDIA_MAX_REQUEST_BYTES is answered 413 before a byte
  of its body is read (UploadLimitMiddleware, on its way in).
- UploadLimitHandler, first of FILE_UPLOAD_HANDLERS, stops reading as soon as one file passes
  MEDIA_MAX_UPLOAD_BYTES: StopUpload(connection_reset=True) leaves the rest of the body unread,
  and the part already received is closed, which deletes its temporary file. The handler marks
  the request (`upload_refusal`), and whoever parsed the body answers 413:
  - pages: UploadLimitMiddleware.process_view, after CsrfViewMiddleware (whose check of a POST
    is what usually parses the body; the middleware parses it otherwise): the view's form page
    again with the message next to the file field, or templates/413.html for a view without a
    form;
  - the API: DRF parses at `request.data`, or earlier in SessionAuthentication's CSRF check,
    through LimitedMultiPartParser (the API's multipart parser), which raises UploadTooLarge.
- Past a person's upload rate or daily bytes (media.services), a form page shows the message
  next to its file field, with 429 and Retry-After; views without a form answer through
  core.middleware.RateLimitedMiddleware, the API through core.errors.

A full disk: a temporary file that cannot be written (ENOSPC in FILE_UPLOAD_TEMP_DIR, or any
other OSError there) stops the reading the same way, its part already written deleted, and the
request is answered 503 with Retry-After (JSON under /api/, the form again or the 503 page
elsewhere): the server lacks room for a while, the upload itself is fine.

Large chunks: Django's handlers read 64 kB at a time. Under gunicorn a multi-megabyte photo
then costs about three times the work of moving its bytes: each small read copies what gunicorn
has already buffered from the socket, and every chunk goes through the multipart parser and the
file write on its own. Reading MEDIA_UPLOAD_CHUNK_SIZE at a time (1 MB) keeps one upload's
memory at a few chunks, whatever the file's size: files above FILE_UPLOAD_MAX_MEMORY_SIZE still
stream to a temporary file, which storage then moves into place (a rename when
FILE_UPLOAD_TEMP_DIR is on the same filesystem as the private storage).
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS
from django.core.files.uploadhandler import (
    FileUploadHandler,
    MemoryFileUploadHandler,
    StopUpload,
    TemporaryFileUploadHandler,
)
from django.http import HttpResponse, JsonResponse, UnreadablePostError
from django.shortcuts import render
from django.urls import Resolver404, resolve
from django.utils.translation import gettext
from django.views.generic.edit import FormMixin
from rest_framework import status
from rest_framework.exceptions import APIException, ParseError
from rest_framework.parsers import MultiPartParser

from core.errors import error_body
from core.ratelimit import RateLimited

logger = logging.getLogger(__name__)

MB = 1024 * 1024
# How long a client waits before sending again an upload refused for lack of room.
NO_ROOM_RETRY_AFTER = 60


@dataclass(frozen=True)
class UploadRefusal:
    """Why the body of a request was not read to its end; `field` names the file input.
    `status` and `code` are the answer's: 413 for an upload too large, 503 when the server had
    no room to receive it."""

    message: str
    field: str | None = None
    status: int = 413
    code: str = "upload_too_large"

    @property
    def retry_after(self) -> int | None:
        return NO_ROOM_RETRY_AFTER if self.status == 503 else None


def upload_refusal(request) -> UploadRefusal | None:
    """The refusal marked on `request` (a Django or a DRF request) while its body was read."""
    return getattr(getattr(request, "_request", request), "upload_refusal", None)


# --- Reading: the limit, large chunks ---------------------------------------------------------


class UploadLimitHandler(FileUploadHandler):
    """First of FILE_UPLOAD_HANDLERS: passes every chunk on to the next handler until one file
    passes MEDIA_MAX_UPLOAD_BYTES, then marks the request and stops reading the body."""

    def __init__(self, request=None):
        super().__init__(request)
        # The multipart parser reads in its handlers' smallest chunk size.
        self.chunk_size = settings.MEDIA_UPLOAD_CHUNK_SIZE

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        limit = settings.MEDIA_MAX_UPLOAD_BYTES
        if start + len(raw_data) > limit:
            name = self.file_name or "The file"
            self.request.upload_refusal = UploadRefusal(
                f"{name}: the file is larger than {limit / MB:g} MB, the limit.",
                field=self.field_name,
            )
            raise StopUpload(connection_reset=True)
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None  # the next handler holds the file


class LargeChunkMemoryFileUploadHandler(MemoryFileUploadHandler):
    """Small files in memory, as Django does, read MEDIA_UPLOAD_CHUNK_SIZE at a time."""

    def __init__(self, request=None):
        super().__init__(request)
        self.chunk_size = settings.MEDIA_UPLOAD_CHUNK_SIZE


class LargeChunkTemporaryFileUploadHandler(TemporaryFileUploadHandler):
    """Larger files to a temporary file, as Django does, read MEDIA_UPLOAD_CHUNK_SIZE at a time.
    A temporary file that cannot be made or written (the disk is full) stops the reading: the
    part written is deleted and the request is marked, to be answered 503."""

    def __init__(self, request=None):
        super().__init__(request)
        self.chunk_size = settings.MEDIA_UPLOAD_CHUNK_SIZE

    def new_file(self, *args, **kwargs) -> None:
        try:
            super().new_file(*args, **kwargs)
        except OSError as error:
            self._no_room(error)

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        try:
            super().receive_data_chunk(raw_data, start)
        except OSError as error:
            self._no_room(error)

    def file_complete(self, file_size: int):
        try:
            return super().file_complete(file_size)  # flushes what is buffered
        except OSError as error:
            self._no_room(error)

    def _no_room(self, error: OSError):
        logger.error("No room for an upload's temporary file: %s", error)
        if hasattr(self, "file"):
            # Closing deletes the temporary file, even when the flush of its buffer fails.
            with contextlib.suppress(OSError):
                self.file.close()
        self.request.upload_refusal = UploadRefusal(
            _no_room_message(), field=self.field_name, status=503, code="no_room_for_upload"
        )
        raise StopUpload(connection_reset=True)


def _no_room_message() -> str:
    return gettext(
        "The server has no room to receive this upload right now; nothing of it was kept. "
        "Please try again in a few minutes."
    )


# --- Answering: the API -----------------------------------------------------------------------


class UploadRefused(APIException):
    """The API's answer to a body whose reading was stopped: 413, or 503 with Retry-After."""

    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "upload_too_large"

    def __init__(self, refusal: UploadRefusal):
        super().__init__(refusal.message, refusal.code)  # core.errors writes the API's format
        self.status_code = refusal.status
        self.wait = refusal.retry_after  # DRF's handler writes it as Retry-After


class LimitedMultiPartParser(MultiPartParser):
    """The API's multipart parser: a body whose reading UploadLimitHandler stopped is a 413,
    never the part of it that was read."""

    def parse(self, stream, media_type=None, parser_context=None):
        parsed = super().parse(stream, media_type, parser_context)
        refusal = upload_refusal((parser_context or {}).get("request"))
        if refusal is not None:
            for _name, files in parsed.files.lists():
                for file in files:
                    file.close()  # a temporary file is deleted as it closes
            raise UploadRefused(refusal)
        if not parsed.data and not parsed.files and _more_than_a_closing_line(parser_context):
            # Text and no part: not a multipart body. (Just the closing line is an empty one.)
            raise ParseError("The multipart body holds no part.")
        return parsed


def _more_than_a_closing_line(parser_context) -> bool:
    request = (parser_context or {}).get("request")
    if request is None:
        return False
    boundary = request.content_type.partition("boundary=")[2].strip('"')
    return _content_length(request) > len(f"--{boundary}--\r\n")


# --- Answering: the middleware ----------------------------------------------------------------


class UploadLimitMiddleware:
    """After CsrfViewMiddleware and core's RateLimitedMiddleware in MIDDLEWARE: refuses a body
    over MEDIA_MAX_REQUEST_BYTES before it is read, answers 413 for a request whose reading
    UploadLimitHandler stopped, and shows a form's uploads past a rate limit on the form."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        length = _content_length(request)
        limit = settings.MEDIA_MAX_REQUEST_BYTES
        if length <= limit:
            return self.get_response(request)
        refusal = UploadRefusal(
            f"This upload is {length / MB:.1f} MB; the limit is {limit / MB:g} MB for "
            "everything sent at once."
        )
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return _refused(request, refusal)
        # Nothing was read: a form page shows the form as it first does.
        return _refused(request, refusal, view=(match.func, match.args, match.kwargs))

    def process_view(self, request, view_func, view_args, view_kwargs):
        if (
            request.method == "POST"
            and request.content_type == "multipart/form-data"
            and not _is_api_view(view_func)
        ):
            # Parse now if the CSRF check did not (an exempt view, the test client), so that
            # the view never sees a body cut short. DRF views parse it themselves.
            with contextlib.suppress(UnreadablePostError):
                request.FILES  # noqa: B018
        refusal = upload_refusal(request)
        if refusal is None:
            return None
        view = (view_func, view_args, view_kwargs)
        return _refused(request, refusal, view=view, data=request.POST)

    def process_exception(self, request, exception):
        """An upload past a person's limits (media.services) is shown on the form posted."""
        match = request.resolver_match
        if not isinstance(exception, RateLimited) or match is None or _is_api_view(match.func):
            return None
        fields = [name for name, files in request.FILES.lists() if files]
        if not fields:
            return None
        response = _form_page_again(
            request,
            (match.func, match.args, match.kwargs),
            field=fields[0],
            message=exception.message,
            status=429,
            data=request.POST,
        )
        if response is not None:
            response["Retry-After"] = str(exception.retry_after)
        return response  # None: RateLimitedMiddleware answers


def _content_length(request) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


def _is_api_view(view_func) -> bool:
    # Imported here: DRF's views module imports this one (DEFAULT_PARSER_CLASSES).
    from rest_framework.views import APIView

    view_class = getattr(view_func, "cls", None)
    return isinstance(view_class, type) and issubclass(view_class, APIView)


def _refused(request, refusal: UploadRefusal, *, view=None, data=None) -> HttpResponse:
    """413 (or 503, no room): JSON under /api/; the page of `view` again when it has a form
    (bound to `data`, what was read of the post); else the 413 (or 503) page."""
    response = None
    if request.path.startswith("/api/"):
        response = JsonResponse(error_body(refusal.message, refusal.code), status=refusal.status)
    elif view is not None:
        response = _form_page_again(
            request,
            view,
            field=refusal.field,
            message=refusal.message,
            status=refusal.status,
            data=data,
        )
    if response is None:
        template = "503.html" if refusal.status == 503 else "413.html"
        response = render(request, template, {"message": refusal.message}, status=refusal.status)
    if refusal.retry_after is not None:
        response["Retry-After"] = str(refusal.retry_after)
    return response


def _form_page_again(request, view, *, field: str | None, message: str, status: int, data=None):
    """The page of a form view as its GET draws it, with `message` as the form's only error,
    next to `field` when the form has it; the form is bound to `data` (what was read of the
    post), or, when nothing was read, shows what the page first shows. None when the view
    draws no form for this person (not a form view, a redirect to log in).

    Drawing the page through the view's own GET keeps what its dispatch does (log-in, who may
    edit what, the object being edited) without repeating it here.
    """
    view_func, view_args, view_kwargs = view
    view_class = getattr(view_func, "view_class", None)
    if not (isinstance(view_class, type) and issubclass(view_class, FormMixin)):
        return None
    method, request.method = request.method, "GET"
    try:
        drawn = view_func(request, *view_args, **view_kwargs)
        form_view = (getattr(drawn, "context_data", None) or {}).get("view")
        if not isinstance(form_view, FormMixin):
            return None
        form_class, kwargs = form_view.get_form_class(), form_view.get_form_kwargs()
        form = form_class(**kwargs) if data is None else form_class(data=data, **kwargs)
        form.full_clean()
        form.errors.clear()  # the rest of the form was not checked: this error alone
        key = field if field in form.fields else NON_FIELD_ERRORS
        form.errors[key] = form.error_class(
            [message],
            error_class="nonfield" if key == NON_FIELD_ERRORS else None,
            renderer=form.renderer,
        )
        page = form_view.render_to_response(form_view.get_context_data(form=form), status=status)
        return page.render()
    finally:
        request.method = method
