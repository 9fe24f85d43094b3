"""Log hygiene: no email address reaches the logs.

Addresses turn up in log lines without anyone writing them there: a mail server's refusal
("550 <ada@example.com>: no such user") kept as a delivery's last error, an exception's message.
This filter, on every handler (settings.LOGGING), masks them in the formatted message and in
tracebacks; the database keeps the full text for the admin.
"""

from __future__ import annotations

import logging
import re

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
