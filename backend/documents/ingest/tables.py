"""Tables in extracted text: a row read as a sentence that names each cell by its column
(`table_row`, for HTML's, Markdown's, a PDF's and plain text's tables alike; `row_pieces`
parts any row's pieces) and the header told from the rows (`header_and_rows`). An HTML
table read cell by cell, and the tables that lay a web page out: `html_tables`."""

from __future__ import annotations

import re
from collections.abc import Sequence
from itertools import zip_longest

from backend.documents.ingest.headings import SENTENCE_END, closes

_DIGIT = re.compile(r"\d")
# A header's cells name columns in a few words; values longer on average are not under one.
_HEADER_WORDS = 4


def header_and_rows(rows: Sequence[list[str]]) -> tuple[list[str] | None, list[list[str]]]:
    """A table's header and its other rows, as text without markup says it: the first row is
    the header when none of its cells holds a figure ("Drink  Small  Large" over "Espresso
    2.10  2.60"), or when its cells are words (figures and all: "7-bit address (hex)") and
    below one of them stand figures only, two or more ("0x48", "0x49"), or cells each with a
    figure under a label without one (`_labels`). A box of labels and their values is headed
    by none of its pairs, unless figures alone stand under the first row's value ("Drink" and
    "Price" over "Espresso" and "2.10")."""
    if not rows or _values_of_labels(rows):
        headed = False
    elif _pairs_of_labels(rows):
        headed = _labels(rows, figures_only=True)
    else:
        headed = not any(_DIGIT.search(cell) for cell in rows[0]) or _labels(rows)
    if headed:
        return list(rows[0]), [list(row) for row in rows[1:]]
    return None, [list(row) for row in rows]


def _values_of_labels(rows: Sequence[list[str]]) -> bool:
    """Two columns, the first of words, the second of values running long: a box of labels
    and their values ("Instructor" beside "Dr. Marisol Echeverría-Hunt"), headed by none of
    its rows (a numbered list of parts under "No." and "Part" is headed)."""
    if any(len(row) != 2 or not wordy(row[0]) for row in rows):
        return False
    return sum(len(row[1].split()) for row in rows) > _HEADER_WORDS * len(rows)


def _pairs_of_labels(rows: Sequence[list[str]]) -> bool:
    """Two columns, the first of words down to the last row: a box of labels and their
    values ("Account name" beside "MR M J BELL", "Sort code" beside "40-17-62")."""
    return len(rows) >= 3 and all(len(row) == 2 and wordy(row[0]) for row in rows)


def _labels(rows: Sequence[list[str]], *, figures_only: bool = False) -> bool:
    """The first row's cells are words, and below one of them stand figures only, or (unless
    `figures_only`) below one without a figure stand cells that each hold one ("Age of child"
    over "6–11 months" and "1–3 years", beside "How often in 24 hours")."""
    first, body = rows[0], rows[1:]
    if len(body) < 2 or not all(_labelling(cell) for cell in first if cell):
        return False
    return any(
        wordy(label) and all(len(row) > k and _under(label, row[k], figures_only) for row in body)
        for k, label in enumerate(first)
    )


def _under(label: str, cell: str, figures_only: bool) -> bool:
    """Whether `cell` is a value `label` names by its kind: a figure, or (not `figures_only`)
    a cell with a figure under a label without one."""
    if _figure(cell):
        return True
    return not figures_only and not _DIGIT.search(label) and bool(_DIGIT.search(cell))


def _figure(cell: str) -> bool:
    """A value more figures than letters ("0x48", "6.1 L", "12%")."""
    return bool(_DIGIT.search(cell)) and not wordy(cell)


def wordy(cell: str) -> bool:
    """More letters than figures, as labels have ("Junior (4–16)", "Q3 2024")."""
    return sum(c.isalpha() for c in cell) > sum(c.isdigit() for c in cell)


# A header's label may carry a period's figures ("Charge 2026/27 (£)"): a word names it.
_LABEL_WORD = re.compile(r"[^\W\d_]{3}")


def _labelling(cell: str) -> bool:
    """Whether a cell may be a header's label: words, or a word with figures after it."""
    return wordy(cell) or bool(_LABEL_WORD.match(cell))


_PAIR_LETTERS = re.compile(r"[^\W\d_]{2}")
# A label is a few words: "Serial no.", "Year installed", "Time on site".
_LABEL_WORDS = 4
_ABBREVIATED = re.compile(r"\b[A-Za-z]{1,4}\.$")


def label_pairs(rows: list[list[str]]) -> bool:
    """A box of labels each beside its value, two pairs or more to a row (a report's
    "Appliance | Worcester Bosch Greenstar 30i | Serial no. | 47-311-71"): rows of an even
    number of cells, four or more, every other cell from the first a label (a few words, no
    figure, ending no sentence: an abbreviation's stop aside), and a figure among the values."""
    if len(rows) < 2 or any(len(row) < 4 or len(row) % 2 for row in rows):
        return False
    labels = [cell for row in rows for cell in row[::2]]
    values = [cell for row in rows for cell in row[1::2]]
    return all(_pair_label(cell) for cell in labels) and any(_DIGIT.search(v) for v in values)


def _pair_label(cell: str) -> bool:
    bare = cell[:-1] if _ABBREVIATED.search(cell) else cell
    return (
        0 < len(bare.split()) <= _LABEL_WORDS
        and _PAIR_LETTERS.search(bare) is not None
        and not _DIGIT.search(bare)
        and not closes(bare, SENTENCE_END + ",;")
    )


def row_pieces(pieces: list[str]) -> list[str]:
    """A row's pieces ("Name: value", or a cell) as a row writes them: with more than one,
    a piece's own semicolons become commas ("Vaccine given: 6-in-1 vaccine, MenB,
    rotavirus"), so the row's "; " only ever parts its pieces; a lone name and value ("Fri 14
    Feb: Non-uniform day; school closes at 3:15 pm") keeps its text as it is."""
    return [piece.replace("; ", ", ") for piece in pieces] if len(pieces) > 1 else pieces


def table_row(cells: list[str], header: list[str] | None) -> str:
    """A table's row as a sentence that stands alone, each cell named by its column:
    "Day: Saturday; Departure: 10:30; Return: 19:05." Without a header, a two-cell row reads
    as a name and its value ("Population: 7,845."), a longer one as its cells in order."""
    if header:
        pairs = zip_longest(header, cells, fillvalue="")
        pieces = [f"{_named(name)} {cell}" if name else cell for name, cell in pairs if cell]
    elif len(cells) == 2 and all(cells):
        pieces = [f"{_named(cells[0])} {cells[1]}"]
    else:
        pieces = [cell for cell in cells if cell]
    pieces = row_pieces(pieces)
    # A cell's closing full stop gives way to the semicolon after it ("Problem: Coffee is
    # too weak; Possible cause: …").
    line = "; ".join(
        piece[:-1] if piece.endswith(".") and not piece.endswith("..") and k < len(pieces) - 1
        else piece
        for k, piece in enumerate(pieces)
    )  # fmt: skip
    return line if not line or line[-1] in ".!?" else f"{line}."


def _named(label: str) -> str:
    """A label with its colon ("How to pay:" keeps its own, "Power cut?" asks)."""
    return label if label.endswith((":", "?")) else f"{label}:"
