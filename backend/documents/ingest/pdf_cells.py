"""Where a PDF table's pieces stand and which of its lines are labels: a piece's column
(`in_columns`), a row that leaves columns empty (`leaving_empty`: a total under "Amount"), a
header over every column but the first (`heads_all_but_first`), a label alone over the last
column (`heads_last`), and a first column of labels beside their values (`labelled`: short
labels, labels that ask, or descriptions beside amounts)."""

from __future__ import annotations

import re

from backend.documents.ingest.headings import SENTENCE_END, closes
from backend.documents.ingest.pdf_lines import COLUMN_SLACK, Cells, labels_only, short_cells
from backend.documents.ingest.tables import wordy

_DIGIT = re.compile(r"\d")


def _stands_in(x: float, j: int, opens: list[float]) -> bool:
    """Whether a piece starting at `x` stands in column `j`: from the column's opening to the
    next's, or nearer its opening than any other's (a figure centred or set flush right starts
    a little before or after where the first row's did: "15:35" under a centred "—")."""
    bound = opens[j + 1] if j + 1 < len(opens) else float("inf")
    if opens[j] - COLUMN_SLACK <= x < bound - COLUMN_SLACK:
        return True
    nearer = (opens[j - 1] + opens[j]) / 2 if j > 0 else None
    farther = (opens[j] + bound) / 2 if j + 1 < len(opens) else float("inf")
    return nearer is not None and nearer <= x < farther


def in_columns(cells: Cells, opens: list[float]) -> bool:
    """Whether each piece stands in its column (`_stands_in`), one to a column."""
    return len(cells) == len(opens) and all(
        _stands_in(x, j, opens) for j, (x, _) in enumerate(cells)
    )


def leaving_empty(cells: Cells, opens: list[float]) -> list[int]:
    """The columns of a row that leaves some of three or more empty: two pieces or more, the
    first where the first column opens, each in a column after the one before ("Total before
    VAT" and "£92.74" under "Charge", "Calculation" and "Amount"); [] when the line is none."""
    if not 2 <= len(cells) < len(opens) or abs(cells[0][0] - opens[0]) > COLUMN_SLACK:
        return []
    columns: list[int] = []
    for x, _ in cells:
        column = next((j for j in range(len(opens)) if _stands_in(x, j, opens)), None)
        if column is None or (columns and column <= columns[-1]):
            return []
        columns.append(column)
    return columns


def heads_all_but_first(cells: Cells, opens: list[float]) -> bool:
    """Whether the line's pieces are labels (more letters than figures: "Q1 target") each
    standing in one of the columns after the first, one to a column."""
    return (
        len(opens) >= 3
        and in_columns(cells, opens[1:])
        and all(wordy(text) and short_cells([[text]]) for _, text in cells)
    )


def heads_last(cells: Cells, opens: list[float]) -> bool:
    """Whether the line is a label alone over the last of the columns opening at `opens`
    ("Amount" over the amounts, the descriptions' column unnamed)."""
    if len(cells) != 1:
        return False
    ((x, text),) = cells
    return (
        len(opens) >= 2
        and x >= (opens[-2] + opens[-1]) / 2
        and labels_only([text])
        and short_cells([[text]])
    )


_LETTERS = re.compile(r"[^\W\d_]{2}")


def labelled(rows: list[list[str]]) -> bool:
    """Every cell but the last column's a label, as short as a table's cells (`_short`), of
    words (a list's numbers are no labels: "1." beside an item) that end no sentence, though
    one may ask ("Power cut?" beside "Call 105 free of charge …"); the last column's cells are
    their values, of any length. Labels beside amounts may run longer (`_described_figures`)."""
    labels = [cell for row in rows for cell in row[:-1]]
    return (short_cells([labels]) or _described_figures(rows)) and all(
        _LETTERS.search(cell) and not closes(cell, _LABEL_ENDS) for cell in labels
    )


_LABEL_ENDS = "".join(mark for mark in SENTENCE_END if mark not in "?\uff1f") + ",;"
# A statement's lines: a description of a few words beside an amount ("Payments received –
# Direct Debit, 15 March 2026" beside "£95.00", "Balance on 31 March 2026" beside "£39.77 in
# credit").
MAX_DESCRIPTION_CHARS = 60
MAX_FIGURE_WORDS = 3


def _described_figures(rows: list[list[str]]) -> bool:
    """Two columns: descriptions no longer than a line of a narrow column beside values of a
    few words, each with a figure."""
    return all(
        len(row) == 2
        and len(row[0]) <= MAX_DESCRIPTION_CHARS
        and _DIGIT.search(row[1]) is not None
        and len(row[1].split()) <= MAX_FIGURE_WORDS
        for row in rows
    )
