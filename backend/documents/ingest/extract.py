"""Turn uploaded bytes (PDF, plain text, Markdown, HTML) into cleaned text per page."""

from __future__ import annotations

import re
from pathlib import PurePath

from backend.documents.ingest.clean import clean_text
from backend.documents.ingest.headings import mark_title
from backend.documents.ingest.html_text import html_to_text
from backend.documents.ingest.markdown_text import markdown_to_text
from backend.documents.ingest.pages import Extracted, ExtractionError, PageText, too_many_chars
from backend.documents.ingest.plain_text import structured

PDF = "application/pdf"
HTML = "text/html"
MARKDOWN = "text/markdown"
PLAIN = "text/plain"

SUPPORTED = "upload a PDF, text, Markdown or HTML file"
MARKDOWN_EXTENSIONS = frozenset({".md", ".markdown", ".mdown", ".mkd"})
HTML_EXTENSIONS = frozenset({".html", ".htm", ".xhtml"})
TEXT_EXTENSIONS = MARKDOWN_EXTENSIONS | HTML_EXTENSIONS | {".txt", ".text"}
# The one table of file types: upload validation, the dashboard, the CLI and extraction read it.
SUPPORTED_EXTENSIONS = TEXT_EXTENSIONS | {".pdf"}

# (magic bytes, offset, what it looks like); checked in order, first match wins.
_MAGIC: tuple[tuple[bytes, int, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", 0, "a PNG image"),
    (b"\xff\xd8\xff", 0, "a JPEG image"),
    (b"GIF87a", 0, "a GIF image"),
    (b"GIF89a", 0, "a GIF image"),
    (b"II*\x00", 0, "a TIFF image"),
    (b"MM\x00*", 0, "a TIFF image"),
    (b"8BPS", 0, "a Photoshop image"),
    (b"\x00\x00\x01\x00", 0, "an icon image"),
    (b"WEBP", 8, "a WebP image"),
    (b"WAVE", 8, "an audio file"),
    (b"AVI ", 8, "a video file"),
    (b"ftyp", 4, "a video or audio file"),
    (b"ID3", 0, "an audio file"),
    (b"OggS", 0, "an audio or video file"),
    (b"fLaC", 0, "an audio file"),
    (b"\x1a\x45\xdf\xa3", 0, "a video file"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", 0, "an old-style Office document (.doc, .xls or .ppt)"),
    (b"{\\rtf", 0, "an RTF document"),
    (b"%!PS", 0, "a PostScript file"),
    (b"\x1f\x8b", 0, "a gzip archive"),
    (b"BZh", 0, "a bzip2 archive"),
    (b"\xfd7zXZ\x00", 0, "an xz archive"),
    (b"\x28\xb5\x2f\xfd", 0, "a zstd archive"),
    (b"7z\xbc\xaf\x27\x1c", 0, "a 7-Zip archive"),
    (b"Rar!\x1a\x07", 0, "a RAR archive"),
    (b"ustar", 257, "a tar archive"),
    (b"SQLite format 3\x00", 0, "an SQLite database"),
    (b"\x7fELF", 0, "a program (ELF executable)"),
    (b"\xca\xfe\xba\xbe", 0, "a Java class file or program"),
    (b"\xcf\xfa\xed\xfe", 0, "a program (macOS executable)"),
    (b"\x00asm", 0, "a WebAssembly program"),
    (b"wOFF", 0, "a font file"),
    (b"wOF2", 0, "a font file"),
)
# ZIP-based formats, told apart by member names stored in the archive.
_ZIP_KINDS: tuple[tuple[bytes, str], ...] = (
    (b"word/", "a Word document"),
    (b"xl/", "an Excel spreadsheet"),
    (b"ppt/", "a PowerPoint presentation"),
    (b"application/epub+zip", "an EPUB e-book"),
    (b"application/vnd.oasis.opendocument", "an OpenDocument file"),
)
_ZIP_EXTENSIONS = {
    ".docx": "a Word document",
    ".xlsx": "an Excel spreadsheet",
    ".pptx": "a PowerPoint presentation",
    ".epub": "an EPUB e-book",
    ".odt": "an OpenDocument file",
}
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0e-\x1a\x1c-\x1f\x7f-\x9f]")
_MAX_CONTROL_RATIO = 0.01
_HTML_START = re.compile(r"<!doctype\s+html|<html[\s>]|<head[\s>]|<body[\s>]", re.IGNORECASE)
_SVG_START = re.compile(r"^\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*|<!doctype\s+svg[^>]*>\s*)*<svg")
_MARKUP = re.compile(r"<[a-zA-Z!/][^>]*>")
_LETTER = re.compile(r"[^\W\d_]")
_MARKUP_SHRINK_BOUND = 10


def detect_content_type(data: bytes, filename: str) -> str:
    """The content type by content, the extension only breaking ties; refusals raise."""
    return _detect(data, filename)[0]


def extract(
    data: bytes,
    filename: str,
    *,
    max_pages: int = 2000,
    max_chars: int = 5_000_000,
    max_page_stream_bytes: int = 20_000_000,
) -> Extracted:
    """Extract cleaned text from an upload; raises ExtractionError with a user-facing message."""
    content_type, text = _detect(data, filename)
    if content_type == PDF:
        # pypdf is loaded for PDFs only: each file is read in a fresh sandbox interpreter,
        # and loading pypdf is most of its start-up.
        from backend.documents.ingest.pdf import read_pdf

        pages = read_pdf(data, max_pages, max_chars, max_page_stream_bytes)
        if not any(_LETTER.search(page.text) for page in pages):
            raise ExtractionError(
                "This PDF has no extractable text; it may be a scanned image. "
                "Upload a PDF with a text layer."
            )
        pages[0] = PageText(pages[0].number, mark_title(pages[0].text))
        return Extracted(PDF, pages, len(pages))
    # Markup shrinks when converted, but not by this much: stop before parsing a huge file.
    if len(text) > max_chars * _MARKUP_SHRINK_BOUND:
        raise too_many_chars(max_chars)
    if content_type == HTML:
        text = html_to_text(text)
    elif content_type == MARKDOWN:
        text = markdown_to_text(text)
    else:
        text = structured(text)
    if len(text) > max_chars:
        raise too_many_chars(max_chars)
    cleaned = clean_text(text)
    # Unicode normalisation can make text longer (one character may become eighteen).
    if len(cleaned) > max_chars:
        raise too_many_chars(max_chars)
    if not _LETTER.search(cleaned):
        raise ExtractionError("This document has no readable words in it.")
    return Extracted(content_type, [PageText(None, mark_title(cleaned))], None)


def _detect(data: bytes, filename: str) -> tuple[str, str]:
    """Content type plus the decoded text ("" for PDFs)."""
    if not data.strip():
        raise ExtractionError("The file is empty.")
    extension = PurePath(filename or "").suffix.lower()
    if b"%PDF-" in data[:1024]:
        return PDF, ""
    kind = _sniff_binary(data, extension)
    if kind is not None:
        raise ExtractionError(f"This file looks like {kind}, which is not supported; {SUPPORTED}.")
    if extension == ".pdf":
        raise ExtractionError(
            "This file is named .pdf but is not a PDF; it may be damaged or renamed. "
            "Upload the original PDF."
        )
    text = _decode_text(data, extension)
    head = text[:1024]
    if _SVG_START.match(head):
        raise ExtractionError(
            f"This file looks like an SVG image, which is not supported; {SUPPORTED}."
        )
    if _HTML_START.search(head) or (extension in HTML_EXTENSIONS and _MARKUP.search(text)):
        return HTML, text
    if extension in MARKDOWN_EXTENSIONS:
        return MARKDOWN, text
    return PLAIN, text


def _sniff_binary(data: bytes, extension: str) -> str | None:
    """What a known binary format looks like, by magic number."""
    for magic, offset, kind in _MAGIC:
        if data[offset : offset + len(magic)] == magic:
            return kind
    if data[:2] == b"PK" and data[2:4] in (b"\x03\x04", b"\x05\x06", b"\x07\x08"):
        # Member names sit in local headers at the start and in the directory at the end.
        names = data[:4096] + data[-65536:]
        kinds = [kind for marker, kind in _ZIP_KINDS if marker in names]
        return kinds[0] if kinds else _ZIP_EXTENSIONS.get(extension, "a ZIP archive")
    if data[:2] == b"MZ" and b"\x00" in data[:1024]:
        return "a Windows program"
    return None


def _decode_text(data: bytes, extension: str = "") -> str:
    """Decode text bytes: UTF-8 (BOM optional), UTF-16/32 with a BOM, a legacy encoding of a
    non-Latin script when charset-normalizer finds one (Shift-JIS, GB18030, Windows-1251...),
    else Windows-1252."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            try:
                return _require_text(data.decode(codec), extension)
            except UnicodeDecodeError:
                raise ExtractionError(_UNDECODABLE) from None
    try:
        return _require_text(data.decode("utf-8"), extension)
    except UnicodeDecodeError:
        pass
    legacy = _decode_legacy(data)
    if legacy is not None:
        return _require_text(legacy, extension)
    # Windows-1252 leaves five bytes undefined; Latin-1 maps those to C1 controls, which the
    # control-character check then counts against the text.
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    return _require_text(text, extension)


# Encodings charset-normalizer chooses among. Latin-script ones are there so that Western text
# is not forced into another script; only the others are taken from it (Windows-1252 stays the
# default for Latin text, which charset-normalizer cannot tell apart from Windows-1250 reliably).
_LEGACY_CANDIDATES = (
    "cp1252",
    "cp1250",
    "cp1254",
    "cp1257",
    "cp1251",
    "koi8_r",
    "cp1253",
    "cp1255",
    "cp1256",
    "cp874",
    "cp932",
    "euc_jp",
    "gb18030",
    "big5",
    "cp949",
)
_OTHER_SCRIPTS = frozenset(_LEGACY_CANDIDATES) - {"cp1252", "cp1250", "cp1254", "cp1257"}
_DETECTION_SAMPLE = 256 * 1024
_NON_ASCII = re.compile(rb"[\x80-\xff]")
# Upload checks decode a head and tail sample joined together: the joint (and a character cut
# at the end) may not decode, which is no reason to refuse the file.
_MAX_REPLACED = 4


def _decode_legacy(data: bytes) -> str | None:
    """The text in the legacy encoding charset-normalizer finds, if that is not Latin."""
    from charset_normalizer import from_bytes

    # The sample starts at the first non-ASCII byte, a character's first byte in all of them.
    first = _NON_ASCII.search(data)
    start = first.start() if first else 0
    sample = data[start : start + _DETECTION_SAMPLE]
    if start + len(sample) < len(data) and b"\n" in sample:
        sample = sample[: sample.rindex(b"\n") + 1]
    best = from_bytes(sample, cp_isolation=list(_LEGACY_CANDIDATES)).best()
    if best is None or best.encoding not in _OTHER_SCRIPTS:
        return None
    text = data.decode(best.encoding, errors="replace")
    if text.count("\ufffd") > _MAX_REPLACED:
        return None
    return text


_BOMS = (
    (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)
_UNDECODABLE = (
    "The text in this file could not be decoded; save it as UTF-8 text and upload it again."
)


def _require_text(text: str, extension: str) -> str:
    """Refuse decoded 'text' that is really binary data."""
    sample = text[:100_000]
    controls = len(_CONTROL_CHARS.findall(sample))
    if "\x00" not in sample and controls <= len(sample) * _MAX_CONTROL_RATIO:
        return text
    if extension in TEXT_EXTENSIONS:
        raise ExtractionError(
            "This file is not valid text; it contains binary data. "
            "Save it as plain text (UTF-8) and upload it again."
        )
    raise ExtractionError(f"This file type is not supported; {SUPPORTED}.")
