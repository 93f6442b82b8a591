"""A PDF's text as it reads rather than as it is printed.

A PDF holds lines placed on pages, not paragraphs. From where each line starts and its type
size (pypdf's text visitor), this finds:
- paragraphs: a line starts one when the space above it is clearly more than the page's usual
  line spacing, when its type size differs from the line before (a heading, or the text after
  one), or when it is indented after a line that ends a sentence;
- running lines: short lines that open or close most pages (a running title, "Page 3 of 12"),
  figures aside, are the page's furniture and are dropped;
- headings: a short paragraph of one or two lines set larger than the document's body text
  (the type size most of its characters have) is marked as Markdown does, "## Fares", its
  level from its size among the headings' sizes (the largest "#");
- paragraphs across pages: a page whose last paragraph runs on (its last line is as long as
  the page's full lines, or the paragraph has several lines and does not end a sentence: a
  lone short line is a heading) continues into the next page's first paragraph, unless that
  is indented or set in another size; it is kept with the paragraph it ends, on the page
  where that starts, so no passage holds half of it.
Lines are otherwise joined by `clean_text` as wrapping.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from statistics import median
from typing import Any

PARAGRAPH_GAP = 1.3  # times the page's usual distance from one line to the next
SIZE_CHANGE = 1.5  # points of type size
INDENT = 0.8  # times the type size, against the page's usual left edge
RUNNING_SHARE = 0.5  # of the pages, and at least MIN_PAGES of them
MIN_PAGES = 3
RUNNING_MAX_CHARS = 120
EDGE_LINES = 2  # lines at the top and at the bottom of a page that may be running lines
FULL_LINE = 0.8  # of the page's usual line length: a last line this long may run on
HEADING_MAX_LINES = 2
HEADING_MAX_WORDS = 12
_HEADING_END = re.compile(r"[.;:,]\s*$")
_LETTER = re.compile(r"[^\W\d_]")
_FIGURES = re.compile(r"\d+")
_ENDS_SENTENCE = re.compile(r"[.!?:;\u2026][\"'\u201d\u2019)\]]*\s*$")


@dataclass
class Line:
    """One line of a page as pypdf gives it, with where it starts and how tall its type."""

    parts: list[str] = field(default_factory=list)
    x: float | None = None
    y: float | None = None
    size: float = 0.0

    @property
    def text(self) -> str:
        return "".join(self.parts)

    @property
    def placed(self) -> bool:
        return self.y is not None


class PageLines:
    """Collects one page's text line by line; `visit` is pypdf's `visitor_text`."""

    def __init__(self) -> None:
        self.lines = [Line()]

    def visit(
        self, text: str, cm: Sequence[float], tm: Sequence[float], _font: Any, size: float
    ) -> None:
        for k, piece in enumerate(text.split("\n")):
            if k:
                self.lines.append(Line())
            line = self.lines[-1]
            line.parts.append(piece)
            if line.y is None and piece.strip():
                _place(line, cm, tm, size)


def _place(line: Line, cm: Sequence[float], tm: Sequence[float], size: float) -> None:
    """Where the line starts and how tall its type: the text matrix in the page's space. A
    matrix that is not six numbers leaves the line unplaced (its text is kept, only the
    layout does not speak for it)."""
    try:
        a, b, c, d, e, f = (float(v) for v in cm)
        _, _, tc, td, te, tf = (float(v) for v in tm)
        scale = math.hypot(tc * a + td * c, tc * b + td * d)
        x, y, height = te * a + tf * c + e, te * b + tf * d + f, abs(float(size)) * scale
    except (TypeError, ValueError):
        return
    if all(map(math.isfinite, (x, y, height))):
        line.x, line.y, line.size = x, y, height


@dataclass
class _Page:
    lines: list[Line]
    breaks: list[bool]  # before each line: does it start a paragraph?
    left: float | None  # the usual left edge of its lines
    runs_on: bool = False  # its last paragraph continues on the next page


def page_texts(pages: list[list[Line]]) -> list[str]:
    """Each page's text, paragraphs apart (blank lines), running lines dropped, a paragraph
    across pages whole on its first page."""
    running = _running_keys(pages)
    laid = [_lay_out(_without_running(lines, running)) for lines in pages]
    levels = _heading_levels(pages)
    texts = [_paragraphs(page, levels) for page in laid]
    for k in range(len(laid) - 1):
        if texts[k] and texts[k + 1] and _continues(laid[k], laid[k + 1]):
            texts[k][-1] = f"{texts[k][-1]}\n{texts[k + 1].pop(0)}"
    return ["\n\n".join(paragraphs) for paragraphs in texts]


def _lay_out(lines: list[Line]) -> _Page:
    placed = [line for line in lines if line.placed]
    steps = [
        above.y - below.y
        for above, below in zip(placed, placed[1:], strict=False)
        if above.y is not None and below.y is not None and above.y > below.y
    ]
    spacing = median(steps) if len(steps) >= 3 else None
    lefts = [round(line.x) for line in placed if line.x is not None]
    left = Counter(lefts).most_common(1)[0][0] if lefts else None
    breaks: list[bool] = []
    previous: Line | None = None
    for line in lines:
        breaks.append(
            previous is not None and line.placed and _starts(previous, line, spacing, left)
        )
        if line.placed:
            previous = line
    page = _Page(lines, breaks, left)
    body = [line for line in placed if line.text.strip()]
    if body:
        last = body[-1].text.strip()
        usual = median(len(line.text.strip()) for line in body)
        full = len(body) >= 3 and len(last) >= FULL_LINE * usual
        starts = [k for k, opens in enumerate(breaks) if opens]
        tail = lines[starts[-1] if starts else 0 :]
        several = sum(1 for line in tail if line.placed and line.text.strip()) > 1
        page.runs_on = full or (several and not _ENDS_SENTENCE.search(last))
    return page


def _continues(page: _Page, following: _Page) -> bool:
    """The page's last paragraph goes on at the top of the next: it runs on, and the next
    page's first line is neither indented nor of another type size."""
    if not page.runs_on:
        return False
    last = next((line for line in reversed(page.lines) if line.placed), None)
    first = next((line for line in following.lines if line.placed), None)
    if last is None or first is None or first.x is None:
        return False
    indented = following.left is not None and first.x - following.left > INDENT * first.size
    return not indented and abs(last.size - first.size) < SIZE_CHANGE


