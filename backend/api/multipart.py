"""Streaming multipart/form-data reception: each file part goes straight into the upload
store's temporary area, hashed and size-checked as it arrives, never held in memory."""

from __future__ import annotations

from dataclasses import dataclass, field

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from backend.documents.library import safe_filename
from backend.documents.storage import IncomingFile, UploadStore
from backend.errors import InvalidInput, TooLarge, UnsupportedType

FILE_FIELDS = ("file", "files")
MAX_FIELD_BYTES = 64 * 1024  # plain form fields are ignored, but not read without bound
MULTIPART_OVERHEAD = 64 * 1024  # per file: boundaries and part headers
NOT_MULTIPART = "Send the upload as multipart/form-data with the file in the 'file' field."


@dataclass
class _Part:
    headers: dict[bytes, bytes] = field(default_factory=dict)
    field_bytes: int = 0
    incoming: IncomingFile | None = None
    filename: str = ""


class _Receiver:
    """python-multipart callbacks that write file parts to the upload store."""

    def __init__(self, uploads: UploadStore, max_bytes: int, max_files: int) -> None:
        self.uploads = uploads
        self.max_bytes = max_bytes
        self.max_files = max_files
        self.files: list[tuple[str, IncomingFile]] = []
        self.part = _Part()
        self._name = b""
        self._value = b""

    def callbacks(self) -> dict[str, object]:
        return {
            "on_part_begin": self.on_part_begin,
            "on_header_field": self.on_header_field,
            "on_header_value": self.on_header_value,
            "on_header_end": self.on_header_end,
            "on_headers_finished": self.on_headers_finished,
            "on_part_data": self.on_part_data,
            "on_part_end": self.on_part_end,
        }

    def on_part_begin(self) -> None:
        self.part = _Part()

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._name += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._value += data[start:end]

    def on_header_end(self) -> None:
        self.part.headers[self._name.lower()] = self._value
        self._name, self._value = b"", b""

    def on_headers_finished(self) -> None:
        _, options = parse_options_header(self.part.headers.get(b"content-disposition", b""))
        name = options.get(b"name", b"").decode("utf-8", "replace")
        if name not in FILE_FIELDS or b"filename" not in options:
            return  # another form field: read and ignored
        if len(self.files) >= self.max_files:
            raise InvalidInput(f"At most {self.max_files} files can be uploaded at once.")
        filename = safe_filename(options[b"filename"].decode("utf-8", "replace"))
        self.part.filename = filename
        self.part.incoming = self.uploads.receive(max_bytes=self.max_bytes, label=filename)
        self.files.append((filename, self.part.incoming))

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self.part.incoming is not None:
            self.part.incoming.write(data[start:end])
            return
        self.part.field_bytes += end - start
        if self.part.field_bytes > MAX_FIELD_BYTES:
            raise InvalidInput("A form field other than 'file' is too long.")

    def on_part_end(self) -> None:
        if self.part.incoming is not None:
            self.part.incoming.close()

    def discard(self) -> None:
        for _, incoming in self.files:
            incoming.discard()


async def receive_files(
    request: Request, *, uploads: UploadStore, max_bytes: int, max_files: int
) -> list[tuple[str, IncomingFile]]:
    """The request's files as (safe filename, received file); the caller keeps or discards."""
    content_type, params = parse_options_header(request.headers.get("content-type", ""))
    if content_type != b"multipart/form-data" or not params.get(b"boundary"):
        raise UnsupportedType(NOT_MULTIPART)
    _refuse_oversized_body(request, max_bytes, max_files)
    receiver = _Receiver(uploads, max_bytes, max_files)
    try:
        parser = MultipartParser(params[b"boundary"], receiver.callbacks())  # type: ignore[arg-type]
        async for chunk in request.stream():
            if chunk:
                # Parsing, hashing and disk writes happen off the event loop.
                await run_in_threadpool(parser.write, chunk)
        await run_in_threadpool(parser.finalize)
    except FormParserError as exc:
        receiver.discard()
        raise InvalidInput(f"The multipart body could not be read ({exc}).") from exc
    except BaseException:
        receiver.discard()
        raise
    if not receiver.files:
        raise InvalidInput("Attach at least one file in the 'file' field.")
    return receiver.files


def _refuse_oversized_body(request: Request, max_bytes: int, max_files: int) -> None:
    """Refuse at once a body that cannot fit, rather than after reading it."""
    raw = request.headers.get("content-length", "")
    if raw.isdigit() and int(raw) > (max_bytes + MULTIPART_OVERHEAD) * max_files:
        raise TooLarge(
            f"The upload is too large: at most {max_files} files of "
            f"{max_bytes / 1_048_576:g} MB each."
        )
