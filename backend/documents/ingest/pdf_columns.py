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
tables (`html_text.table_row`). A header of three labels or more also reads rows that leave
some of its columns empty, each piece under the label it overlaps (`_headed_table`), and labels
over groups of columns (a timetable's "Monday to Friday" and "Saturday") name each group's
cells in its rows (`_groups_above`), as a header of two lines names each column
(`_stacked_header`). A word processor prints a table's row cell by cell: its lines are
gathered first (`pdf_lines.gathered`), and a cell's lines after the row's first go on with it.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from itertools import pairwise

from backend.documents.ingest.headings import SENTENCE_END, closes
from backend.documents.ingest.pdf_lines import COLUMN_SLACK, MAX_CELL_CHARS, Line, gathered
from backend.documents.ingest.tables import header_and_rows, table_row

MIN_ROWS = 3  # lines, the header's included
# A table's cells are few words on average (and short: `pdf_lines.MAX_CELL_CHARS`).
MAX_MEAN_CELL_WORDS = 4.0
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
_DIGIT = re.compile(r"\d")

Cells = Sequence[tuple[float, str]]  # a line's pieces: where each starts, and its text


def table_rows(
    lines: Sequence[Cells], sizes: Sequence[float] = (), wraps: Collection[int] = ()
) -> dict[int, str | None]:
    """For each line of a table among `lines`, its row as a sentence (None for a header line,
    or a line a row's last cell goes on onto, read into its row); lines outside tables are not
    in the result. A table's cells are short, or its last column's cells are values after
    short labels (a fact box: "Instructor" beside "Dr. Marisol Echeverría-Hunt"). The header
    is the first line of the run when `tables.header_and_rows` says so, or the line just
    above the run when its cells stand within the run's columns (a header's labels centred
    over their columns); `sizes`, each line's type size, place the pieces of rows that leave
    columns empty (`_headed_table`); `wraps`, the lines that hold the wrapped part of a row
    printed cell by cell (`pdf_lines.gathered`), go on with their row in any column."""
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
            read = _headed_table(lines, at, sizes[at] if at < len(sizes) else DEFAULT_SIZE)
            out.update(read)
            at += len(read) or 1
    return out


def _headed_table(lines: Sequence[Cells], at: int, size: float) -> dict[int, str | None]:
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
    if (
        len(header) < MIN_HEADED_COLUMNS
        or not _short([labels])
        or any(_DIGIT.search(label) or not _LETTERS.search(label) for label in labels)
    ):
        return {}
    spans = [_span(x, text, size) for x, text in header]
    rows: list[list[str]] = []
    end = at + 1
    while end < len(lines) and (row := _placed(sorted(lines[end]), spans, size)) is not None:
        rows.append(row)
        end += 1
    if len(rows) < MIN_ROWS - 1:
        return {}
    read: dict[int, str | None] = {at: None}
    for k, row in enumerate(rows, at + 1):
        read[k] = table_row(row, labels)
    return read


def _span(x: float, text: str, size: float) -> tuple[float, float]:
    return x, x + CHAR_WIDTH * size * len(text)


def _placed(cells: Cells, spans: list[tuple[float, float]], size: float) -> list[str] | None:
    """The line's pieces in the header's columns (`_headed_table`), or None: each piece in
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
    header_above = (
        len(rows) >= 2
        and above >= 0
        and free_above
        and _in_columns(sorted(lines[above]), [x for x, _ in sorted(lines[at])])
        and not any(_DIGIT.search(text) for _, text in lines[above])
    )
    # A cell wrapped onto lines of its own is as short as a table's cell line by line.
    pieces = [[text for _, text in lines[k]] for k in range(at, end)]
    if len(rows) + header_above < MIN_ROWS or not (_short(pieces) or _labelled(rows)):
        return None
    read: dict[int, str | None] = dict.fromkeys(range(at, end))
    if header_above:
        header: list[str] | None = [text for _, text in sorted(lines[above])]
        read[above] = None
    else:
        header, rows = header_and_rows(rows)
        starts = starts[len(starts) - len(rows) :]
    stacked = None if header or not free_above else _stacked_header(lines, at)
    if stacked is not None:
        header, used = stacked
        read.update(dict.fromkeys(used))
    groups = None if header or not free_above else _groups_above(lines, at, sizes)
    if groups is not None:
        labels, stub, used = groups
        read.update(dict.fromkeys(used))
        for start, row in zip(starts, rows, strict=True):
            read[start] = _grouped_row(row, labels, stub)
        return read
    for start, row in zip(starts, rows, strict=True):
        read[start] = table_row(row, header)
    return read


def _stacked_header(lines: Sequence[Cells], at: int) -> tuple[list[str], list[int]] | None:
    """A header of two lines above a table's first row, the lower naming some of its columns
    where they open, the upper naming the rest and the groups of the lower's ("Term", "Term
    dates" over "First day" and "Last day", "Half-term holiday"): each column's name, the
    upper's then the lower's ("Term dates First day"), and the lines read. None when the line
    above names no columns where they open, or a header's line holds a figure."""
    if at < 2:
        return None
    opens = [x for x, _ in sorted(lines[at])]
    lower, upper = sorted(lines[at - 1]), sorted(lines[at - 2])
    if any(_DIGIT.search(text) or not _LETTERS.search(text) for _, text in [*lower, *upper]):
        return None
    named = _continued(lower, opens)
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


def _groups_above(
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
        elif any(_DIGIT.search(text) or not _LETTERS.search(text) for _, text in cells):
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


def _grouped_row(row: list[str], labels: list[str], stub: str | None) -> str:
    """A row under labels over groups of its columns (`_groups_above`): "Stop: Kettlewell;
    Monday to Friday: 07:45, 10:25; Saturday: 09:40, 12:00."."""
    pieces = [f"{stub}: {row[0]}" if stub else row[0]]
    for label in dict.fromkeys(labels):
        cells = [cell for cell, named in zip(row[1:], labels, strict=False) if named == label]
        if any(cells):
            pieces.append(f"{label}: {', '.join(cells)}")
    line = "; ".join(pieces)
    return line if line[-1] in ".!?" else f"{line}."


def _rows(
    lines: Sequence[Cells], start: int, end: int, wraps: Collection[int] = ()
) -> tuple[list[int], list[list[str]]]:
    """The run's rows and the line each starts on: a line of pieces under columns after the
    first goes on with the row above, each piece with its column's cell ("Mondays 1:30-3:00
    PM …, or by" over "appointment"; "Monday 28 October – Friday 1" over "November")."""
    opens = [x for x, _ in sorted(lines[start])]
    starts: list[int] = []
    rows: list[list[str]] = []
    for k in range(start, end):
        line = sorted(lines[k])
        columns = _continued(line, opens, first=k in wraps) or _goes_on_whole(line, opens)
        if rows and columns and len(rows[-1]) == len(opens):
            for j, (_, text) in zip(columns, line, strict=True):
                rows[-1][j] = f"{rows[-1][j]} {text}"
        else:
            starts.append(k)
            rows.append([text for _, text in line])
    return starts, rows


def _goes_on_whole(cells: Cells, opens: list[float]) -> list[int]:
    """Every column, when each of the line's pieces goes on with a cell above it: a piece in
    each column, each opening as no cell does, in lower case or a bracket ("(surrender)",
    "rent until a new tenant moves in", "of the fixed term")."""
    if len(cells) != len(opens) or not _in_columns(cells, opens):
        return []
    going_on = all(text[:1].islower() or text[:1] in "([" for _, text in cells)
    return list(range(len(opens))) if going_on else []


def _continued(cells: Cells, opens: list[float], *, first: bool = False) -> list[int]:
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


_LETTERS = re.compile(r"[^\W\d_]{2}")


def _labelled(rows: list[list[str]]) -> bool:
    """Every cell but the last column's a label, as short as a table's cells (`_short`), of
    words (a list's numbers are no labels: "1." beside an item) that end no sentence; the last
    column's cells are their values, of any length."""
    labels = [cell for row in rows for cell in row[:-1]]
    return _short([labels]) and all(
        _LETTERS.search(cell) and not closes(cell, SENTENCE_END + ",;") for cell in labels
    )


def _short(rows: list[list[str]]) -> bool:
    cells = [cell for row in rows for cell in row]
    words = sum(len(cell.split()) for cell in cells) / len(cells)
    return words <= MAX_MEAN_CELL_WORDS and all(len(cell) <= MAX_CELL_CHARS for cell in cells)


def _run_end(
    lines: Sequence[Cells], start: int, *, going_on: bool = True, wraps: Collection[int] = ()
) -> int:
    """Where the run of lines in the columns `lines[start]` opens ends (exclusive)."""
    first = sorted(lines[start])
    if len(first) < 2:
        return start
    opens = [x for x, _ in first]
    end = start + 1
    while end < len(lines) and (
        _in_columns(sorted(lines[end]), opens)
        or (going_on and bool(_continued(sorted(lines[end]), opens, first=end in wraps)))
    ):
        end += 1
    return end


def _in_columns(cells: Cells, opens: list[float]) -> bool:
    """Whether each piece stands in its column: from the column's opening to the next's, or
    nearer its opening than any other's (a figure centred or set flush right starts a little
    before or after where the first row's did: "15:35" under a centred "—")."""
    if len(cells) != len(opens):
        return False
    bounds = [*opens[1:], float("inf")]
    middles = [-float("inf"), *((a + b) / 2 for a, b in pairwise(opens)), float("inf")]
    return all(
        opens[j] - COLUMN_SLACK <= x < bounds[j] - COLUMN_SLACK
        or (j > 0 and middles[j] <= x < middles[j + 1])
        for j, (x, _) in enumerate(cells)
    )


def in_reading_order(lines: list[Line]) -> list[Line]:
    """The page's lines as they read: a table's row printed cell by cell gathered into its
    lines, each table's rows as sentences, and two columns of prose printed line by line a
    column after the other."""
    return _by_column(_tabled(gathered(lines)))


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
    wraps = {k for k, line in enumerate(placed) if line.wraps}
    rows = table_rows([line.cells for line in placed], [line.size for line in placed], wraps)
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
