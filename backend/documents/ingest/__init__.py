"""Ingest: extract text from uploads, clean it, split it into sentences and chunks."""

from backend.documents.ingest.chunk import ChunkDraft, chunk_pages
from backend.documents.ingest.clean import clean_text
from backend.documents.ingest.extract import detect_content_type, extract
from backend.documents.ingest.html_text import BULLET, SUB_BULLET, html_to_text
from backend.documents.ingest.markdown_text import markdown_to_text
from backend.documents.ingest.pages import Extracted, ExtractionError, PageText
from backend.documents.ingest.sentences import LIST_NUMBER, Span, split_sentences

__all__ = [
    "BULLET",
    "SUB_BULLET",
    "LIST_NUMBER",
    "ChunkDraft",
    "Extracted",
    "ExtractionError",
    "PageText",
    "Span",
    "chunk_pages",
    "clean_text",
    "detect_content_type",
    "extract",
    "html_to_text",
    "markdown_to_text",
    "split_sentences",
]
