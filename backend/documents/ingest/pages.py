"""What extraction produces: pages of text, or an error that tells the user what to do."""

from __future__ import annotations

from dataclasses import dataclass


class ExtractionError(Exception):
    """An upload that cannot be turned into text; `.message` tells the user what to do."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class PageText:
    """Text of one page (1-based number) or of a whole non-paged document (number None)."""

    number: int | None
    text: str


@dataclass(frozen=True)
class Extracted:
    """The detected type, the cleaned text per page, and the PDF page count."""

    content_type: str
    pages: list[PageText]
    page_count: int | None


def too_many_chars(limit: int) -> ExtractionError:
    """The error for a document whose text is longer than the limit."""
    return ExtractionError(
        f"This document has more than {limit:,} characters of text, which is over the limit; "
        "split it into smaller files and upload them separately."
    )
