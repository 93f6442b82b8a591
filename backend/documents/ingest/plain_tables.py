"""Plain text's columns aligned with spaces or tabs read as a table's rows, named by the
header's cells ("Drink: Espresso; Small: 2.10; Large: 2.60.")."""

from __future__ import annotations

import re

from backend.documents.ingest.tables import header_and_rows, table_row

# Cells of a line set out in columns: split where a tab or two spaces or more stand.
_GAP = re.compile(r"\t+| {2,}")
PIECE = re.compile(r"\S+(?: \S+)*")
_BLOCK = re.compile(r"(?:^[^\S\n]*\S[^\n]*(?:\n|$))+", re.MULTILINE)
# A rule across a table's columns, in one piece or one per column ("-----   ------").
_COLUMN_RULE = re.compile(r"[ \t]*(?:([-=_~])\1{2,}[ \t]*)+")
_TABLE_CELL_CHARS = 40
_HEADER_LINES = 3
_SLACK = 2
_STOPS = ".!?;,"
_DIGIT = re.compile(r"\d")


def aligned_tables(text: str) -> str:
    """Lines set out in columns ("Espresso         2.10     2.60" under "Drink    Small
    Large") as a table's rows, each a paragraph named by the header's cells ("Drink: Espresso;
    Small: 2.10; Large: 2.60."): two rows or more in a block, their cells standing where the
    columns start (at least two), none but the last column's reading as the end of a
    sentence. A line that starts in a later column goes on with the row above ("Non-uniform
    day (£1 donation" over "Bank); school closes at 3:15 pm"), as does one set in from the
    first column's start. The lines above a rule across the columns are the header (up to
    three, read column by column); without one, the first line is the header when none of
    its cells holds a figure; a header over an empty corner keeps it."""
    return _BLOCK.sub(_as_rows, text)


def _as_rows(block: re.Match[str]) -> str:
    lines = [line.rstrip() for line in block.group().rstrip("\n").split("\n")]
    field = _wrapped_label(lines)
    if field is not None:
        return field + ("\n" if block.group().endswith("\n") else "")
    while lines and _COLUMN_RULE.fullmatch(lines[-1]):
        lines.pop()  # a rule closing the table
    while lines and _COLUMN_RULE.fullmatch(lines[0]):
        lines.pop(0)
    rules = [at for at, line in enumerate(lines) if _COLUMN_RULE.fullmatch(line)]
    if len(rules) > 1 or (rules and not 0 < rules[0] <= _HEADER_LINES):
        return block.group()
    head, body = (lines[: rules[0]], lines[rules[0] + 1 :]) if rules else ([], lines)
    tabbed = any("\t" in line for line in lines)
    table = _tab_columns(body, head) if tabbed else _columns(body, head)
    if table is None:
        return block.group()
    header, rows = table
    cells = [cell for row in rows for cell in row[:-1]] + (header or [])
    if len(rows) < 2 or any(c.endswith(tuple(_STOPS)) for c in cells):
        return block.group()
    if header is None and not any(_DIGIT.search(c) for row in rows for c in row):
        if len(rows) == 2 and len(rows[0]) == 2:
            return block.group()  # two pairs of words: too little to call a table
    if header is None and all(row[0].endswith(":") for row in rows):
        # Labels padded to line up their values ("Name:    Ada"): each line is a field.
        return "\n".join(" ".join(c for c in row if c) for row in rows) + "\n"
    if header is None:
        header, rows = header_and_rows(rows)
    paragraphs = [table_row(row, header) for row in rows]
    ending = "\n" if block.group().endswith("\n") else ""
    return "\n\n".join(paragraphs) + "\n" + ending


# A form's label that wraps in its column ("Landlord's" over "Agent:", the value beside both).
_LABEL_LINE = re.compile(r"(\S(?:[^\n]*?\S)?)( {2,}|\t+)(\S.*)")
_WRAPPED_LABEL_LINES = 3


