"""A PDF's columns: lines whose pieces of text stand in the same columns, as a table's rows or
as a box of labels and their values (two columns of prose printed line by line across the
page are read by `pdf_prose_columns`).

A PDF prints a table's cells as pieces of text placed side by side, so a row reads as its
cells run together ("Events 170,400 12%") and loses which column each figure is in. Three
lines or more in a row, each of the same number of short pieces (two or more: two columns of
prose printed line by line are not a table), each piece inside the column the first line's
pieces open, are a table: each row is read as a sentence named
by the header's cells ("Source: Events; Amount (pounds): 170,400; Share: 12%."), the first
line being the header when none of its cells holds a figure, as in HTML's and Markdown's
tables (`html_text.table_row`). Headers whose labels do not stand where the rows' pieces
do (over rows that leave columns empty, over groups of columns, on two lines) are read by
`pdf_headers`. A word processor prints a table's row cell by cell: its lines are gathered
first (`pdf_rows.gathered`), and a cell's lines after the row's first go on with it.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence

from backend.documents.ingest.pdf_bold_tables import bold_headed
from backend.documents.ingest.pdf_cells import (
    heads_all_but_first,
    heads_last,
    in_columns,
    labelled,
    leaving_empty,
)
from backend.documents.ingest.pdf_headers import (
    DEFAULT_SIZE,
    grouped_row,
    groups_above,
    headed_table,
    stacked_header,
)
from backend.documents.ingest.pdf_lines import (
    Cells,
    Line,
    continued,
    short_cells,
)
from backend.documents.ingest.pdf_prose_columns import by_column
from backend.documents.ingest.pdf_rows import gathered
from backend.documents.ingest.tables import header_and_rows, label_pairs, table_row

MIN_ROWS = 3  # lines, the header's included
MIN_PAIRED_ROWS = 2
_DIGIT = re.compile(r"\d")
# A list's mark or number standing apart from its item: "•", "-", "2.", "(b)", "iv)".
_LIST_MARK = re.compile(
    r"[\u2022\u25e6\u25aa\u25cf\u00b7*\-\u2013]|\(?(?:\d{1,3}|[a-z]|[ivx]{1,4})[.)]"
)



def table_rows(
    lines: Sequence[Cells],
    sizes: Sequence[float] = (),
    wraps: Collection[int] = (),
    bolds: Sequence[bool | None] = (),
) -> dict[int, str | None]:
    """For each line of a table among `lines`, its row as a sentence (None for a header line,
    or a line a row's last cell goes on onto, read into its row); lines outside tables are not
    in the result. A table's cells are short, or its last column's cells are values after
    short labels (a fact box: "Instructor" beside "Dr. Marisol Echeverría-Hunt"). The header
    is the first line of the run when `tables.header_and_rows` says so, or the line just
    above the run when its cells stand within the run's columns (a header's labels centred
    over their columns); `sizes`, each line's type size, place the pieces of rows that leave
    columns empty (`pdf_headers.headed_table`); `wraps`, the lines that hold the wrapped part
    of a row printed cell by cell (`pdf_rows.gathered`), go on with their row in any
    column; `bolds`, whether each line is set in bold, find a header set in bold over rows
    that are not (`pdf_lines.bold_header`): its rows' cells may be sentences, and one row is
    a table."""
    out: dict[int, str | None] = {}
    at = 0
    while at < len(lines):
        # A run whose rows go on onto lines of their own, else the run up to the first such
        # line (a value wrapped under a label too long for a fact box ends a table above it).
        ends = (_run_end(lines, at, wraps=wraps), _run_end(lines, at, going_on=False))
        for end in dict.fromkeys(ends):
            read = _table(lines, at, end, at - 1 not in out, sizes, wraps)
            if read is not None:
                out.update(read)
                at = end
                break
        else:
            read = bold_headed(lines, at, sizes, wraps, bolds) or headed_table(
                lines, at, sizes[at] if at < len(sizes) else DEFAULT_SIZE
            )
            out.update(read)
            at += len(read) or 1
    return out


def _table(
    lines: Sequence[Cells],
    at: int,
    end: int,
    free_above: bool,
    sizes: Sequence[float] = (),
    wraps: Collection[int] = (),
) -> dict[int, str | None] | None:
    """The run `lines[at:end]` read as a table (`table_rows`), or None when it is none."""
    starts, rows = _rows(lines, at, end, wraps)
    above = at - 1
    opens = [x for x, _ in sorted(lines[at])]
    labels_above = len(rows) >= 2 and above >= 0 and free_above
    header_above = (
        labels_above
        and in_columns(sorted(lines[above]), opens)
        and not any(_DIGIT.search(text) for _, text in lines[above])
    )
    # Labels over every column but the first, which the rows' names fill ("Q1 target",
    # "Q1 actual", "Variance" over "Revenue", "£4.60m", …).
    stub_above = (
        labels_above and not header_above and heads_all_but_first(sorted(lines[above]), opens)
    )
    header_above = header_above or stub_above
    # A cell wrapped onto lines of its own is as short as a table's cell line by line.
    pieces = [[text for _, text in lines[k]] for k in range(at, end)]
    # A box of label and value pairs is one however few its rows.
    least = MIN_PAIRED_ROWS if not header_above and label_pairs(rows) else MIN_ROWS
    if len(rows) + header_above < least or not (short_cells(pieces) or labelled(rows)):
        return None
    if _listed(lines[at]):
        return None  # a list: its marks or numbers beside its items ("•", "2.")
    read: dict[int, str | None] = dict.fromkeys(range(at, end))
    if not header_above and free_above and above >= 0 and heads_last(lines[above], opens):
        read[above] = None  # "Amount" over the amounts beside their descriptions
    if header_above:
        header: list[str] | None = [text for _, text in sorted(lines[above])]
        if stub_above:
            header = ["", *(header or [])]
        read[above] = None
    else:
        header, rows = header_and_rows(rows)
        starts = starts[len(starts) - len(rows) :]
    stacked = None if header or not free_above else stacked_header(lines, at)
    if stacked is not None:
        header, used = stacked
        read.update(dict.fromkeys(used))
    groups = None if header or not free_above else groups_above(lines, at, sizes)
    if groups is not None:
        labels, stub, used = groups
        read.update(dict.fromkeys(used))
        for start, row in zip(starts, rows, strict=True):
            read[start] = grouped_row(row, labels, stub)
        return read
    paired = header is None and label_pairs(rows)
    for start, row in zip(starts, rows, strict=True):
        read[start] = table_row(row[1::2], row[::2]) if paired else table_row(row, header)
    return read


def _rows(
    lines: Sequence[Cells], start: int, end: int, wraps: Collection[int] = ()
) -> tuple[list[int], list[list[str]]]:
    """The run's rows and the line each starts on: a line of pieces under columns after the
    first goes on with the row above, each piece with its column's cell ("Mondays 1:30-3:00
    PM …, or by" over "appointment"; "Monday 28 October – Friday 1" over "November"), as does
    a row's wrapped part gathered under it (`wraps`) in every column."""
    opens = [x for x, _ in sorted(lines[start])]
    starts: list[int] = []
    rows: list[list[str]] = []
    for k in range(start, end):
        line = sorted(lines[k])
        columns = (
            continued(line, opens, first=k in wraps)
            or _goes_on_whole(line, opens)
            or (list(range(len(opens))) if k in wraps and in_columns(line, opens) else [])
        )
        if rows and columns and len(rows[-1]) == len(opens):
            for j, (_, text) in zip(columns, line, strict=True):
                rows[-1][j] = f"{rows[-1][j]} {text}"
        else:
            starts.append(k)
            rows.append(_row(line, opens))
    return starts, rows


