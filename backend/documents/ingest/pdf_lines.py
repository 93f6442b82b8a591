"""A PDF page's text as pypdf's text visitor gives it: lines of pieces, each piece where it
starts on the page, how tall its type and whether its face is bold."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

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

    def visit(
        self, text: str, cm: Sequence[float], tm: Sequence[float], font: Any, size: float
    ) -> None:
        for k, piece in enumerate(text.split("\n")):
            if k:
                self.lines.append(Line())
            line = self.lines[-1]
            line.parts.append(piece)
            if not piece.strip():
                continue
            line.bold = line.bold is not False and _is_bold(font)
            place = _position(cm, tm, size)
            if place is not None:
                line.cells.append((place[0], piece.strip()))
                if line.x is None:
                    line.x = place[0]
                # Its height and type size are its longest piece's: a footnote's call ("[3]")
                # opening a line is set smaller and higher than the line's text.
                if len(piece.strip()) > line.chars:
                    line.y, line.size, line.chars = place[1], place[2], len(piece.strip())


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
