"""Schemathesis hooks for `make fuzz` (scripts/fuzz.py loads them through SCHEMATHESIS_HOOKS).

One correction to Schemathesis 4.32.5, no check turned off. When a negative multipart request
is accepted, its check `negative_data_rejection` reads the form as it went over the wire (a
number sent as a form field is its digits, which are text) and asks whether that form is
valid. A file part keeps the value generated for it, the file's bytes (wrapped in
Schemathesis's `Binary`), which the JSON Schema validator cannot read ("Unsupported type:
'Binary'"); the check then takes the form for invalid and reports an accepted upload with a
numeric alt text as a failure. The schema states a file
as `format: binary`, which any bytes satisfy: here they are read as the empty string, as
Schemathesis reads its own binary values elsewhere (specs/openapi/negative). Anything else,
including a file part whose generated value is not bytes, is checked as before.
"""

from __future__ import annotations

from schemathesis.specs.openapi import checks
from schemathesis.transport.serialization import Binary

_form_body_is_valid_as_sent = checks._form_body_is_valid_as_sent


def _without_bytes(value):
    if isinstance(value, Binary | bytes | bytearray):
        return ""
    if isinstance(value, list):
        return [_without_bytes(item) for item in value]
    return value


def form_body_is_valid_as_sent(response, case, media_type: str) -> bool:
    body = case.body
    if not isinstance(body, dict):
        return _form_body_is_valid_as_sent(response, case, media_type)
    object.__setattr__(case, "body", {name: _without_bytes(v) for name, v in body.items()})
    try:
        return _form_body_is_valid_as_sent(response, case, media_type)
    finally:
        object.__setattr__(case, "body", body)


checks._form_body_is_valid_as_sent = form_body_is_valid_as_sent