def _starts(previous: Line, line: Line, spacing: float | None, left: float | None) -> bool:
    assert previous.y is not None and line.y is not None and line.x is not None
    if spacing is not None and previous.y - line.y > PARAGRAPH_GAP * spacing:
        return True
    if abs(previous.size - line.size) >= SIZE_CHANGE:
        return True
    indented = left is not None and line.x - left > INDENT * max(line.size, 1.0)
    return indented and bool(_ENDS_SENTENCE.search(previous.text))


def _paragraphs(page: _Page, levels: dict[float, int]) -> list[str]:
    out: list[list[Line]] = []
    for line, starts in zip(page.lines, page.breaks, strict=True):
        if starts or not out:
            out.append([])
        out[-1].append(line)
    texts = []
    for lines in out:
        text = "\n".join(line.text for line in lines).strip()
        if text:
            level = _heading_level(lines, text, levels)
            texts.append(f"{'#' * level} {' '.join(text.split())}" if level else text)
    return texts


def _size(line: Line) -> float:
    return round(line.size * 2) / 2


def _heading_levels(pages: list[list[Line]]) -> dict[float, int]:
    """The type sizes of headings, each with its level: sizes at least SIZE_CHANGE over the
    body's (the size most characters are set in), the largest level 1, at most six."""
    counts: Counter[float] = Counter()
    for lines in pages:
        for line in lines:
            if line.placed and line.text.strip():
                counts[_size(line)] += len(line.text.strip())
    if not counts:
        return {}
    body = counts.most_common(1)[0][0]
    larger = sorted((size for size in counts if size >= body + SIZE_CHANGE), reverse=True)
    return {size: level for level, size in enumerate(larger[:6], 1)}


def _heading_level(lines: list[Line], text: str, levels: dict[float, int]) -> int:
    """The heading level of a paragraph (0: none): one or two lines of a heading's size, of
    few words, not ending as a sentence or clause does ("Fares", "How do I pay?")."""
    placed = [line for line in lines if line.placed and line.text.strip()]
    if not placed or len(placed) > HEADING_MAX_LINES:
        return 0
    sizes = {_size(line) for line in placed}
    if len(sizes) != 1 or not _LETTER.search(text) or _HEADING_END.search(text):
        return 0
    if len(text.split()) > HEADING_MAX_WORDS:
        return 0
    return levels.get(sizes.pop(), 0)


def _key(line: Line) -> str:
    return _FIGURES.sub("#", " ".join(line.text.lower().split()))


def _edge_lines(lines: list[Line]) -> list[Line]:
    shown = [line for line in lines if line.placed and line.text.strip()]
    return shown[:EDGE_LINES] + shown[EDGE_LINES:][-EDGE_LINES:]


def _running_keys(pages: list[list[Line]]) -> set[str]:
    """Short lines at the top or bottom of most pages, figures aside."""
    if len(pages) < MIN_PAGES:
        return set()
    seen = Counter(
        key
        for lines in pages
        for key in {
            _key(line) for line in _edge_lines(lines) if len(line.text) <= RUNNING_MAX_CHARS
        }
    )
    needed = max(MIN_PAGES, RUNNING_SHARE * len(pages))
    return {key for key, count in seen.items() if count >= needed}


def _without_running(lines: list[Line], running: set[str]) -> list[Line]:
    """The page without the running lines at its top and bottom."""
    if not running:
        return lines
    edges = {id(line) for line in _edge_lines(lines) if len(line.text) <= RUNNING_MAX_CHARS}
    return [line for line in lines if id(line) not in edges or _key(line) not in running]
