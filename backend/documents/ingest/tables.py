"""Tables in extracted text: a row read as a sentence that names each cell by its column
(`table_row`, for HTML's, Markdown's, a PDF's and plain text's tables alike), the header told
from the rows (`header_and_rows`), an HTML table read cell by cell (`HtmlTable`), and the
tables that lay a web page out rather than hold data (`layout_tables`)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from html.parser import HTMLParser
from itertools import zip_longest

from backend.documents.ingest.headings import SENTENCE_END, closes
from backend.documents.ingest.html_landmarks import BLOCK_TAGS, BOLD_TAGS

CELL_TAGS = frozenset({"td", "th"})
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


def in_row(cell: str) -> str:
    """A cell's text as a row of several cells writes it: its own semicolons become commas
    ("6-in-1 vaccine, MenB, rotavirus"), so the row's "; " only ever parts its cells."""
    return cell.replace("; ", ", ")


def _parted(pieces: list[str]) -> list[str]:
    """A row's pieces as written: with more than one, their own semicolons as commas (a
    lone name and value, "Fri 14 Feb: Non-uniform day; school closes at 3:15 pm", keeps its
    text as it is)."""
    return [in_row(piece) for piece in pieces] if len(pieces) > 1 else pieces


def table_row(cells: list[str], header: list[str] | None) -> str:
    """A table's row as a sentence that stands alone, each cell named by its column:
    "Day: Saturday; Departure: 10:30; Return: 19:05." Without a header, a two-cell row reads
    as a name and its value ("Population: 7,845."), a longer one as its cells in order."""
    if header:
        pairs = [(name, cell) for name, cell in zip_longest(header, cells, fillvalue="") if cell]
        values = _parted([cell for _, cell in pairs])
        pieces = [
            f"{_named(name)} {value}" if name else value
            for (name, _), value in zip(pairs, values, strict=True)
        ]
    elif len(cells) == 2 and all(cells):
        pieces = [f"{_named(cells[0])} {cells[1]}"]
    else:
        pieces = _parted([cell for cell in cells if cell])
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


@dataclass
class HtmlTable:
    """An HTML table's rows as they are read, cell by cell (a nested table's text joins the
    cell that holds it)."""

    rows: list[list[tuple[str, bool]]] = field(default_factory=list)
    caption: list[str] = field(default_factory=list)
    cell: list[str] | None = None
    heads: bool = False  # the open cell is a header cell
    in_head: bool = False  # inside <thead>
    # A cell whose words are all bold heads its column as a <th> does (a word processor's
    # table sets its header row in bold): how deep in <b>/<strong> the text is, and whether
    # the open cell has words outside them.
    bold: int = 0
    plain: bool = False

    def start(self, tag: str) -> None:
        if tag == "tr":
            self.close_cell()
            self.rows.append([])
        elif tag in CELL_TAGS:
            self.close_cell()
            if not self.rows:
                self.rows.append([])
            self.cell, self.heads, self.plain = [], tag == "th" or self.in_head, False
        elif tag == "thead":
            self.in_head = True
        elif tag in BOLD_TAGS:
            self.bold += 1
        elif tag in BLOCK_TAGS or tag == "br":
            self.text(" ")

    def end(self, tag: str) -> None:
        if tag in CELL_TAGS or tag == "tr":
            self.close_cell()
        elif tag == "thead":
            self.in_head = False
        elif tag in BOLD_TAGS:
            self.bold = max(0, self.bold - 1)
        elif tag in BLOCK_TAGS:
            self.text(" ")

    def text(self, data: str) -> None:
        if self.cell is not None and not self.bold and data.strip():
            self.plain = True
        (self.caption if self.cell is None else self.cell).append(data)

    def close_cell(self) -> None:
        if self.cell is not None:
            words = " ".join("".join(self.cell).split())
            bold = bool(words) and not self.plain
            self.rows[-1].append((words, self.heads or bold))
            self.cell = None

    def paragraphs(self) -> list[str]:
        """The caption, then each row but a header row, named by the header's cells. A first
        row of one header cell over wider rows (an infobox's "Lake Orvel") titles the table,
        as a caption does; it names no column."""
        self.close_cell()
        rows = [row for row in self.rows if any(text for text, _ in row)]
        titles = [" ".join("".join(self.caption).split())]
        if len(rows) > 1 and len(rows[0]) == 1 and rows[0][0][1] and max(map(len, rows)) > 1:
            titles.append(rows[0][0][0])
            rows = rows[1:]
        header = None
        if len(rows) > 1 and all(heads for _, heads in rows[0]):
            header, rows = [text for text, _ in rows[0]], rows[1:]
        lines = [
            _named_by_row(row) if header is None and row[0][1] else
            table_row([text for text, _ in row], header)
            for row in rows
        ]  # fmt: skip
        return [title for title in titles if title] + lines


