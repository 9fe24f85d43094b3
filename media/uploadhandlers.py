"""Upload handlers: multipart bodies (photos, avatars) read in large chunks.

Django's handlers read 64 kB at a time. Under gunicorn a multi-megabyte photo then costs
about three times the work of moving its bytes: each small read copies what gunicorn has
already buffered from the socket, and every chunk goes through the multipart parser and the
file write on its own. Reading MEDIA_UPLOAD_CHUNK_SIZE at a time (1 MB) keeps one upload's
memory at a few chunks, whatever the file's size: files above FILE_UPLOAD_MAX_MEMORY_SIZE
still stream to a temporary file, which storage then moves into place (a rename when
FILE_UPLOAD_TEMP_DIR is on the same filesystem as the private storage).
"""

from django.conf import settings
from django.core.files.uploadhandler import MemoryFileUploadHandler, TemporaryFileUploadHandler


class LargeChunkMemoryFileUploadHandler(MemoryFileUploadHandler):
    """Small files in memory, as Django does, read MEDIA_UPLOAD_CHUNK_SIZE at a time."""

    def __init__(self, request=None):
        super().__init__(request)
        self.chunk_size = settings.MEDIA_UPLOAD_CHUNK_SIZE


class LargeChunkTemporaryFileUploadHandler(TemporaryFileUploadHandler):
    """Larger files to a temporary file, as Django does, read MEDIA_UPLOAD_CHUNK_SIZE at a time."""

    def __init__(self, request=None):
        super().__init__(request)
        self.chunk_size = settings.MEDIA_UPLOAD_CHUNK_SIZE
