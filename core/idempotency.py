"""Idempotency-Key: a request sent again (a client retrying after a timeout) is answered once.

Decorate a DRF view method that creates something:

    @extend_schema(..., parameters=[IDEMPOTENCY_KEY_PARAMETER],
                   responses={201: PostSerializer, **IDEMPOTENCY_RESPONSES})
    @idempotent
    def post(self, request): ...

Without the header the method runs as it always did. With it (1 to 255 printable ASCII
characters, no space at either end, else 400 naming the header), per signed-in person:

- the first request records the key with a fingerprint of the request (method, path with its
  query, body; a multipart body by its fields and each file's name, size and SHA-256) in its
  own committed write before the method runs, then keeps the answer, status and JSON body;
- a retry with the same key and the same request gets that answer again (header
  `Idempotent-Replayed: true`) and the method does not run; with another request it is 422
  `idempotency_key_reused`;
- a duplicate arriving while the first still runs meets the record's unique constraint and
  waits up to WAIT_SECONDS for the answer, else 409 `idempotency_key_in_progress`;
- answers of 500 and more, 429 (come back later) and exceptions are not kept: the record is
  removed so that a retry runs again. 4xx answers (a 400 of bad input, a 404) are kept;
- keys expire after KEY_TTL: a later request with the key runs again, and the minute sweep
  (`forget_expired`, registered in core.apps) deletes the old records. A record left "in
  progress" for ABANDONED_AFTER (its process died) is given up, and a retry runs again.

The record is written outside any transaction of the method's services (they open their own),
so that production's autocommit commits it before the method runs; a request wrapped in one
transaction (ATOMIC_REQUESTS) would lose that, and the project does not use it.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import re
import time
from datetime import timedelta

from django.core.files.uploadedfile import UploadedFile
from django.db import DatabaseError, IntegrityError, transaction
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.translation import gettext
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.utils.encoders import JSONEncoder

from core.models import IdempotentRequest
from core.schema import ErrorSerializer

logger = logging.getLogger(__name__)

HEADER = "Idempotency-Key"
KEY_TTL = timedelta(hours=24)
# Longer than any request may run (gunicorn stops a worker after 30 s).
ABANDONED_AFTER = timedelta(minutes=5)
WAIT_SECONDS = 5.0
POLL_SECONDS = 0.05

# Printable ASCII; a space inside only (HTTP strips those at the ends).
KEY_PATTERN = r"^[\x21-\x7e]([\x20-\x7e]{0,253}[\x21-\x7e])?$"
_VALID_KEY = re.compile(KEY_PATTERN)
INVALID_KEY_MESSAGE = lazy(
    lambda: (
        gettext(
            "%(header)s must be 1 to 255 printable ASCII characters, with no space at either end."
        )
        % {"header": HEADER}
    ),
    str,
)()


class IdempotencyKeyReused(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_code = "idempotency_key_reused"
    default_detail = lazy(
        lambda: (
            gettext(
                "This %(header)s was already used for a different request; send a new key with a "
                "new request."
            )
            % {"header": HEADER}
        ),
        str,
    )()


class IdempotencyKeyInProgress(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "idempotency_key_in_progress"
    default_detail = lazy(
        lambda: (
            gettext(
                "A request with this %(header)s is still being handled; send it again in a moment."
            )
            % {"header": HEADER}
        ),
        str,
    )()


IDEMPOTENCY_KEY_PARAMETER = OpenApiParameter(
    HEADER,
    {"type": "string", "minLength": 1, "maxLength": 255, "pattern": KEY_PATTERN},
    location=OpenApiParameter.HEADER,
    required=False,
    description=(
        "1 to 255 printable ASCII characters, new for each new request. A retry with the same "
        "key and the same request gets the first answer again (status and body, with "
        "`Idempotent-Replayed: true`) and creates nothing; keys are kept for 24 hours."
    ),
)
IDEMPOTENCY_RESPONSES = {
    409: OpenApiResponse(
        ErrorSerializer,
        description="`idempotency_key_in_progress`: a request with this Idempotency-Key is "
        "still being handled; send it again in a moment.",
    ),
    422: OpenApiResponse(
        ErrorSerializer,
        description="`idempotency_key_reused`: this Idempotency-Key was used for a different "
        "request (method, path or body).",
    ),
}


def idempotent(method):
    """Honour the Idempotency-Key header on a DRF view method (see the module's docstring)."""

    @functools.wraps(method)
    def wrapper(view, request, *args, **kwargs):
        key = request.headers.get(HEADER)
        if key is None or not request.user.is_authenticated:
            return method(view, request, *args, **kwargs)
        if not _VALID_KEY.fullmatch(key):
            raise exceptions.ValidationError({HEADER: [INVALID_KEY_MESSAGE]})
        claimed = _claim(user=request.user, key=key, fingerprint=_fingerprint(request))
        if isinstance(claimed, Response):
            return claimed
        try:
            try:
                response = method(view, request, *args, **kwargs)
            except Exception as error:
                # DRF's own answer for API errors (so a 400 is kept); anything else re-raises.
                response = view.handle_exception(error)
        except BaseException:
            _forget(claimed)
            raise
        _keep(claimed, response)
        return response

    return wrapper


def forget_expired() -> int:
    """Delete the records of keys older than KEY_TTL (the minute sweep); returns how many."""
    deleted, _by_model = IdempotentRequest.objects.filter(
        created_at__lt=timezone.now() - KEY_TTL
    ).delete()
    return deleted


# --- The record -------------------------------------------------------------------------------


def _claim(*, user, key: str, fingerprint: str) -> IdempotentRequest | Response:
    """Our new record (committed: the method may run), or the earlier request's answer."""
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        try:
            with transaction.atomic():
                return IdempotentRequest.objects.create(user=user, key=key, fingerprint=fingerprint)
        except IntegrityError:
            pass  # the key is taken: by an earlier request, or by one running right now
        earlier = IdempotentRequest.objects.filter(user=user, key=key).first()
        if earlier is None:
            if time.monotonic() >= deadline:  # never, unless the insert fails for another reason
                raise IdempotencyKeyInProgress()
            continue  # it failed and was removed meanwhile: this request runs
        now = timezone.now()
        running = earlier.state == IdempotentRequest.State.IN_PROGRESS
        if earlier.created_at < now - KEY_TTL or (
            running and earlier.created_at < now - ABANDONED_AFTER
        ):
            IdempotentRequest.objects.filter(pk=earlier.pk, created_at=earlier.created_at).delete()
            continue
        if earlier.fingerprint != fingerprint:
            raise IdempotencyKeyReused()
        if not running:
            return Response(
                earlier.body, status=earlier.status_code, headers={"Idempotent-Replayed": "true"}
            )
        if time.monotonic() >= deadline:
            raise IdempotencyKeyInProgress()
        time.sleep(POLL_SECONDS)


def _keep(record: IdempotentRequest, response) -> None:
    """Store the answer for retries; a server error or 429 removes the record instead."""
    code = response.status_code
    if code >= 500 or code == status.HTTP_429_TOO_MANY_REQUESTS:
        _forget(record)
        return
    # As the JSON renderer writes it (dates, decimals, lazy text), so a replay reads the same.
    body = json.loads(json.dumps(getattr(response, "data", None), cls=JSONEncoder))
    try:
        IdempotentRequest.objects.filter(pk=record.pk).update(
            state=IdempotentRequest.State.DONE, status_code=code, body=body
        )
    except DatabaseError:
        # The work is done: answer it. A retry meets the record in progress (409) until it is
        # given up as abandoned.
        logger.exception("Could not keep the answer of %s %s", HEADER, record.pk)


def _forget(record: IdempotentRequest) -> None:
    try:
        IdempotentRequest.objects.filter(pk=record.pk).delete()
    except DatabaseError:
        logger.exception("Could not remove %s %s; it is given up later", HEADER, record.pk)


# --- The fingerprint --------------------------------------------------------------------------


def _fingerprint(request) -> str:
    """SHA-256 of what makes a request this request: method, path and query, body."""
    data = request.data  # parsed here: an unreadable body is refused before the key is looked at
    if hasattr(data, "lists"):  # a form or multipart body: every value of every field
        body = sorted(
            ([name, [_form_value(value) for value in values]] for name, values in data.lists()),
            key=lambda field: field[0],
        )
    else:
        body = data
    described = json.dumps(
        {"method": request.method, "path": request.get_full_path(), "body": body},
        sort_keys=True,
        cls=JSONEncoder,
    )
    return hashlib.sha256(described.encode()).hexdigest()


def _form_value(value):
    if not isinstance(value, UploadedFile):
        return value
    digest = hashlib.sha256()
    for chunk in value.chunks():
        digest.update(chunk)
    value.seek(0)  # the view reads it next
    return {"name": value.name, "size": value.size, "sha256": digest.hexdigest()}
