"""RQ jobs of posts: take ids, re-fetch, call a service."""

import logging

from rq import get_current_job
from rq.timeouts import JobTimeoutException

from posts.services.media import media_fail, media_files_delete, media_process

logger = logging.getLogger(__name__)

# --- Media ------------------------------------------------------------------------------------


def process_media(media_id: int) -> str:
    """Make the served variants of one media item (queue "media"); idempotent."""
    job = get_current_job()
    media = media_process(media_id=media_id, job_id=job.id if job else "")
    return media.status if media is not None else "skipped"


def media_job_failed(job, connection, exc_type, exc_value, traceback) -> None:
    """RQ failure callback of `process_media` (also for a killed or abandoned job).

    A timeout fails the item at once (the same image would time out again); other errors fail
    it once the retries are spent. Never leaves an item stuck in processing.
    """
    media_id = job.args[0]
    if issubclass(exc_type, JobTimeoutException):
        media_fail(
            media_id=media_id,
            job_id=job.id,
            reason="Processing took too long; try a smaller image.",
        )
    elif not job.retries_left:
        logger.warning("Media %s failed for good: %s", media_id, exc_value)
        media_fail(
            media_id=media_id,
            job_id=job.id,
            reason="The photo could not be processed; please try again later.",
        )


def delete_media_files(names: dict[str, list[str]]) -> int:
    """Delete the files of deleted media (queue "media"); idempotent."""
    return media_files_delete(names=names)
