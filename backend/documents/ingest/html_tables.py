"""An HTML table read cell by cell, its rows as `tables.table_row` writes them (`HtmlTable`),
and the tables that lay a web page out rather than hold data (`layout_tables`)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

from backend.documents.ingest.html_landmarks import BLOCK_TAGS, BOLD_TAGS
from backend.documents.ingest.tables import row_pieces, table_row

CELL_TAGS = frozenset({"td", "th"})


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
    for text, heads in row:
        if heads or not pieces:
            pieces.append([text, ""])
        elif text:
            pieces[-1][1] = f"{pieces[-1][1]}, {text}" if pieces[-1][1] else text
    written = [f"{name}: {value}" if value else name for name, value in pieces if name]
    line = "; ".join(row_pieces(written))
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