def _named_by_row(row: list[tuple[str, bool]]) -> str:
    """A row whose header cells name the cells after them ("<th>Prep Time</th><td>20
    mins</td><th>Cook Time</th><td>55 mins</td>"): "Prep Time: 20 mins; Cook Time: 55
    mins."."""
    pieces: list[list[str]] = []
    several = sum(heads for _, heads in row) > 1
    for cell, heads in row:
        text = in_row(cell) if several else cell
        if heads or not pieces:
            pieces.append([text, ""])
        elif text:
            pieces[-1][1] = f"{pieces[-1][1]}, {text}" if pieces[-1][1] else text
    line = "; ".join(f"{name}: {value}" if value else name for name, value in pieces if name)
    return line if not line or line[-1] in ".!?" else f"{line}."


# A table whose cells hold these is laid out with, not a table of data.
_LAYOUT_BLOCKS = frozenset("h1 h2 h3 h4 h5 h6 ul ol blockquote pre form".split())
# ... or a cell of more than this many characters or paragraphs (a word processor's table may
# set a cell's text in two paragraphs, or a long description in one).
_LAYOUT_CELL_CHARS = 1000
_LAYOUT_CELL_PARAGRAPHS = 3
_HAS_TABLE = re.compile(r"<table\b", re.IGNORECASE)


def layout_tables(html: str) -> frozenset[int]:
    """Which of the page's tables (numbered in the order they open, from 0) lay out the page
    rather than hold data: a cell holds a heading, a list, _LAYOUT_CELL_PARAGRAPHS paragraphs
    or more, or more than _LAYOUT_CELL_CHARS characters (an old site's columns, a mail's
    layout). A table in a cell alone does not say so: a data table's cell may hold a small
    one."""
    if not _HAS_TABLE.search(html):
        return frozenset()
    kinds = _TableKinds()
    try:
        kinds.feed(html)
        kinds.close()
    except (AssertionError, ValueError):
        return frozenset()
    return frozenset(kinds.layout)


class _TableKinds(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.layout: set[int] = set()
        self._open: list[int] = []  # the tables open, innermost last
        self._count = 0
        self._paragraphs = 0  # in the cell being read
        self._chars = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self._open.append(self._count)
            self._count += 1
        elif not self._open:
            return
        elif tag in ("td", "th"):
            self._paragraphs = self._chars = 0
        elif tag in _LAYOUT_BLOCKS:
            self.layout.add(self._open[-1])
        elif tag == "p":
            self._paragraphs += 1
            if self._paragraphs >= _LAYOUT_CELL_PARAGRAPHS:
                self.layout.add(self._open[-1])

    def handle_endtag(self, tag: str) -> None:
        if tag == "table" and self._open:
            self._open.pop()

    def handle_data(self, data: str) -> None:
        if self._open:
            self._chars += len(data.strip())
            if self._chars > _LAYOUT_CELL_CHARS:
                self.layout.add(self._open[-1])
