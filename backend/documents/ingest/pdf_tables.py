"""A PDF's tables: lines whose pieces of text stand in the same columns.

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

from backend.documents.ingest.html_text import table_row

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
                out[above] = None
            elif not any(_DIGIT.search(cell) for cell in rows[0]):
                header, rows = rows[0], rows[1:]
                out[at] = None
            else:
                header = None
            first = end - len(rows)
            for k, row in enumerate(rows):
                out[first + k] = table_row(row, header)
            at = end
        else:
            at += 1
    return out


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
