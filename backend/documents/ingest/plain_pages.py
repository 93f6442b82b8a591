"""Plain text's pages: a text printed to a file page by page (pages apart by a form feed or a
rule of "=" across the line) repeats its running lines on every page ("MIDLAND LETTINGS LTD
Ref: ML/SP117/F3/2025", "Page 2 of 6", "Initials: Landlord ____ Tenant ____"). They are
read once, where the text opens, and dropped from the other pages, as a PDF's are."""

from __future__ import annotations

import re

from backend.documents.ingest.page_furniture import at_edges, running_among, text_key

_PAGE_BREAK = re.compile(r"\f|^[ \t]*={20,}[ \t]*$", re.MULTILINE)
# Of the pages (a PDF's: half): a rule under a running title parts it from its page as a
# page break does, so a page may count twice.
RUNNING_SHARE = 0.3


def _edges(page: str) -> list[str]:
    return at_edges([line for line in page.split("\n") if line.strip()])


def unpaged(text: str) -> str:
    """The text with its pages' running lines (short lines at the top or bottom of most
    pages, figures aside) kept only where the text opens, and its page breaks as paragraph
    breaks; unchanged when it has no running lines (or fewer than three pages)."""
    pages = _PAGE_BREAK.split(text)
    running = running_among([_edges(page) for page in pages], share=RUNNING_SHARE)
    if not running:
        return text
    out = []
    opened = False  # the text's first lines (its letterhead) are read once
    for page in pages:
        edges = set(_edges(page))
        kept = [
            line
            for line in page.split("\n")
            if not (line in edges and text_key(line) in running and opened)
        ]
        opened = opened or any(line.strip() for line in kept)
        out.append("\n".join(kept).strip("\n"))
    return "\n\n".join(part for part in out if part.strip())
