"""A PDF's columns: lines whose pieces of text stand in the same columns, as a table's rows,
as a box of labels and their values, or as two columns of prose printed line by line across
the page.

A PDF prints a table's cells as pieces of text placed side by side, so a row reads as its
cells run together ("Events 170,400 12%") and loses which column each figure is in. Three
lines or more in a row, each of the same number of short pieces (two or more: two columns of
prose printed line by line are not a table), each piece inside the column the first line's
pieces open, are a table: each row is read as a sentence named
by the header's cells ("Source: Events; Amount (pounds): 170,400; Share: 12%."), the first
line being the header when none of its cells holds a figure, as in HTML's and Markdown's
tables (`html_text.table_row`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from backend.documents.ingest.pdf_lines import Line
from backend.documents.ingest.tables import header_and_rows, table_row

# A piece of a row may start this far (points) left of its column's opening: a header's
# label and a row's figure are not always set flush.
COLUMN_SLACK = 4.0
MIN_ROWS = 3  # lines, the header's included
# A table's cells are short: two columns of prose printed line by line across the page are not.
MAX_CELL_CHARS = 40
MAX_MEAN_CELL_WORDS = 4.0
_DIGIT = re.compile(r"\d")

Cells = Sequence[tuple[float, str]]  # a line's pieces: where each starts, and its text


def table_rows(lines: Sequence[Cells]) -> dict[int, str | None]:
    """For each line of a table among `lines`, its row as a sentence (None for a header line,
    read into its rows); lines outside tables are not in the result. The header is the first
    line of the run when none of its cells holds a figure, or the line just above the run when
    its cells stand within the run's columns (a header's labels centred over their columns)."""
    out: dict[int, str | None] = {}
    at = 0
    while at < len(lines):
        end = _run_end(lines, at)
        rows = [[text for _, text in sorted(lines[k])] for k in range(at, end)]
        above = at - 1
        header_above = (
            end - at >= 2
            and above >= 0
            and above not in out
            and _in_columns(sorted(lines[above]), [x for x, _ in sorted(lines[at])])
            and not any(_DIGIT.search(text) for _, text in lines[above])
        )
        if end - at + header_above >= MIN_ROWS and _short(rows):
            if header_above:
                header: list[str] | None = [text for _, text in sorted(lines[above])]
            else:
                header, rows = header_and_rows(rows)
            if header is not None:
                out[end - len(rows) - 1] = None
            first = end - len(rows)
            for k, row in enumerate(rows):
                out[first + k] = table_row(row, header)
            at = end
        elif (pairs := _pairs(lines, at)) is not None:
            out.update(pairs)
            at = max(pairs) + 1
        else:
            at += 1
    return out


# A fact box's labels: a few short words each ("Office hours", "Teaching assistant").
MAX_LABEL_CHARS = 30
MAX_LABEL_WORDS = 4
_LETTERS = re.compile(r"[^\W\d_]{2}")


def _pairs(lines: Sequence[Cells], start: int) -> dict[int, str | None] | None:
    """A fact box: MIN_ROWS lines or more of a short label and its value ("Instructor" and
    "Dr. Marisol Echeverría-Hunt"), the labels at one place and the values at another, a
    value going on onto a line of its own under it; each read as "Instructor: Dr. Marisol
    Echeverría-Hunt." (the lines a value goes on onto read into it, None). Two columns of
    prose printed line by line are not one: their left halves are not labels."""
    first = sorted(lines[start])
    if len(first) != 2:
        return None
    (label_x, _), (value_x, _) = first
    rows: list[list[str]] = []
    ends: list[int] = []
    at = start
    while at < len(lines):
        cells = sorted(lines[at])
        places = zip(cells, (label_x, value_x), strict=False)
        placed = all(abs(x - place) <= COLUMN_SLACK for (x, _), place in places)
        if len(cells) == 2 and placed and _label(cells[0][1]):
            rows.append([cells[0][1], cells[1][1]])
        elif rows and len(cells) == 1 and abs(cells[0][0] - value_x) <= COLUMN_SLACK:
            rows[-1][1] = f"{rows[-1][1]} {cells[0][1]}"
        else:
            break
        ends.append(len(rows) - 1)
        at += 1
    if len(rows) < MIN_ROWS:
        return None
    read = [table_row(row, None) for row in rows]
    return {
        start + k: (read[row] if k == 0 or ends[k - 1] != row else None)
        for k, row in enumerate(ends)
    }


def _label(text: str) -> bool:
    return (
        len(text) <= MAX_LABEL_CHARS
        and len(text.split()) <= MAX_LABEL_WORDS
        and _LETTERS.search(text) is not None
        and not text.endswith((".", ",", ";"))
    )


def _short(rows: list[list[str]]) -> bool:
    cells = [cell for row in rows for cell in row]
    words = sum(len(cell.split()) for cell in cells) / len(cells)
    return words <= MAX_MEAN_CELL_WORDS and all(len(cell) <= MAX_CELL_CHARS for cell in cells)


def _run_end(lines: Sequence[Cells], start: int) -> int:
    """Where the run of lines in the columns `lines[start]` opens ends (exclusive)."""
    first = sorted(lines[start])
    if len(first) < 2:
        return start
    opens = [x for x, _ in first]
    end = start + 1
    while end < len(lines) and _in_columns(sorted(lines[end]), opens):
        end += 1
    return end


def _in_columns(cells: Cells, opens: list[float]) -> bool:
    if len(cells) != len(opens):
        return False
    bounds = [*opens[1:], float("inf")]
    return all(
        opens[j] - COLUMN_SLACK <= x < bounds[j] - COLUMN_SLACK for j, (x, _) in enumerate(cells)
    )


def in_reading_order(lines: list[Line]) -> list[Line]:
    """The page's lines as they read: each table's rows as sentences, and two columns of prose
    printed line by line a column after the other."""
    return _by_column(_tabled(lines))


# Two columns printed line by line: the second starts this far (points) from the left edge or
# more, on MIN_COLUMN_LINES lines in a row or more, within COLUMN_SLACK of one place; their
# halves hold COLUMN_MIN_WORDS words on average or more (prose, not pairs of labels).
COLUMN_AT = 100.0
MIN_COLUMN_LINES = 3
COLUMN_MIN_WORDS = 4


def _tabled(lines: list[Line]) -> list[Line]:
    """The page's lines with each table's rows read as sentences (`table_rows`), the header
    read into them."""
    placed = [line for line in lines if line.placed and line.text.strip()]
    rows = table_rows([line.cells for line in placed])
    if not rows:
        return lines
    read = {id(placed[k]): text for k, text in rows.items()}
    out = []
    for line in lines:
        if id(line) not in read:
            out.append(line)
        elif (text := read[id(line)]) is not None:
            out.append(Line([text], line.x, line.y, line.size, line.bold, line.cells, row=True))
    return out


def _by_column(lines: list[Line]) -> list[Line]:
    """Two columns of prose printed line by line across the page (each line a piece of the
    left column and one of the right, the right's starting at the same place), read column by
    column: the run's left halves, then its right halves."""
    placed = [line.x for line in lines if line.placed and line.x is not None]
    if not placed:
        return lines
    edge = min(placed)
    out: list[Line] = []
    at = 0
    while at < len(lines):
        split = _column_start(lines[at], edge)
        end = at
        while end < len(lines) and split is not None:
            other = _column_start(lines[end], edge)
            if other is None or abs(other - split) > COLUMN_SLACK:
                break
            end += 1
        run = lines[at:end]
        if split is None or len(run) < MIN_COLUMN_LINES:
            out.append(lines[at])
            at += 1
            continue
        halves = [_half(line, split, left) for left in (True, False) for line in run]
        if sum(len(half.text.split()) for half in halves) < COLUMN_MIN_WORDS * len(halves):
            out.extend(run)  # short pieces: a list of pairs, not prose
        else:
            out.extend(halves)
        at = end
    return out


def _column_start(line: Line, edge: float) -> float | None:
    """Where a second column starts on the line: its first piece, after the first, that
    starts COLUMN_AT points or more right of the page's left edge."""
    if not line.placed or line.row:
        return None
    later = [x for x, _ in line.cells[1:] if x - edge >= COLUMN_AT]
    return later[0] if later else None


def _half(line: Line, split: float, left: bool) -> Line:
    cells = [(x, text) for x, text in line.cells if (x < split - COLUMN_SLACK) == left]
    x = cells[0][0] if cells else line.x
    return Line([" ".join(text for _, text in cells)], x, line.y, line.size, line.bold, cells)
