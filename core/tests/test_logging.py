"""No email address reaches the logs."""

import logging

from core.logging import RedactEmailsFilter


def test_addresses_are_masked_in_messages_arguments_and_tracebacks():
    record = logging.LogRecord(
        "test", logging.WARNING, __file__, 1, "refused: %s", ("550 <ada@example.com>",), None
    )
    try:
        raise ValueError("no such user grace.hopper+tag@mail.example.org")
    except ValueError:
        import sys

        record.exc_info = sys.exc_info()

    assert RedactEmailsFilter().filter(record) is True

    assert record.getMessage() == "refused: 550 <<email>>"
    assert "grace.hopper" not in record.exc_text
    assert "<email>" in record.exc_text


def test_the_console_handler_of_the_settings_masks_them(settings):
    console = settings.LOGGING["handlers"]["console"]

    assert "redact_emails" in console["filters"]
    assert settings.LOGGING["filters"]["redact_emails"]["()"] == "core.logging.RedactEmailsFilter"
