"""A PDF table under a header set in bold over rows that are not: a word processor's table
whose cells are sentences, or that has one row (`bold_headed`)."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from backend.documents.ingest.pdf_headers import DEFAULT_SIZE
from backend.documents.ingest.pdf_lines import (
    COLUMN_SLACK,
    MAX_CELL_CHARS,
    Cells,
    bold_header,
    piece_width,
)
from backend.documents.ingest.tables import table_row

# A piece's width guessed from its characters may run this much over its column's.
WIDTH_SLACK = 1.5


def bold_headed(
    lines: Sequence[Cells],
    at: int,
    sizes: Sequence[float],
    wraps: Collection[int],
    bolds: Sequence[bool | None],
) -> dict[int, str | None]:
    """A header set in bold (`pdf_lines.bold_header`) over rows that are not, each piece of
    theirs in a column the header opens and as wide as it at most: a word processor's table
    whose cells are sentences ("Problem", "Possible cause", "Solution" over "Coffee is too
    weak or watery.", …) or that has one row ("Booking reference", "Booking date" over
    "K7QZ4M", "14 January 2026"). A row's line after its first, wrapped (`wraps`) or leaving
    the first column empty, goes on with its cells; a last row in bold (a total) is a row.
    Empty when the line at `at` is no such header or no row stands under it."""
    if at >= len(bolds) or not bold_header(lines[at], bolds[at]):
        return {}
    opens = [x for x, _ in sorted(lines[at])]
    starts: list[int] = []
    rows: list[list[str]] = []
    last = at
    for k in range(at + 1, len(lines)):
        size = sizes[k] if k < len(sizes) else DEFAULT_SIZE
        columns = _columns_of(sorted(lines[k]), opens, size)
        bold = k < len(bolds) and bool(bolds[k])
        if columns is None or (bold and not rows):
            break
        if rows and (k in wraps or columns[0] > 0):
            for j, (_, text) in zip(columns, sorted(lines[k]), strict=True):
                rows[-1][j] = f"{rows[-1][j]} {text}".strip()
        elif len(columns) >= 2:
            starts.append(k)
            rows.append([""] * len(opens))
            for j, (_, text) in zip(columns, sorted(lines[k]), strict=True):
                rows[-1][j] = text
        else:
            break
        last = k
        if bold:
            break  # a total closes the table
    if not rows or (len(opens) == 2 and _prose_read_on(rows)):
        return {}
    read: dict[int, str | None] = dict.fromkeys(range(at, last + 1))
    header = [text for _, text in sorted(lines[at])]
    for start, row in zip(starts, rows, strict=True):
        read[start] = table_row(row, header)
    return read


def _prose_read_on(rows: list[list[str]]) -> bool:
    """Whether two columns under two bold labels are prose printed line by line (a flyer's
    "Morning" and "Afternoon" over its two columns), not a table's rows: a first cell longer
    than a label, or most lines after the first going on with a sentence ("glaciers during
    the last ice age and")."""
    going_on = sum(any(cell[:1].islower() for cell in row) for row in rows[1:])
    return any(len(row[0]) > MAX_CELL_CHARS for row in rows) or 2 * going_on > len(rows) - 1


def _columns_of(cells: Cells, opens: list[float], size: float) -> list[int] | None:
    """The column each piece stands in (from where the column opens to where the next does,
    as wide as it), or None when one stands in none, or two in one."""
    bounds = [*opens[1:], float("inf")]
    out: list[int] = []
    for x, text in cells:
        column = next(
            (j for j, (a, b) in enumerate(zip(opens, bounds, strict=True))
             if a - COLUMN_SLACK <= x < b - COLUMN_SLACK),
            None,
        )  # fmt: skip
        if column is None or (out and column <= out[-1]):
            return None
        if piece_width(text, size) > WIDTH_SLACK * (bounds[column] - x):
            return None
        out.append(column)
    return out or None
