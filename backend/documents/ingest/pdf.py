"""PDF text, page by page, with pypdf's decompression and the page and character counts capped
(pypdf has had loop and memory CVEs: workers run this in the sandbox child process)."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import TypeVar

from pypdf import PdfReader, apply_configuration
from pypdf.errors import DependencyError, LimitReachedError

from backend.documents.ingest.clean import clean_text
from backend.documents.ingest.pages import ExtractionError, PageText, too_many_chars


def read_pdf(data: bytes, max_pages: int, max_chars: int, max_stream: int) -> list[PageText]:
    """Cleaned text of every page, with pypdf's decompression capped at the page limit."""
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
        pages: list[PageText] = []
        total = 0
        for number in range(1, page_count + 1):
            text = clean_text(_page_text(reader, number, max_stream))
            total += len(text)
            if total > max_chars:
                raise too_many_chars(max_chars)
            pages.append(PageText(number, text))
        return pages


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


def _page_text(reader: PdfReader, number: int, max_stream: int) -> str:
    """One page's text, after checking its decompressed content stream size."""

    def read() -> str:
        page = reader.pages[number - 1]
        try:
            contents = page.get_contents()
            if contents is None:
                return ""
            if len(contents.get_data()) > max_stream:
                raise LimitReachedError("page content stream over the limit")
            return page.extract_text()
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
