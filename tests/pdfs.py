"""Real PDF files for tests, built with fpdf2 (and pypdf for encryption and odd structures)."""

from __future__ import annotations

import io
import zlib

from fpdf import FPDF
from pypdf import PdfWriter
from pypdf.generic import NameObject, StreamObject

# Sentences placed on known pages: PAGE_SENTENCES[n - 1] is on page n.
PAGE_SENTENCES = [
    [
        "The lighthouse keeper climbed the spiral stairs every evening at dusk.",
        "Seabirds nested on the rocks below the tower.",
    ],
    [
        "Storms in November damaged the harbour wall twice.",
        "The village council voted to rebuild it with granite blocks.",
    ],
    [
        "A new lamp arrived from Glasgow in the spring of 1889.",
        "Its beam could be seen from thirty kilometres away.",
    ],
]


def _text_pdf(pages: list[list[str]]) -> FPDF:
    pdf = FPDF()
    pdf.set_font("Helvetica", size=12)
    for sentences in pages:
        pdf.add_page()
        pdf.multi_cell(0, 8, " ".join(sentences))
    return pdf


def text_pdf(pages: list[list[str]] | None = None) -> bytes:
    """A PDF with a text layer, one page per list of sentences (PAGE_SENTENCES by default)."""
    return bytes(_text_pdf(PAGE_SENTENCES if pages is None else pages).output())


def shapes_only_pdf() -> bytes:
    """A PDF whose only page holds drawn shapes: no text layer, like a scanned page."""
    pdf = FPDF()
    pdf.add_page()
    pdf.set_fill_color(200, 30, 30)
    pdf.rect(20, 20, 80, 40, style="F")
    pdf.ellipse(60, 100, 50, 50, style="D")
    pdf.line(10, 200, 190, 250)
    return bytes(pdf.output())


def _encrypt(data: bytes, user_password: str) -> bytes:
    writer = PdfWriter(clone_from=io.BytesIO(data))
    # RC4 needs no extra package; AES would need `cryptography`, which is not installed.
    writer.encrypt(user_password=user_password, owner_password="owner-secret", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def encrypted_pdf() -> bytes:
    """The text PDF, encrypted with a user password: cannot be opened without it."""
    return _encrypt(text_pdf(), "user-secret")


def empty_password_pdf() -> bytes:
    """The text PDF, encrypted with an empty user password: opens without asking."""
    return _encrypt(text_pdf(), "")


def truncated_pdf() -> bytes:
    """The first part of a real PDF, as left by an interrupted download."""
    data = text_pdf()
    return data[: len(data) // 3]


def garbage_pdf() -> bytes:
    """A PDF header followed by bytes that are not PDF structure."""
    return b"%PDF-1.7\n" + bytes(range(256)) * 20


def not_a_pdf() -> bytes:
    """Plain text that someone saved with a .pdf name."""
    return b"Meeting notes: bring the quarterly figures on Monday.\n"


def no_pages_pdf() -> bytes:
    """A structurally valid PDF without a single page."""
    out = io.BytesIO()
    PdfWriter().write(out)
    return out.getvalue()


def big_stream_pdf(decompressed_bytes: int, *, compress: bool = True) -> bytes:
    """A one-page PDF whose content stream is `decompressed_bytes` long once inflated.

    Compressed, a few KB on disk inflate to the full size: the shape of a decompression bomb.
    """
    writer = PdfWriter()
    page = writer.add_blank_page(width=200, height=200)
    body = b"BT /F1 12 Tf 10 10 Td (Hi) Tj ET\n"
    body += b" " * (decompressed_bytes - len(body))
    stream = StreamObject()
    if compress:
        # set_data stores the bytes as given; the /Filter entry tells readers to inflate them.
        stream.set_data(zlib.compress(body, 9))
        stream[NameObject("/Filter")] = NameObject("/FlateDecode")
    else:
        stream.set_data(body)
    page[NameObject("/Contents")] = writer._add_object(stream)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
