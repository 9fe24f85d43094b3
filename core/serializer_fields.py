"""Serializer fields that accept exactly what the API schema says, for JSON bodies.

DRF's CharField turns a number into text and IntegerField reads "5" as 5; fine for a form post,
where every value arrives as text, but a JSON client that sends 5 for a title or "5" for an id
made a mistake the schema calls invalid, and the API answers so. Text with something in it
(`NonBlankText`) is described with a pattern, so the schema says what the field refuses.
"""

from rest_framework import serializers

from core.schema import NONBLANK_TEXT_PATTERN, TEXT_PATTERN

# The largest id a database row may have (PostgreSQL's bigint).
MAX_ID = 2**63 - 1


class StrictText(serializers.RegexField):
    """A JSON string only; no NUL (core.text)."""

    def __init__(self, regex: str = TEXT_PATTERN, **kwargs):
        kwargs.setdefault("trim_whitespace", False)
        self.pattern = regex  # for the schema (core.schema.StrictTextExtension)
        super().__init__(regex, **kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class NonBlankText(StrictText):
    """A JSON string with something besides white space in it."""

    def __init__(self, **kwargs):
        super().__init__(NONBLANK_TEXT_PATTERN, **kwargs)


class StrictInteger(serializers.IntegerField):
    """A JSON integer only (not "5", not 5.0, not true)."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictBoolean(serializers.BooleanField):
    """A JSON true or false only (not "1", "yes" or 0); `form=True`: the words "true" and
    "false" of a multipart form, as the schema writes a boolean there."""

    def __init__(self, *, form: bool = False, **kwargs):
        self.form = form
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if self.form and data in ("true", "false"):
            return data == "true"
        if not self.form and isinstance(data, bool):
            return data
        self.fail("invalid", input=data)


class IdList(serializers.ListField):
    """Distinct row ids (JSON integers, or text in a form post); the schema says uniqueItems
    (core.schema.IdListExtension)."""

    default_error_messages = {"not_unique": "An id is listed twice."}

    def __init__(self, *, strict: bool = True, **kwargs):
        integer = StrictInteger if strict else serializers.IntegerField
        kwargs.setdefault("child", integer(min_value=1, max_value=MAX_ID))
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        ids = super().to_internal_value(data)
        if len(set(ids)) != len(ids):
            self.fail("not_unique")
        return ids
