"""A table's row as a word processor prints it, gathered into the lines it stands on: cell by
cell, each cell's lines before the next cell's (`gathered`), its one-line cells centred on the
row's height beside a wrapped cell's lines, or its first cell wrapped onto the line its other
cells stand on."""

from __future__ import annotations

from backend.documents.ingest.pdf_lines import (
    COLUMN_SLACK,
    MAX_CELL_CHARS,
    Line,
    bold_header,
    piece_width,
    stands_at,
)

# A piece's width is at least this share of the guess from its characters (`piece_width`).
NARROW_WIDTH = 0.8


# A word processor prints a table's row cell by cell, each cell's lines before the next
# cell's: a line comes back up to where one within this many lines before it stood.
GATHER_LINES = 8
SAME_LINE = 0.5  # points
# A value centred on its label's two lines stands about half a line below the first.
WRAP_DROP = 0.4  # times the type size


def gathered(lines: list[Line]) -> list[Line]:
    """The page's lines with each table row printed cell by cell read across: the lines from
    one that a later line comes back up to (its `y`, after lines below it), as far as that
    later line, become one line for each height they stand at, top down, their pieces left to
    right ("Autumn 2024", "Tuesday 3 September", "2024" below it, then "Friday 20 December
    2024" beside the first: the row's first line, then "2024" on its second), when they read
    as a row whose cells wrap (`_wrapped_cells`). Under a header set in bold (`bold_header`)
    a row's cells may be sentences ("Check the plug and the socket. Switch on the" over "main
    power switch at the back."), as long as their columns are wide."""
    out: list[Line] = []
    at = 0
    header: list[float] | None = None  # where the columns of a bold header above open
    while at < len(lines):
        line = lines[at]
        if line.placed and line.cells:
            if bold_header(line.cells, line.bold):
                header = [x for x, _ in line.cells]
            elif header is not None and not stands_at(line.cells, header):
                header = None
        end = _comes_back(lines, at)
        if end is None:
            out.append(line)
            at += 1
            continue
        heights: dict[float, list[Line]] = {}
        for line in lines[at:end]:
            if not line.placed:
                continue
            y = next((h for h in heights if abs(h - float(line.y or 0)) <= SAME_LINE), line.y)
            heights.setdefault(float(y or 0), []).append(line)
        row = [_joined(heights[y]) for y in sorted(heights, reverse=True)]
        raised = _centred_raised(row)
        if raised is not None:
            out.append(raised)
            at = end
        elif _wrapped_cells(row, headed=header is not None):
            for line in row[1:]:
                line.wraps = True
            out.extend(row)
            at = end
        else:
            out.append(lines[at])
            at += 1
    return _first_cells_wrapped(out)


def _centred_raised(row: list[Line]) -> Line | None:
    """A row whose one-line cells stand beside its wrapped cells' last line (centred on the
    row's height), right of every piece of its first line: one line, each wrapped piece read
    on with the cell it stands under ("Family (2 adults + up to 3" | "As Premium; children
    must follow" over "children aged 11–15)" | "Junior Rules" | "£94.00" …)."""
    if len(row) < 2 or len(row[0].cells) < 2:
        return None
    if any(len(text) > MAX_CELL_CHARS for line in row for _, text in line.cells):
        return None
    # Beyond the first line's last piece: where it opens, and most of its width on (a
    # letterhead's second block, its lines set under one another, is no row).
    last_x, last_text = max(row[0].cells)
    last = last_x + COLUMN_SLACK
    ends = last_x + NARROW_WIDTH * piece_width(last_text, row[0].size)
    beyond = [cell for line in row[1:] for cell in line.cells if cell[0] > ends]
    if not beyond or any(last < x <= ends for line in row[1:] for x, _ in line.cells):
        return None
    cells = sorted([*row[0].cells, *beyond])
    for line in row[1:]:
        for x, text in line.cells:
            if x <= last and not _read_on(cells, x, text):
                return None
    return _row_line(row[0], cells)


def _read_on(cells: list[tuple[float, str]], x: float, text: str) -> bool:
    """Read a wrapped piece on with the cell it stands under (in place); False when none."""
    for k, (at, cell) in enumerate(cells):
        if abs(at - x) <= COLUMN_SLACK:
            cells[k] = (at, f"{cell} {text}")
            return True
    return False