def _wrapped_label(lines: list[str]) -> str | None:
    """A field whose label wraps over the lines its value does, both in columns ("Landlord's
    Midland Lettings Ltd, 41 Bristol Road," over "Agent:  Birmingham B5 7TU"): one line,
    "Landlord's Agent: Midland Lettings Ltd, 41 Bristol Road, Birmingham B5 7TU". None when
    the lines are no such field: two or three, each a label opening the line and a value
    starting where the others' do, only the last label ending with a colon."""
    if not 2 <= len(lines) <= _WRAPPED_LABEL_LINES:
        return None
    found = [_LABEL_LINE.fullmatch(line) for line in lines]
    if not all(found):
        return None
    labels = [m.group(1) for m in found if m]
    values = [(m.start(3), m.group(3)) for m in found if m]
    if len({at for at, _ in values}) != 1 or max(map(len, labels)) > _TABLE_CELL_CHARS:
        return None
    if not labels[-1].endswith(":") or any(
        label.endswith(tuple(":" + _STOPS)) for label in labels[:-1]
    ):
        return None
    return f"{' '.join(labels)} {' '.join(' '.join(value.split()) for _, value in values)}"


def _pieces(line: str) -> list[tuple[int, str]]:
    """A line's cells with the column each starts at (cells part where two spaces stand)."""
    return [(m.start(), m.group()) for m in PIECE.finditer(line)]


def _columns(
    body: list[str], head: list[str]
) -> tuple[list[str] | None, list[list[str]]] | None:
    """The rows of lines whose cells stand in columns, a line starting in a later column (or
    set in from the first) going on with the row above; None when the cells do not line up."""
    pieces = [_pieces(line) for line in body]
    width = max((len(p) for p in pieces), default=0)
    full = [p for p in pieces if len(p) == width]
    if width < 2 or len(full) < 2:
        return None
    starts = [min(p[k][0] for p in full) for k in range(width)]

    def column(at: int) -> int:
        return max(k for k in range(width) if starts[k] <= at + 1) if at + 1 >= starts[0] else -1

    rows: list[list[str]] = []
    spans = [[at, at + len(text)] for at, text in full[0]]
    placed: list[list[tuple[int, int]]] = [[] for _ in range(width)]
    for line in pieces:
        places = [column(at) for at, _ in line]
        if places != sorted(set(places)) or places[0] < 0:
            return None
        if len(line) == width and places != list(range(width)):
            return None
        cells = zip(places, line, strict=True)
        if any(len(text) > _TABLE_CELL_CHARS for k, (_, text) in cells if k < width - 1):
            return None  # a line of prose, not a cell
        goes_on = places[0] > 0 or (len(line) == 1 and line[0][0] > starts[0] + 1)
        if goes_on and not rows:
            return None
        if not goes_on:
            rows.append([""] * width)
        for k, (at, text) in zip(places, line, strict=True):
            rows[-1][k] = f"{rows[-1][k]} {text}".strip()
            placed[k].append((at, at + len(text)))
            spans[k] = [min(spans[k][0], at), max(spans[k][1], at + len(text))]
    if any(not _lined_up(placed[k]) for k in range(1, width)):
        return None
    header = None
    if head:
        # A label may stand over its column's middle or its right edge: it heads the column
        # it overlaps most, or the nearest.
        header = [""] * width
        for label in head:
            for at, text in _pieces(label):
                end = at + len(text)
                k = max(
                    range(width),
                    key=lambda k: (
                        min(end, spans[k][1]) - max(at, spans[k][0]),
                        -abs(at - spans[k][0]),
                    ),
                )
                header[k] = f"{header[k]} {text}".strip()
    return header, rows


def _lined_up(cells: list[tuple[int, int]]) -> bool:
    """A column's cells start at one place (text) or end at one (figures set flush right),
    give or take a character or two."""
    starts, ends = [a for a, _ in cells], [b for _, b in cells]
    return max(starts) - min(starts) <= _SLACK or max(ends) - min(ends) <= _SLACK


def _tab_columns(
    body: list[str], head: list[str]
) -> tuple[list[str] | None, list[list[str]]] | None:
    """Cells parted by tabs (or two spaces), every line of the same number of them."""
    rows = [[cell.strip() for cell in _GAP.split(line.strip())] for line in body]
    header = [cell.strip() for cell in _GAP.split(head[-1].strip())] if head else None
    width = len(rows[0]) if rows else 0
    if width < 2 or any(len(row) != width for row in rows):
        return None
    if any(len(cell) > _TABLE_CELL_CHARS for row in rows for cell in row[:-1]):
        return None
    return header, rows
