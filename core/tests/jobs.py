"""A job for the tests of request ids: it says, in its log and its result, which request it
runs for."""

import logging

from core import request_id

logger = logging.getLogger(__name__)


def report_request_id() -> str | None:
    logger.info("The job runs")
    return request_id.current()