def _row_line(first: Line, cells: list[tuple[float, str]]) -> Line:
    return Line([" ".join(t for _, t in cells)], cells[0][0], first.y, first.size, first.bold,
                cells, chars=first.chars)  # fmt: skip


def _first_cells_wrapped(lines: list[Line]) -> list[Line]:
    """A table's row whose first cell wraps onto the line its other cells stand on ("Student
    (with valid NUS or", then "university ID)" beside "As Standard" "£22.50" …), under a row
    of as many columns: one line, the first cell whole."""
    out = list(lines)
    placed = [k for k, line in enumerate(out) if line.placed and line.cells]
    gone: set[int] = set()
    above: Line | None = None
    for top, under in zip(placed, placed[1:], strict=False):
        if top in gone:
            continue
        alone, row = out[top], out[under]
        if above is None or not _wrap_above(above, alone, row):
            above = alone
            continue
        x, text = alone.cells[0]
        out[top] = above = _row_line(alone, [(x, f"{text} {row.cells[0][1]}"), *row.cells[1:]])
        gone.add(under)
    return [line for k, line in enumerate(out) if k not in gone]


def _wrap_above(above: Line, alone: Line, row: Line) -> bool:
    """Whether `alone` is the first line of `row`'s first cell (`_first_cells_wrapped`). In a
    table of two columns (a fact box's labels and values, as a browser prints one: the value
    centred on the label's two lines, "Primary" over "outflows" beside "River Varrick"), only
    where the row stands less than half a row's step below it: a label whose value is empty
    stands a whole step above the next row."""
    if any(line.wraps for line in (above, alone, row)):
        return False
    columns = min(len(row.cells), len(above.cells))
    if len(alone.cells) != 1 or columns < 2:
        return False
    x, text = alone.cells[0]
    drop = float(alone.y or 0) - float(row.y or 0)
    step = float(above.y or 0) - float(alone.y or 0)
    low = 0.6 * alone.size if columns >= 3 else WRAP_DROP * alone.size
    opens = [at for at, _ in above.cells]
    return (
        abs(x - row.cells[0][0]) <= COLUMN_SLACK
        and len(text) <= MAX_CELL_CHARS
        and low <= drop <= 1.6 * alone.size
        and (columns >= 3 or drop < 0.5 * step)
        and all(any(abs(at - o) <= COLUMN_SLACK for o in opens) for at, _ in row.cells)
    )


def _wrapped_cells(row: list[Line], *, headed: bool = False) -> bool:
    """Whether gathered lines read as a table's row whose cells wrap: two pieces or more on
    its first line, and on each line after it only pieces standing where one of those does,
    each as short as a table's cell (not two boxes of prose side by side), unless the row
    stands under a header set in bold (`headed`)."""
    opens = [x for x, _ in row[0].cells]
    return (
        len(opens) >= 2
        and (headed or all(len(text) <= MAX_CELL_CHARS for line in row for _, text in line.cells))
        and all(stands_at(line.cells, opens) for line in row[1:])
    )


def _comes_back(lines: list[Line], at: int) -> int | None:
    """The end (exclusive) of a row printed cell by cell from `lines[at]`: up to the last line
    within GATHER_LINES that comes back up to its height after lines below it, and the lines
    right after at heights the row's lines stood at (a later cell's wrapped lines); a line at
    a new height after the row came back up opens the next row. None when no line comes back
    up."""
    top = lines[at]
    if not top.placed or not top.cells:
        return None
    heights = [float(top.y or 0)]
    end = None
    for k in range(at + 1, min(len(lines), at + 1 + GATHER_LINES)):
        line = lines[k]
        y = float(line.y or 0)
        if not line.placed or y > heights[0] + SAME_LINE:
            break
        if abs(y - heights[0]) <= SAME_LINE:
            if len(heights) > 1:
                end = k + 1
        elif any(abs(y - h) <= SAME_LINE for h in heights):
            if end is not None:
                end = k + 1
        elif end is not None:
            break
        else:
            heights.append(y)
    return end


def _joined(lines: list[Line]) -> Line:
    """Lines standing at one height as one, their pieces left to right."""
    if len(lines) == 1:
        return lines[0]
    joined = _row_line(
        max(lines, key=lambda line: line.chars),
        sorted(cell for line in lines for cell in line.cells),
    )
    joined.bold = all(line.bold for line in lines)
    return joined
