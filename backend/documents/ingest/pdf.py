"""PDF text, page by page, with pypdf's decompression and the page and character counts capped
(pypdf has had loop and memory CVEs: workers run this in the sandbox child process)."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import TypeVar

from pypdf import PdfReader, apply_configuration
from pypdf.errors import DependencyError, LimitReachedError

from backend.documents.ingest import page_flow
from backend.documents.ingest.clean import clean_text
from backend.documents.ingest.pages import ExtractionError, PageText, too_many_chars

RAW_CHARS_PER_CHAR = 4


def read_pdf(data: bytes, max_pages: int, max_chars: int, max_stream: int) -> list[PageText]:
    """Cleaned text of every page, with pypdf's decompression capped at the page limit: its
    paragraphs found from where its lines sit, running lines dropped, and a paragraph across
    pages kept on its first (`page_flow`)."""
    cap = max_stream + 1
    with apply_configuration(
        zlib_maximum_output_length=cap,
        lzw_maximum_output_length=cap,
        run_length_maximum_output_length=cap,
        brotli_maximum_output_length=cap,
        array_based_stream_maximum_output_length=cap,
    ):
        reader = _open_pdf(data)
        page_count = _pdf_call(lambda: len(reader.pages))
        if page_count == 0:
            raise ExtractionError("This PDF has no pages.")
        if page_count > max_pages:
            raise ExtractionError(f"This PDF has {page_count:,} pages; the limit is {max_pages:,}.")
        lines: list[list[page_flow.Line]] = []
        read = 0
        for number in range(1, page_count + 1):
            lines.append(_page_lines(reader, number, max_stream))
            # Raw text is longer than clean (spacing, line ends): far over is over.
            read += sum(len(line.text) for line in lines[-1])
            if read > RAW_CHARS_PER_CHAR * max_chars:
                raise too_many_chars(max_chars)
    pages = [clean_text(text) for text in page_flow.page_texts(lines)]
    if sum(map(len, pages)) > max_chars:
        raise too_many_chars(max_chars)
    return [PageText(number, text) for number, text in enumerate(pages, 1)]


def _open_pdf(data: bytes) -> PdfReader:
    """Open a PDF, decrypting it if it only has an empty user password."""
    reader = _pdf_call(lambda: PdfReader(io.BytesIO(data), strict=False))
    if not _pdf_call(lambda: reader.is_encrypted):
        return reader
    try:
        opened = reader.decrypt("")
    except DependencyError:
        raise ExtractionError(
            "This PDF uses an encryption method we cannot open; upload an unencrypted copy."
        ) from None
    except Exception:
        raise ExtractionError(_DAMAGED) from None
    if not opened:
        raise ExtractionError("This PDF is encrypted; upload an unencrypted copy.")
    return reader


def _page_lines(reader: PdfReader, number: int, max_stream: int) -> list[page_flow.Line]:
    """One page's lines and where they sit, after checking its decompressed content size."""

    def read() -> list[page_flow.Line]:
        page = reader.pages[number - 1]
        try:
            contents = page.get_contents()
            if contents is None:
                return []
            if len(contents.get_data()) > max_stream:
                raise LimitReachedError("page content stream over the limit")
            lines = page_flow.PageLines()
            page.extract_text(visitor_text=lines.visit)
            return lines.lines
        except LimitReachedError:
            raise ExtractionError(
                f"Page {number} of this PDF has more content than we can safely read "
                f"(over {max_stream:,} bytes); split the PDF or save a simpler copy."
            ) from None

    return _pdf_call(read)


_DAMAGED = "This PDF is damaged and could not be read."
_T = TypeVar("_T")


def _pdf_call(call: Callable[[], _T]) -> _T:
    """Run a pypdf call, turning its many failure modes into one user-facing error."""
    try:
        return call()
    except ExtractionError:
        raise
    except LimitReachedError:
        raise ExtractionError(
            "This PDF has more content than we can safely read; "
            "split the PDF or save a simpler copy."
        ) from None
    except Exception:
        # Untrusted PDFs make pypdf raise almost anything (KeyError, ValueError, ...).
        raise ExtractionError(_DAMAGED) from None
