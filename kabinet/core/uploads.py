"""A bound on the size of a request with files. Django's DATA_UPLOAD_MAX_MEMORY_SIZE leaves the
files out of its count, so without this a form could be sent gigabytes that Django would
write to temporary files before any view could refuse them."""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.files.uploadhandler import FileUploadHandler


class RequestSizeLimit(FileUploadHandler):
    """First of FILE_UPLOAD_HANDLERS: a multipart body declared larger than
    KABINET_UPLOAD_MAX_BYTES is refused (400) before a byte of it is read."""

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        if content_length > settings.KABINET_UPLOAD_MAX_BYTES:
            raise RequestDataTooBig("Request body exceeded settings.KABINET_UPLOAD_MAX_BYTES.")
        return None  # within the bound: the next handlers parse it as usual

    def receive_data_chunk(self, raw_data, start):
        return raw_data  # the file's data goes on to the handler that keeps it

    def file_complete(self, file_size):
        return None
