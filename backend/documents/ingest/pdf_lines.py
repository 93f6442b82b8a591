"""A PDF page's text as pypdf's text visitor gives it: lines of pieces, each piece where it
starts on the page, how tall its type and whether its face is bold; read by `pdf_rows` and
`pdf_columns` into a table's rows."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

# A piece of a table's row may start this far (points) from its column's opening: a header's
# label and a row's figure are not always set flush.
COLUMN_SLACK = 4.0
# A table's cells are short (characters a line): two columns of prose printed line by line
# across the page are not.
MAX_CELL_CHARS = 40
MAX_MEAN_CELL_WORDS = 4.0
Cells = Sequence[tuple[float, str]]  # a line's pieces: where each starts, and its text
# A font's name that says its face is bold: "Helvetica-Bold", "ABCDEF+Arial-BoldMT",
# "Calibri,Bold", "SegoeUI-Semibold", "Lato-Black".
_BOLD_FONT = re.compile(r"bold|black|heavy|semibold|demi", re.IGNORECASE)


@dataclass
class Line:
    """One line of a page as pypdf gives it, with where it starts and how tall its type."""

    parts: list[str] = field(default_factory=list)
    x: float | None = None
    y: float | None = None
    size: float = 0.0
    bold: bool | None = None  # every piece of its text set in a bold face (None: no text)
    # Its pieces of text, each where it starts: a table's cells (`pdf_columns`).
    cells: list[tuple[float, str]] = field(default_factory=list)
    row: bool = False  # a table's row, read as a sentence: a paragraph of its own
    # The wrapped part of a table's row printed cell by cell, under its first line.
    wraps: bool = False
    chars: int = 0  # the characters of the piece its height and size are taken from

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
        # The last piece placed on the current line: where it starts, its height and size.
        self._last: tuple[float, float, float] | None = None
        # Where the last piece set raised and smaller ("2" of "km²") read on with its cell
        # ends, and the height of the text it is raised over.
        self._raised_end: tuple[float, float] | None = None

    def visit(
        self, text: str, cm: Sequence[float], tm: Sequence[float], font: Any, size: float
    ) -> None:
        for k, piece in enumerate(text.split("\n")):
            if k:
                self.lines.append(Line())
                self._last = self._raised_end = None
            line = self.lines[-1]
            line.parts.append(piece)
            if not piece.strip():
                continue
            line.bold = line.bold is not False and _is_bold(font)
            place = _position(cm, tm, size)
            if place is not None:
                wrapped = self._wraps_last(line, place, piece.strip())
                raised, after = self._raised(line, place), self._after_raised(line, place)
                last, self._last = self._last, place
                self._raised_end = None
                if raised and last is not None:
                    # A superscript reads on with its cell ("12.9 km" "2" is "12.9 km2").
                    x, text = line.cells[-1]
                    line.cells[-1] = (x, f"{text}{piece.strip()}")
                    ends = place[0] + piece_width(piece.strip(), place[2])
                    self._raised_end = (ends, last[1])
                    continue
                if after:
                    x, text = line.cells[-1]
                    line.cells[-1] = (x, f"{text} {piece.strip()}")
                    continue
                if wrapped:
                    # Its height is its cell's first line's: the row stands where it began.
                    x, text = line.cells[-1]
                    line.cells[-1] = (x, f"{text} {piece.strip()}")
                    continue
                if self._signs_next(line, place):
                    x, sign = line.cells[-1]
                    line.cells[-1] = (x, f"{sign}{piece.strip()}")
                    continue
                line.cells.append((place[0], piece.strip()))
                if line.x is None:
                    line.x = place[0]
                # Its height and type size are its longest piece's: a footnote's call ("[3]")
                # opening a line is set smaller and higher than the line's text.
                if len(piece.strip()) > line.chars:
                    line.y, line.size, line.chars = place[1], place[2], len(piece.strip())

    def _raised(self, line: Line, place: tuple[float, float, float]) -> bool:
        """Whether a piece is set smaller and raised right after the line's last piece, on
        the same line (a superscript: "2" of "km²", "st" of "21st", a footnote's call)."""
        if self._last is None or not line.cells or line.y is None:
            return False
        x, y, size = place
        last_x, last_y, last_size = self._last
        rise = y - last_y
        ends = last_x + piece_width(line.cells[-1][1], last_size)
        return (
            size <= RAISED_SIZE * last_size
            and 0 < rise <= RAISED_RISE * last_size
            and last_x < x <= ends + 0.5 * last_size
        )

    def _after_raised(self, line: Line, place: tuple[float, float, float]) -> bool:
        """Whether a piece goes on, on the line's own height, right after a superscript read
        on with its cell ("(5.0 sq mi)" after "km²")."""
        if self._raised_end is None or not line.cells:
            return False
        x, y, size = place
        ends, base = self._raised_end
        return abs(y - base) <= 0.5 and ends - size <= x <= ends + size

    def _signs_next(self, line: Line, place: tuple[float, float, float]) -> bool:
        """Whether the line's last piece is a sign printed on its own just before this one,
        on the same line ("−" then "1.7%", a minus sign taken from another font)."""
        if not line.cells or line.cells[-1][1] not in _SIGNS:
            return False
        x, y, size = place
        last_x = line.cells[-1][0]
        return line.y is not None and abs(y - line.y) <= 0.5 and 0 < x - last_x <= size

    def _wraps_last(self, line: Line, place: tuple[float, float, float], piece: str) -> bool:
        """Whether a piece goes on with the line's last one as the next line of one table
        cell: set a line below it (a row whose cells are centred on its height, the one-line
        cells between the two lines of a wrapped one, comes out as one line) and standing
        under it (left, right or centred, widths guessed from the characters)."""
        if self._last is None or not line.cells:
            return False
        x, y, size = place
        last_x, last_y, last_size = self._last
        drop = last_y - y
        if not (0.6 * last_size <= drop <= 1.6 * last_size) or abs(size - last_size) > 0.5:
            return False
        last_end = last_x + piece_width(line.cells[-1][1], last_size)
        return x <= last_end and last_x <= x + piece_width(piece, size)


# A superscript is set at most this share of its line's type size, raised at most this
# share of it.
RAISED_SIZE = 0.85
RAISED_RISE = 0.6
# A sign a figure opens with, which a word processor may print as a piece of its own.
_SIGNS = frozenset("\u2212-+\u2013\u00b1£$€")


def piece_width(text: str, size: float) -> float:
    """A piece's width guessed from its characters: half the type size each."""
    return 0.5 * size * len(text)


def _is_bold(font: Any) -> bool:
    try:
        name = font.get("/BaseFont") if font is not None else None
    except AttributeError:
        return False
    return bool(name) and _BOLD_FONT.search(str(name)) is not None


def _position(
    cm: Sequence[float], tm: Sequence[float], size: float
) -> tuple[float, float, float] | None:
    """Where a piece of text starts and how tall its type: the text matrix in the page's
    space. A matrix that is not six numbers places nothing (the text is kept, only the layout
    does not speak for it)."""
    try:
        a, b, c, d, e, f = (float(v) for v in cm)
        _, _, tc, td, te, tf = (float(v) for v in tm)
        scale = math.hypot(tc * a + td * c, tc * b + td * d)
        x, y, height = te * a + tf * c + e, te * b + tf * d + f, abs(float(size)) * scale
    except (TypeError, ValueError):
        return None
    return (x, y, height) if all(map(math.isfinite, (x, y, height))) else None


def type_size(line: Line) -> float:
    """The line's type size to the half point."""
    return round(line.size * 2) / 2


def short_cells(rows: list[list[str]]) -> bool:
    """Cells as a table's are: a few words on average, none longer than MAX_CELL_CHARS (two
    columns of prose printed line by line across the page are not)."""
    cells = [cell for row in rows for cell in row]
    words = sum(len(cell.split()) for cell in cells) / len(cells)
    return words <= MAX_MEAN_CELL_WORDS and all(len(cell) <= MAX_CELL_CHARS for cell in cells)


_DIGIT = re.compile(r"\d")
_LETTERS = re.compile(r"[^\W\d_]{2}")


def labels_only(texts: Sequence[str]) -> bool:
    """Words, as a header's labels are: letters, no figure."""
    return all(_LETTERS.search(text) and not _DIGIT.search(text) for text in texts)


def bold_header(cells: Cells, bold: bool | None) -> bool:
    """A table's header as a word processor sets it: two labels or more (`labels_only`), all
    in a bold face (its rows are not)."""
    return bool(bold) and len(cells) >= 2 and labels_only([text for _, text in cells])


def stands_at(cells: Cells, opens: Sequence[float]) -> bool:
    """Whether each piece starts where one of the columns `opens` does."""
    return all(any(abs(x - at) <= COLUMN_SLACK for at in opens) for x, _ in cells)


def continued(cells: Cells, opens: list[float], *, first: bool = False) -> list[int]:
    """The columns a line's pieces go on in, each standing where a column after the first
    (or, `first`, any column) opens (a cell's text wrapped onto its next line), or [] when
    the line is no such one."""
    if not cells or len(cells) >= len(opens):
        return []
    columns: list[int] = []
    for x, _ in cells:
        near = [j for j, at in enumerate(opens) if (j or first) and abs(x - at) <= COLUMN_SLACK]
        if not near or (columns and near[0] <= columns[-1]):
            return []
        columns.append(near[0])
    return columns
