"""A page's furniture (a PDF's, or a plain text's printed page by page): the lines a page
prints for the reader's bearings, not as its text. Short lines that open or close most pages
(a running title, "Page 3 of 12"), figures aside, and a PDF's lines that count the pages (the
first or last line of two pages or more, a number going up with the page: "Annual Report
2025 - page 1") are dropped; a running line that says more than the page's number is read
once, where it first stands (`first_running`): it may name the journal, the version or the
account ("Version 4.2 – effective 1 April 2026")."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from typing import TypeVar

from backend.documents.ingest.pdf_lines import Line

T = TypeVar("T")

RUNNING_SHARE = 0.5  # of the pages, and at least MIN_PAGES of them
MIN_PAGES = 3
RUNNING_MAX_CHARS = 120
COUNTER_MAX_CHARS = 80  # a line counting the pages
EDGE_LINES = 2  # lines at the top and at the bottom of a page that may be running lines
_FIGURES = re.compile(r"\d+")


def text_key(text: str) -> str:
    """A running line's words, figures aside ("Page 2 of 6" and "Page 3 of 6" are one)."""
    return _FIGURES.sub("#", " ".join(text.lower().split()))


def _key(line: Line) -> str:
    return text_key(line.text)


def at_edges(shown: list[T]) -> list[T]:
    """A page's lines that may be running lines: its first and last EDGE_LINES."""
    return shown[:EDGE_LINES] + shown[EDGE_LINES:][-EDGE_LINES:]


def _edge_lines(lines: list[Line]) -> list[Line]:
    return at_edges([line for line in lines if line.placed and line.text.strip()])


def running_among(edges: list[list[str]], share: float = RUNNING_SHARE) -> set[str]:
    """The keys of the short lines found at the edges of most pages (`edges`: each page's
    edge lines as text), of `share` of the pages and at least MIN_PAGES of them."""
    if len(edges) < MIN_PAGES:
        return set()
    seen = Counter(
        key
        for texts in edges
        for key in {text_key(text) for text in texts if len(text) <= RUNNING_MAX_CHARS}
    )
    needed = max(MIN_PAGES, share * len(edges))
    return {key for key, count in seen.items() if count >= needed}


def running_keys(pages: list[list[Line]]) -> set[str]:
    """Short lines at the top or bottom of most pages, figures aside."""
    return running_among([[line.text for line in _edge_lines(lines)] for lines in pages])


def page_counters(pages: list[list[Line]], heading: Callable[[Line], bool]) -> set[str]:
    """The first or the last line of two pages or more, short, with the same words there and
    a number going up from page to page as the pages do: a page's number ("Report - page 2").
    A line set as a heading (larger, or bold: "Step 2" opening each slide) counts no pages."""
    seen: dict[tuple[str, int], list[tuple[int, list[int]]]] = {}
    for number, lines in enumerate(pages):
        shown = [line for line in lines if line.placed and line.text.strip()]
        for edge, line in ((0, shown[:1]), (1, shown[-1:])):
            for counted in line:
                if len(counted.text.strip()) <= COUNTER_MAX_CHARS and not heading(counted):
                    figures = [int(x) for x in _FIGURES.findall(counted.text)]
                    seen.setdefault((_key(counted), edge), []).append((number, figures))
    return {
        key
        for (key, _), places in seen.items()
        if any(
            len(a) == len(b) and any(y - x == later - number for x, y in zip(a, b, strict=True))
            for (number, a), (later, b) in zip(places, places[1:], strict=False)
            if later > number
        )
    }


# "Page 3 of 12", "3 / 13": where a running line counts the pages.
_PAGE_OF = re.compile(
    r"\bpage\s+\d+(?:\s*(?:of|/)\s*\d+)?\b|\b\d+\s*(?:of|/)\s*\d+\b", re.IGNORECASE
)
_WORD = re.compile(r"[^\W\d_]{3,}")
_SEPARATORS = " -\u2013\u2014|\u00b7\u2022,"
MIN_RUNNING_WORDS = 2


def known_words(texts: list[str]) -> set[str]:
    """The words of three letters or more the texts hold, in lower case."""
    return {word.lower() for text in texts for word in _WORD.findall(text)}


def first_running(
    pages: list[list[Line]], running: set[str], known: set[str]
) -> dict[int, list[str]]:
    """Each running line that says more than where the page stands (two words or more, a
    page's number and "page" aside) and than the text (a word not among `known`, the text's
    own in lower case: not the title again), as it first stands, by the page it stands on,
    without the words that count the pages."""
    found: dict[int, list[str]] = {}
    seen: set[str] = set()
    for number, lines in enumerate(pages):
        for line in _edge_lines(lines):
            key = _key(line)
            if key not in running or key in seen or len(line.text) > RUNNING_MAX_CHARS:
                continue
            seen.add(key)
            text = " ".join(_PAGE_OF.sub(" ", line.text).split()).strip(_SEPARATORS)
            words = [w for w in _WORD.findall(text) if w.lower() != "page"]
            if len(words) >= MIN_RUNNING_WORDS and any(w.lower() not in known for w in words):
                found.setdefault(number, []).append(text)
    return found


def without_running(lines: list[Line], running: set[str]) -> list[Line]:
    """The page without the running lines at its top and bottom."""
    if not running:
        return lines
    edges = {id(line) for line in _edge_lines(lines) if len(line.text) <= RUNNING_MAX_CHARS}
    return [line for line in lines if id(line) not in edges or _key(line) not in running]
