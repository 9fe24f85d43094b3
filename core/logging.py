"""Log hygiene: no email address reaches the logs.

Addresses turn up in log lines without anyone writing them there: a mail server's refusal
("550 <ada@example.com>: no such user") kept as a delivery's last error, an exception's message.
This filter, on every handler (settings.LOGGING), masks them in the formatted message and in
tracebacks; the database keeps the full text for the admin.
"""

from __future__ import annotations

import logging
import re

from pythonjsonlogger import json as jsonlogger

EMAIL = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+")
MASK = "<email>"


def redact(text: str) -> str:
    return EMAIL.sub(MASK, text)


class RedactEmailsFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


class JsonFormatter(jsonlogger.JsonFormatter):
    """One JSON object a line (LOG_FORMAT=json): time (UTC, ISO 8601), level, logger, message,
    `request_id` when there is one (core.request_id), and the `extra` fields of the call.

    A traceback is written from `exc_text`, which RedactEmailsFilter (on the same handler) has
    already masked: python-json-logger would format `exc_info` anew, addresses and all.
    """

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("fmt", ["levelname", "name", "message"])
        kwargs.setdefault("rename_fields", {"levelname": "level", "name": "logger"})
        kwargs.setdefault("timestamp", "time")
        super().__init__(*args, **kwargs)

    def process_log_record(self, log_data: dict) -> dict:
        return {"time": log_data.pop("time", None), **log_data}  # first, as readers expect

    def format(self, record: logging.LogRecord) -> str:
        exc_info = record.exc_info
        if not (exc_info and record.exc_text):
            return super().format(record)
        record.exc_info = None
        try:
            return super().format(record)
        finally:
            record.exc_info = exc_info
