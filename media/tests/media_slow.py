"""A media job that stalls while processing, so that a test can kill the worker running it."""

import time

from media import imaging
from media.jobs import process_media


def process_media_slowly(media_id: int) -> str:
    original_render = imaging.render

    def stalled_render(*args, **kwargs):
        time.sleep(60)
        return original_render(*args, **kwargs)

    imaging.render = stalled_render
    try:
        return process_media(media_id)
    finally:
        imaging.render = original_render
