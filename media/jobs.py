"""RQ jobs of media (queue "media"): take ids, call a service. Safe to run any number of times."""

from media.services import media_files_delete, media_process


def process_media(media_id: int) -> str:
    """Make the served variants of one item."""
    return media_process(media_id=media_id)


def delete_files(deletion_id: int) -> str:
    """Delete the files of deleted media."""
    return media_files_delete(deletion_id=deletion_id)
