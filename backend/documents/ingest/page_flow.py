"""A PDF's text as it reads rather than as it is printed.

A PDF holds lines placed on pages, not paragraphs. From where each line starts, its type size
and face (`pdf_lines`, from pypdf's text visitor), this finds:
- paragraphs: a line starts one when the space above it is clearly more than the page's usual
  line spacing (the lower quartile of its steps from line to line), when its type size
  differs from the line before (a heading, or the text after one), when it is indented after
  a line that ends a sentence, or when a bold line that may title what follows ends;
- the page's furniture: running titles and page numbers, dropped (`page_furniture`);
- tables (lines of short pieces in the same columns) read as rows, and two columns of prose
  printed line by line across the page read column by column (`pdf_columns`);
- headings: a short paragraph of one or two lines set larger than the document's body text
  (the type size most of its characters have) is marked as Markdown does, "## Fares", its
  level from its size among the headings' sizes (the largest "#"); one set in the body's size
  but in a bold face, above a paragraph of prose, is a heading a level below those (a bold line
  starts a paragraph of its own);
- paragraphs across pages: a page whose last paragraph runs on (its last line is as long as
  the page's full lines, or the paragraph has several lines and does not end a sentence: a
  lone short line is a heading) continues into the next page's first paragraph, unless that
  is indented or set in another size; it is kept with the paragraph it ends, on the page
  where that starts, so no passage holds half of it.
Lines are otherwise joined by `clean_text` as wrapping.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from statistics import median

from backend.documents.ingest.page_furniture import (
    first_running,
    known_words,
    page_counters,
    running_keys,
    without_running,
)
from backend.documents.ingest.pdf_columns import in_reading_order
from backend.documents.ingest.pdf_lines import Line, PageLines, type_size

__all__ = ["Line", "PageLines", "page_texts"]

PARAGRAPH_GAP = 1.3  # times the page's usual distance from one line to the next
LEADING = 1.2  # times the type size: the distance from a line to the next of a paragraph
SIZE_CHANGE = 1.5  # points of type size
INDENT = 0.8  # times the type size, against the page's usual left edge
FULL_LINE = 0.8  # of the page's usual line length: a last line this long may run on
HEADING_MAX_LINES = 2
HEADING_MAX_WORDS = 12
_HEADING_END = re.compile(r"[.;:,]\s*$")
_LETTER = re.compile(r"[^\W\d_]")
_ENDS_SENTENCE = re.compile(r"[.!?:;\u2026][\"'\u201d\u2019)\]]*\s*$")


@dataclass
class _Page:
    lines: list[Line]
    breaks: list[bool]  # before each line: does it start a paragraph?
    left: float | None  # the usual left edge of its lines
    runs_on: bool = False  # its last paragraph continues on the next page


def page_texts(pages: list[list[Line]]) -> list[str]:
    """Each page's text, paragraphs apart (blank lines), running lines dropped, a paragraph
    across pages whole on its first page."""
    levels = _heading_levels(pages)
    repeated = running_keys(pages)
    running = repeated | page_counters(
        pages, lambda line: type_size(line) in levels or bool(line.bold)
    )
    laid = [_lay_out(in_reading_order(without_running(lines, running))) for lines in pages]
    # Bold lines head sections a level below the larger headings, unless the body is bold.
    bold = 0 if _bold_body(pages) else min(len(levels) + 1, 6)
    read = [_paragraphs(page, levels, bold) for page in laid]
    texts = [[text for text, _ in paragraphs] for paragraphs in read]
    for k in range(len(laid) - 1):
        if not (texts[k] and texts[k + 1]):
            continue
        # A heading opening the next page opens its own paragraph ("Method" over the steps,
        # after a list of ingredients that ends with no full stop).
        _, opens_with_heading = read[k + 1][0]
        if not opens_with_heading and _continues(laid[k], laid[k + 1]):
            texts[k][-1] = f"{texts[k][-1]}\n{texts[k + 1].pop(0)}"
    # A running line that says more than the page's number is read once, after the text of
    # the page it first stands on (a line counting the pages of a shorter document is not).
    known = known_words([paragraph for page in texts for paragraph in page])
    for k, lines in first_running(pages, repeated, known).items():
        texts[k].extend(lines)
    return ["\n\n".join(paragraphs) for paragraphs in texts]


def _lay_out(lines: list[Line]) -> _Page:
    placed = [line for line in lines if line.placed]
    steps = [
        above.y - below.y
        for above, below in zip(placed, placed[1:], strict=False)
        if above.y is not None
        and below.y is not None
        and above.y > below.y
        and not (above.row or below.row)
        and abs(above.size - below.size) < SIZE_CHANGE
    ]
    # The usual step from a line to the next in a paragraph: the lower quartile of the steps,
    # since on a page of short paragraphs most steps are the wider ones between paragraphs.
    # A table's rows (each read as one line, as tall as its wrapped cells) and a change of type
    # size say nothing of it: a page that is mostly a table has few prose lines to go by.
    spacing = sorted(steps)[len(steps) // 4] if len(steps) >= 3 else None
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
    if previous.row or line.row:
        return True
    # Type larger than the page's usual stands its lines further apart ("a 14-night
    # actigraphy study" under the first line of a title set in 17 points).
    leading = LEADING * min(previous.size, line.size)
    if spacing is not None and previous.y - line.y > PARAGRAPH_GAP * max(spacing, leading):
        return True
    if abs(previous.size - line.size) >= SIZE_CHANGE:
        return True
    # A bold line that may title what follows ends its paragraph; a bold line after a sentence
    # opens one.
    if previous.bold and line.bold is False and _may_head(previous.text):
        return True
    if previous.bold is False and line.bold and _ENDS_SENTENCE.search(previous.text):
        return True
    indented = left is not None and line.x - left > INDENT * max(line.size, 1.0)
    return indented and bool(_ENDS_SENTENCE.search(previous.text))


def _paragraphs(page: _Page, levels: dict[float, int], bold: int) -> list[tuple[str, bool]]:
    """The page's paragraphs, each with whether it is a heading, marked: by its size
    (`levels`), or set in bold above a paragraph of prose in the body's face, at level `bold`
    (0: bold marks no heading)."""
    out: list[list[Line]] = []
    for line, starts in zip(page.lines, page.breaks, strict=True):
        if starts or not out:
            out.append([])
        out[-1].append(line)
    shown = [(lines, "\n".join(line.text for line in lines).strip()) for lines in out]
    shown = [(lines, text) for lines, text in shown if text]
    texts = []
    for k, (lines, text) in enumerate(shown):
        level = _heading_level(lines, text, levels)
        if not level and bold and k + 1 < len(shown):
            after, following = shown[k + 1]
            prose = _ENDS_SENTENCE.search(following) and not all(_bolds(after))
            if prose and all(_bolds(lines)) and _may_head(text) and len(lines) <= 2:
                level = bold
        texts.append((f"{'#' * level} {' '.join(text.split())}" if level else text, bool(level)))
    return texts


def _bolds(lines: list[Line]) -> list[bool]:
    return [bool(line.bold) for line in lines if line.placed and line.text.strip()]


def _may_head(text: str) -> bool:
    """Few words, not ending as a sentence or clause does: it may title what follows."""
    words = text.split()
    return 0 < len(words) <= HEADING_MAX_WORDS and not _HEADING_END.search(text)


def _bold_body(pages: list[list[Line]]) -> bool:
    """Whether most of the document's characters are set in a bold face."""
    counts: Counter[bool] = Counter()
    for lines in pages:
        for line in lines:
            if line.placed and line.text.strip():
                counts[bool(line.bold)] += len(line.text.strip())
    return counts[True] > counts[False]


