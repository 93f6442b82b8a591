"""Two columns of prose a PDF prints line by line across the page (each line a piece of the
left column and one of the right), read column by column."""

from __future__ import annotations

from backend.documents.ingest.pdf_lines import COLUMN_SLACK, Line

# Two columns printed line by line: the second starts this far (points) from the left edge or
# more, on MIN_COLUMN_LINES lines in a row or more, within COLUMN_SLACK of one place; their
# halves hold COLUMN_MIN_WORDS words on average or more (prose, not pairs of labels).
COLUMN_AT = 100.0
MIN_COLUMN_LINES = 3
COLUMN_MIN_WORDS = 4


def by_column(lines: list[Line]) -> list[Line]:
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