def _row(cells: Cells, opens: list[float]) -> list[str]:
    """A line's cells as a row: each piece in its column when the row leaves some empty
    (`leaving_empty`), else the pieces in order."""
    placed = leaving_empty(cells, opens)
    if not placed:
        return [text for _, text in cells]
    row = [""] * len(opens)
    for j, (_, text) in zip(placed, cells, strict=True):
        row[j] = text
    return row


def _goes_on_whole(cells: Cells, opens: list[float]) -> list[int]:
    """Every column, when each of the line's pieces goes on with a cell above it: a piece in
    each column, each opening as no cell does, in lower case or a bracket ("(surrender)",
    "rent until a new tenant moves in", "of the fixed term")."""
    if len(cells) != len(opens) or not in_columns(cells, opens):
        return []
    going_on = all(text[:1].islower() or text[:1] in "([" for _, text in cells)
    return list(range(len(opens))) if going_on else []


def _run_end(
    lines: Sequence[Cells], start: int, *, going_on: bool = True, wraps: Collection[int] = ()
) -> int:
    """Where the run of lines in the columns `lines[start]` opens ends (exclusive)."""
    first = sorted(lines[start])
    if len(first) < 2:
        return start
    opens = [x for x, _ in first]
    listed = _listed(first)
    end = start + 1
    while end < len(lines) and (
        (in_columns(sorted(lines[end]), opens) and _listed(sorted(lines[end])) == listed)
        or (going_on and bool(continued(sorted(lines[end]), opens, first=end in wraps)))
        or bool(leaving_empty(sorted(lines[end]), opens))
    ):
        end += 1
    return end


def _listed(cells: Cells) -> bool:
    """Whether the line opens with a list's mark or number set apart from its item."""
    return bool(cells) and _LIST_MARK.fullmatch(cells[0][1]) is not None


def in_reading_order(lines: list[Line]) -> list[Line]:
    """The page's lines as they read: a table's row printed cell by cell gathered into its
    lines, each table's rows as sentences, and two columns of prose printed line by line a
    column after the other."""
    return by_column(_tabled(gathered(lines)))


def _tabled(lines: list[Line]) -> list[Line]:
    """The page's lines with each table's rows read as sentences (`table_rows`), the header
    read into them."""
    placed = [line for line in lines if line.placed and line.text.strip()]
    wraps = {k for k, line in enumerate(placed) if line.wraps}
    rows = table_rows(
        [line.cells for line in placed],
        [line.size for line in placed],
        wraps,
        [line.bold for line in placed],
    )
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
