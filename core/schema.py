"""The OpenAPI schema tells the truth: every operation lists the error statuses it can really
return, each with the one `Error` component (core.errors), and every text input says it takes
no NUL character (core.text refuses it)."""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers
from rest_framework.permissions import AllowAny


class ErrorSerializer(serializers.Serializer):
    """Every API answer from 400 to 503."""

    detail = serializers.CharField(help_text="A readable message.")
    code = serializers.CharField(help_text="Machine-readable, e.g. `invalid`, `not_found`.")
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text='Messages by input at fault, e.g. {"title": ["..."], "media_ids.0": ["..."]}; '
        "empty when none is.",
    )

    class Meta:
        ref_name = "Error"


RETRY_AFTER = {
    "Retry-After": {
        "schema": {"type": "integer"},
        "description": "Seconds to wait before trying again.",
        "required": True,
    }
}
DESCRIPTIONS = {
    400: "Invalid input (see `errors`), or text the database cannot store in the URL.",
    401: "No valid credentials (missing, unknown, expired or revoked token).",
    403: "Not allowed: someone else's object, or a session request without its CSRF token.",
    404: "No such object (or not visible to you), or no such page of a list.",
    409: "The request conflicts with how things are (a name taken, following yourself, a photo "
    "that could not be processed).",
    413: "The body, or one of its files, is larger than the limits.",
    414: "The URL is longer than the server reads (4094 bytes for the request line).",
    415: "The body's content type is not one this operation reads, or a file is not an image "
    "of an accepted format.",
    431: "The headers are larger than the server reads (8190 bytes for one).",
    429: "Too many requests; `Retry-After` says when to come back.",
    500: "An error on the server's side, logged.",
    503: "A dependency (the database) is unavailable for a moment; try again.",
}


def error_responses(*status_codes: int) -> dict:
    """Error statuses an operation may answer beside those every operation lists (AutoSchema
    adds these): for `extend_schema(responses={..., **error_responses(409)})`."""
    return {
        code: OpenApiResponse(ErrorSerializer, description=DESCRIPTIONS[code])
        for code in status_codes
    }


class AutoSchema(SpectacularAutoSchema):
    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for status_code in self._error_statuses():
            if str(status_code) in responses:
                continue
            response = self._get_response_for_code(
                OpenApiResponse(ErrorSerializer, description=DESCRIPTIONS[status_code]),
                str(status_code),
                direction=direction,
            )
            if status_code in (429, 503):
                response["headers"] = RETRY_AFTER
            responses[str(status_code)] = response
        return responses

    def _error_statuses(self) -> list[int]:
        # Any request: text that cannot be stored (core.text), a request line or headers
        # longer than gunicorn reads (gunicorn.conf.py), throttles, the database gone.
        statuses = [400, 414, 429, 431, 500, 503]
        view = self.view
        if view.authentication_classes:
            statuses.append(401)  # a bad Authorization header, even where no login is needed
        public = any(isinstance(p, AllowAny) for p in view.get_permissions())
        if not public and self.method not in ("GET", "HEAD", "OPTIONS"):
            statuses.append(403)
        if self._has_path_parameters() or self._is_list_view():
            statuses.append(404)
        if self.method in ("POST", "PUT", "PATCH") or self._delete_reads_body():
            statuses += [413, 415]
        return sorted(set(statuses))

    def _delete_reads_body(self) -> bool:
        """A DELETE whose view reads a body says so with `schema_delete_body = True` (leaving
        reads the password: DELETE me/)."""
        return self.method == "DELETE" and getattr(self.view, "schema_delete_body", False)

    def _get_request_body(self, direction="request"):
        # drf-spectacular states a body for POST, PUT and PATCH only.
        if not self._delete_reads_body():
            return super()._get_request_body(direction)
        self.method = "POST"
        try:
            return super()._get_request_body(direction)
        finally:
            self.method = "DELETE"

    def _has_path_parameters(self) -> bool:
        return "{" in self.path


# Text the database can store (core.text), and text with something in it besides white space.
TEXT_PATTERN = r"^[^\x00]*$"
NONBLANK_TEXT_PATTERN = r"^[^\x00]*[^\s\x00][^\x00]*$"


def text_without_nul(result, generator, request, public):
    """Postprocessing hook, two truths about text inputs:
    - one with no pattern of its own gets TEXT_PATTERN (no NUL: core.text);
    - where blank is allowed beside a pattern, drf-spectacular offers "" as a second choice in
      a oneOf, which "" then matches twice: anyOf says what is meant.
    """

    def visit(node) -> None:
        if isinstance(node, dict):
            text = node.get("type") == "string" and not {"format", "pattern", "enum"} & set(node)
            if text:
                node["pattern"] = TEXT_PATTERN
            choices = node.get("oneOf")
            if choices and any(choice.get("maxLength") == 0 for choice in choices):
                node["anyOf"] = node.pop("oneOf")
            for value in node.values():
                visit(value)
        elif isinstance(node, list):
            for value in node:
                visit(value)

    schemas = result.get("components", {}).get("schemas", {})
    visit(result.get("paths", {}))
    visit(schemas)
    return result


class IdListExtension(OpenApiSerializerFieldExtension):
    """core.serializer_fields.IdList: an array of distinct ids."""

    target_class = "core.serializer_fields.IdList"

    def map_serializer_field(self, auto_schema, direction):
        schema = auto_schema._map_serializer_field(self.target, direction, bypass_extensions=True)
        schema["uniqueItems"] = True
        return schema


class StrictTextExtension(OpenApiSerializerFieldExtension):
    """core.serializer_fields.StrictText (and NonBlankText): one string schema with its pattern
    and lengths (DRF's RegexField with blanks allowed would be a oneOf that "" matches twice)."""

    target_class = "core.serializer_fields.StrictText"
    match_subclasses = True

    def map_serializer_field(self, auto_schema, direction):
        field = self.target
        schema = {"type": "string", "pattern": field.pattern}
        if field.max_length is not None:
            schema["maxLength"] = field.max_length
        if field.min_length is not None:
            schema["minLength"] = field.min_length
        elif not field.allow_blank:
            schema["minLength"] = 1
        return schema
