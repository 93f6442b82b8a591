"""What an upload must pass before it is recorded: a file name safe to show and store, a
size within the limit, and a supported type judged from the content (a sample of the head
and tail for a streamed file)."""

from __future__ import annotations

import re
import unicodedata

from backend.config import Settings
from backend.documents.ingest import ExtractionError, detect_content_type
from backend.documents.storage import IncomingFile
from backend.errors import InvalidInput, TooLarge, UnsupportedType


def safe_filename(name: str) -> str:
    """The base name only, printable, at most 200 characters (for display, never for disk).

    Control characters, bidi overrides and isolates (U+202E shows "invoice<U+202E>fdp.exe" as
    "invoiceexe.pdf") and other invisible format characters are dropped, and runs of spaces
    that could push an extension out of sight become one."""
    name = unicodedata.normalize("NFC", name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(char for char in name if _shown_in_a_name(char))
    name = re.sub(r"\s+", " ", name).strip() or "document"
    return name[:200]


# Format characters kept in names: the joiners that emoji sequences and some scripts need.
_NAME_JOINERS = frozenset("\u200c\u200d")


def _shown_in_a_name(char: str) -> bool:
    category = unicodedata.category(char)
    if category == "Cf":
        return char in _NAME_JOINERS
    return category not in ("Cc", "Cs", "Zl", "Zp")


def check_received(*, settings: Settings, filename: str, incoming: IncomingFile) -> str:
    """The content type of a streamed file, judged from samples; refusals raise."""
    incoming.close()
    if incoming.size == 0:
        raise InvalidInput(f"{safe_filename(filename)}: the file is empty.")
    return check_upload(settings, safe_filename(filename), sample_content(incoming))


# Type sniffing reads the start (magic numbers, text) and the end (ZIP member names).
SAMPLE_HEAD = 1 << 20
SAMPLE_TAIL = 1 << 16
_WIDE_BOMS = (b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")


def sample_content(incoming: IncomingFile) -> bytes:
    """The whole file when small, else its head and tail cut where text stays decodable."""
    size = incoming.size
    if size <= SAMPLE_HEAD + SAMPLE_TAIL:
        return incoming.read_range(0, size)
    head = incoming.read_range(0, SAMPLE_HEAD)
    tail_start = -(-(size - SAMPLE_TAIL) // 4) * 4  # 4-byte aligned, for UTF-16/32 text
    tail = incoming.read_range(tail_start, size - tail_start)
    if head.startswith(_WIDE_BOMS):
        return head + tail
    return _utf8_cut_end(head) + _utf8_cut_start(tail)


def _utf8_cut_end(data: bytes) -> bytes:
    """Drop a UTF-8 character left incomplete at the end."""
    for back in range(1, min(4, len(data)) + 1):
        byte = data[-back]
        if byte < 0x80:
            return data
        if byte >= 0xC0:  # lead byte: is its sequence complete?
            needed = 2 if byte < 0xE0 else 3 if byte < 0xF0 else 4
            return data if back >= needed else data[:-back]
    return data


def _utf8_cut_start(data: bytes) -> bytes:
    """Drop UTF-8 continuation bytes cut from their character at the start."""
    skip = 0
    while skip < min(3, len(data)) and 0x80 <= data[skip] < 0xC0:
        skip += 1
    return data[skip:]


def check_upload(settings: Settings, filename: str, data: bytes) -> str:
    """The content type of an upload held in memory; empty, too large or unsupported raise."""
    if not data:
        raise InvalidInput(f"{filename}: the file is empty.")
    if len(data) > settings.max_upload_bytes:
        raise TooLarge(
            f"{filename} is {len(data) / 1_048_576:.1f} MB; "
            f"the limit is {settings.max_upload_mb} MB."
        )
    try:
        return detect_content_type(data, filename)
    except ExtractionError as exc:
        raise UnsupportedType(f"{filename}: {exc.message}") from exc