def _heading_levels(pages: list[list[Line]]) -> dict[float, int]:
    """The type sizes of headings, each with its level: sizes at least SIZE_CHANGE over the
    body's (the size most characters are set in), the largest level 1, at most six."""
    counts: Counter[float] = Counter()
    for lines in pages:
        for line in lines:
            if line.placed and line.text.strip():
                counts[type_size(line)] += len(line.text.strip())
    if not counts:
        return {}
    body = counts.most_common(1)[0][0]
    larger = sorted((size for size in counts if size >= body + SIZE_CHANGE), reverse=True)
    return {size: level for level, size in enumerate(larger[:6], 1)}


def _heading_level(lines: list[Line], text: str, levels: dict[float, int]) -> int:
    """The heading level of a paragraph (0: none): one or two lines of a heading's size, of
    few words a line, not ending as a sentence or clause does ("Fares", "How do I pay?")."""
    placed = [line for line in lines if line.placed and line.text.strip()]
    if not placed or len(placed) > HEADING_MAX_LINES:
        return 0
    sizes = {type_size(line) for line in placed}
    if len(sizes) != 1 or not _LETTER.search(text) or _HEADING_END.search(text):
        return 0
    if len(text.split()) > HEADING_MAX_WORDS * len(placed):
        return 0  # a title wrapped onto a second line may be longer
    return levels.get(sizes.pop(), 0)
