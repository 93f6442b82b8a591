"""Plain text's pages: a text printed to a file page by page (pages apart by a form feed or a
rule of "=" across the line) repeats its running lines on every page ("MIDLAND LETTINGS LTD
Ref: ML/SP117/F3/2025", "Page 2 of 6", "Initials: Landlord ____ Tenant ____"). They are
read once, where the text opens, and dropped from the other pages, as a PDF's are."""

from __future__ import annotations

import re
from collections import Counter

_PAGE_BREAK = re.compile(r"\f|^[ \t]*={20,}[ \t]*$", re.MULTILINE)
_FIGURES = re.compile(r"\d+")
MIN_PAGES = 3
# Of the pages, and at least MIN_PAGES of them: a rule under a running title parts it from
# its page as a page break does, so a page may count twice.
RUNNING_SHARE = 0.3
EDGE_LINES = 2  # lines at the top and at the bottom of a page that may be running lines
RUNNING_MAX_CHARS = 120


def _key(line: str) -> str:
    return _FIGURES.sub("#", " ".join(line.lower().split()))


def _edges(page: str) -> list[str]:
    lines = [line for line in page.split("\n") if line.strip()]
    return lines[:EDGE_LINES] + lines[EDGE_LINES:][-EDGE_LINES:]


def unpaged(text: str) -> str:
    """The text with its pages' running lines (short lines at the top or bottom of most
    pages, figures aside) kept only where the text opens, and its page breaks as paragraph
    breaks; unchanged when it has fewer than MIN_PAGES pages or no running lines."""
    pages = _PAGE_BREAK.split(text)
    if len(pages) < MIN_PAGES:
        return text
    seen = Counter(
        key
        for page in pages
        for key in {_key(line) for line in _edges(page) if len(line) <= RUNNING_MAX_CHARS}
    )
    needed = max(MIN_PAGES, RUNNING_SHARE * len(pages))
    running = {key for key, count in seen.items() if count >= needed}
    if not running:
        return text
    out = []
    opened = False  # the text's first lines (its letterhead) are read once
    for page in pages:
        edges = set(_edges(page))
        kept = [
            line
            for line in page.split("\n")
            if not (line in edges and _key(line) in running and opened)
        ]
        opened = opened or any(line.strip() for line in kept)
        out.append("\n".join(kept).strip("\n"))
    return "\n\n".join(part for part in out if part.strip())
