"""The headers of a PDF's tables that name columns where the pieces of its rows do not line up
with them: a header over rows that leave columns empty (`headed_table`), a header of two lines
(`stacked_header`) and labels over groups of columns (`groups_above`); a header set in bold
over rows whose cells are sentences is read by `pdf_bold_tables`. Each piece's width is
guessed from its characters and its type size."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

from backend.documents.ingest.pdf_lines import (
    COLUMN_SLACK,
    Cells,
    continued,
    labels_only,
    short_cells,
)
from backend.documents.ingest.tables import row_pieces, table_row, wordy

# A header of this many labels or more names the columns of rows that leave some empty; their
# cells may run longer ("BANK GIRO CREDIT KESTREL ANALYTICS SALARY").
MIN_HEADED_COLUMNS = 3
MAX_HEADED_CELL_CHARS = 80
# A piece's width, guessed: this share of its type size for each of its characters.
CHAR_WIDTH = 0.5
DEFAULT_SIZE = 10.0
# Labels over groups of a table's columns stand within this many lines above its first row,
# with the first column's label and a line of marks (pieces of this many characters at most).
GROUP_LINES = 3
MARK_CHARS = 2
# A header's rows: two at least.
MIN_HEADED_ROWS = 2


def headed_table(lines: Sequence[Cells], at: int, size: float) -> dict[int, str | None]:
    """A header of three labels or more over rows that leave some of its columns empty, their
    figures set flush right (a bank statement's "Date  Description  Paid out  Paid in  Balance"
    over "12 Sep  SO GREYSTONE LETTINGS RENT  1,150.00  164.87 OD"): each row's pieces go to
    the columns whose labels they overlap most, set flush left, right or centred alike (each
    piece's width guessed from its characters and the type `size`), so a row reads "Date: 12
    Sep; Description: SO GREYSTONE LETTINGS RENT; Paid out (£): 1,150.00; Balance (£): 164.87
    OD.". Empty when the lines at `at` are no such table (two rows at least; no two pieces of a
    row in one column; each row's first piece under the first label)."""
    header = sorted(lines[at])
    labels = [text for _, text in header]
    if len(header) < MIN_HEADED_COLUMNS or not short_cells([labels]) or not all(map(wordy, labels)):
        return {}
    # Labels with figures ("Junior (4–16)") head rows only where their pieces line up.
    rows = _under_openings(lines, at, size) or (
        _overlapping(lines, at, size) if labels_only(labels) else []
    )
    if len(rows) < MIN_HEADED_ROWS:
        return {}
    read: dict[int, str | None] = {at: None}
    for k, row in enumerate(rows, at + 1):
        read[k] = table_row(row, labels)
    return read


def _overlapping(lines: Sequence[Cells], at: int, size: float) -> list[list[str]]:
    """The rows under the header at `at` whose pieces each overlap one label (`_placed`)."""
    spans = [_span(x, text, size) for x, text in sorted(lines[at])]
    rows: list[list[str]] = []
    end = at + 1
    while end < len(lines) and (row := _placed(sorted(lines[end]), spans, size)) is not None:
        rows.append(row)
        end += 1
    return rows


def _under_openings(lines: Sequence[Cells], at: int, size: float) -> list[list[str]]:
    """The rows under the header at `at` when their pieces open at as many places as it has
    labels, each label's middle within its column (from where the column opens to where the
    next does): a timetable whose sessions start flush left in their columns under labels
    centred over them, some cells empty, some wrapped ("09:00–10:00 Aqua Fit" under
    "Morning"). The rows are the lines after the header of two pieces or more, the first under
    the first row's first; empty when they open elsewhere."""
    header = sorted(lines[at])
    rows: list[Cells] = []
    for k in range(at + 1, len(lines)):
        cells = sorted(lines[k])
        if (
            not 2 <= len(cells) <= len(header)
            or any(len(text) > MAX_HEADED_CELL_CHARS for _, text in cells)
            or (rows and abs(cells[0][0] - rows[0][0][0]) > COLUMN_SLACK)
        ):
            break
        rows.append(cells)
    if len(rows) < MIN_HEADED_ROWS:
        return []
    opens: list[float] = []
    for x in sorted(x for cells in rows for x, _ in cells):
        if not opens or x - opens[-1] > COLUMN_SLACK:
            opens.append(x)
    bounds = [*opens[1:], float("inf")]
    middles = [sum(_span(x, text, size)) / 2 for x, text in header]
    if len(opens) != len(header) or not all(
        a <= middle < b for a, b, middle in zip(opens, bounds, middles, strict=True)
    ):
        return []
    read = []
    for placed in rows:
        row = [""] * len(opens)
        for x, text in placed:
            column = max(j for j, a in enumerate(opens) if a <= x + COLUMN_SLACK)
            if row[column]:
                return []
            row[column] = text
        read.append(row)
    return read


def _span(x: float, text: str, size: float) -> tuple[float, float]:
    return x, x + CHAR_WIDTH * size * len(text)


def _placed(cells: Cells, spans: list[tuple[float, float]], size: float) -> list[str] | None:
    """The line's pieces in the header's columns (`headed_table`), or None: each piece in
    the column whose label it overlaps most, else whose label's middle is nearest its own."""
    row = [""] * len(spans)
    last = -1
    for x, text in cells:
        a, b = _span(x, text, size)
        column = max(
            range(len(spans)),
            key=lambda j: (
                min(b, spans[j][1]) - max(a, spans[j][0]),
                -abs((a + b) - sum(spans[j])),
            ),
        )
        if column <= last or len(text) > MAX_HEADED_CELL_CHARS or (last < 0 and column != 0):
            return None
        row[column], last = text, column
    return row if len(cells) >= 2 else None


def stacked_header(lines: Sequence[Cells], at: int) -> tuple[list[str], list[int]] | None:
    """A header of two lines above a table's first row, the lower naming some of its columns
    where they open, the upper naming the rest and the groups of the lower's ("Term", "Term
    dates" over "First day" and "Last day", "Half-term holiday"): each column's name, the
    upper's then the lower's ("Term dates First day"), and the lines read. None when the line
    above names no columns where they open, or a header's line holds a figure."""
    if at < 2:
        return None
    opens = [x for x, _ in sorted(lines[at])]
    lower, upper = sorted(lines[at - 1]), sorted(lines[at - 2])
    if not labels_only([text for _, text in [*lower, *upper]]):
        return None
    named = continued(lower, opens)
    if not named or len(upper) < 2:
        return None
    firsts = [max(j for j, open_at in enumerate(opens) if open_at <= x + COLUMN_SLACK)
              if x + COLUMN_SLACK >= opens[0] else -1 for x, _ in upper]  # fmt: skip
    if firsts[0] != 0 or any(b <= a for a, b in pairwise(firsts)):
        return None
    names = [""] * len(opens)
    for (_, text), first, last in zip(upper, firsts, [*firsts[1:], len(opens)], strict=True):
        for j in range(first, last):
            names[j] = text
    for j, (_, text) in zip(named, lower, strict=True):
        names[j] = f"{names[j]} {text}".strip()
    return names, [at - 2, at - 1]


def groups_above(
    lines: Sequence[Cells], at: int, sizes: Sequence[float]
) -> tuple[list[str], str | None, list[int]] | None:
    """Labels over groups of a table's columns, in the lines just above its first row (a
    timetable's "Monday to Friday" and "Saturday" each centred over its journeys): fewer
    labels than the columns after the first, of words, none over the first column; beside
    them or on a line of its own may stand the first column's label ("Stop"), and above the
    rows a line of marks ("*", "F"). Each
    column after the first goes to the label whose middle is nearest its own (the widths
    guessed from the characters and the type size). None when there are no such labels."""
    opens = [x for x, _ in sorted(lines[at])]
    labels: list[tuple[float, str]] = []
    stub = None
    used = []
    for k in range(at - 1, max(-1, at - 1 - GROUP_LINES), -1):
        cells = sorted(lines[k])
        size = sizes[k] if k < len(sizes) else DEFAULT_SIZE
        if all(len(text) <= MARK_CHARS for _, text in cells):
            used.append(k)
        elif not labels_only([text for _, text in cells]):
            break
        elif len(cells) == 1 and abs(cells[0][0] - opens[0]) <= COLUMN_SLACK and stub is None:
            stub = cells[0][1]
            used.append(k)
        elif not labels:
            if stub is None and len(cells) > 1 and abs(cells[0][0] - opens[0]) <= COLUMN_SLACK:
                stub, cells = cells[0][1], cells[1:]
            if len(cells) >= len(opens) - 1 or cells[0][0] <= opens[1] - COLUMN_SLACK:
                break
            labels = [(sum(_span(x, text, size)) / 2, text) for x, text in cells]
            used.append(k)
        else:
            break
    if not labels:
        return None
    size = sizes[at] if at < len(sizes) else DEFAULT_SIZE
    named = []
    for x, text in sorted(lines[at])[1:]:
        middle = sum(_span(x, text, size)) / 2
        named.append(min(labels, key=lambda label: abs(label[0] - middle))[1])
    return named, stub, used


def grouped_row(row: list[str], labels: list[str], stub: str | None) -> str:
    """A row under labels over groups of its columns (`groups_above`): "Stop: Kettlewell;
    Monday to Friday: 07:45, 10:25; Saturday: 09:40, 12:00."."""
    pieces = [f"{stub}: {row[0]}" if stub else row[0]]
    for label in dict.fromkeys(labels):
        cells = [cell for cell, named in zip(row[1:], labels, strict=False) if named == label]
        if any(cells):
            pieces.append(f"{label}: {', '.join(cells)}")
    line = "; ".join(row_pieces(pieces))
    return line if line[-1] in ".!?" else f"{line}."
