"""HTML and Markdown to plain text: what a reader sees, blocks as paragraphs, a table's rows
as sentences named by its header."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from itertools import zip_longest

_SKIPPED_TAGS = frozenset(
    {"script", "style", "noscript", "template", "svg", "math", "iframe", "object", "canvas"}
)
_VOID_TAGS = frozenset("area base br col embed hr img input link meta source track wbr".split())
_BLOCK_TAGS = frozenset(
    """address article aside blockquote caption dd details dialog div dl dt fieldset figcaption
    figure footer form h1 h2 h3 h4 h5 h6 header hr li main nav ol p pre section summary table
    tbody tfoot thead title tr ul""".split()
)
_CELL_TAGS = frozenset({"td", "th"})
_WORD_CHAR = re.compile(r"[^\W_]")
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)


def table_row(cells: list[str], header: list[str] | None) -> str:
    """A table's row as a sentence that stands alone, each cell named by its column:
    "Day: Saturday; Departure: 10:30; Return: 19:05." Without a header, a two-cell row reads
    as a name and its value ("Population: 7,845."), a longer one as its cells in order."""
    if header:
        pairs = zip_longest(header, cells, fillvalue="")
        pieces = [f"{name}: {cell}" if name else cell for name, cell in pairs if cell]
    elif len(cells) == 2 and all(cells):
        pieces = [f"{cells[0]}: {cells[1]}"]
    else:
        pieces = [cell for cell in cells if cell]
    line = "; ".join(pieces)
    return line if not line or line[-1] in ".!?" else f"{line}."


@dataclass
class _Table:
    """An HTML table's rows as they are read, cell by cell (a nested table's text joins the
    cell that holds it)."""

    rows: list[list[tuple[str, bool]]] = field(default_factory=list)
    caption: list[str] = field(default_factory=list)
    cell: list[str] | None = None
    heads: bool = False  # the open cell is a header cell
    in_head: bool = False  # inside <thead>

    def start(self, tag: str) -> None:
        if tag == "tr":
            self.close_cell()
            self.rows.append([])
        elif tag in _CELL_TAGS:
            self.close_cell()
            if not self.rows:
                self.rows.append([])
            self.cell, self.heads = [], tag == "th" or self.in_head
        elif tag == "thead":
            self.in_head = True
        elif tag in _BLOCK_TAGS or tag == "br":
            self.text(" ")

    def end(self, tag: str) -> None:
        if tag in _CELL_TAGS or tag == "tr":
            self.close_cell()
        elif tag == "thead":
            self.in_head = False
        elif tag in _BLOCK_TAGS:
            self.text(" ")

    def text(self, data: str) -> None:
        (self.caption if self.cell is None else self.cell).append(data)

    def close_cell(self) -> None:
        if self.cell is not None:
            self.rows[-1].append((" ".join("".join(self.cell).split()), self.heads))
            self.cell = None

    def paragraphs(self) -> list[str]:
        """The caption, then each row but a header row, named by the header's cells."""
        self.close_cell()
        rows = [row for row in self.rows if any(text for text, _ in row)]
        header = None
        if len(rows) > 1 and all(heads for _, heads in rows[0]):
            header, rows = [text for text, _ in rows[0]], rows[1:]
        caption = " ".join("".join(self.caption).split())
        lines = [table_row([text for text, _ in row], header) for row in rows]
        return [caption, *lines] if caption else lines


class _VisibleText(HTMLParser):
    """Collects the text a browser would show; blocks become paragraph breaks. With
    `navigation` False, a site's menus (<nav>, role="navigation") are left out too."""

    def __init__(self, navigation: bool = False) -> None:
        super().__init__(convert_charrefs=True)
        self.navigation = navigation
        self.parts: list[str] = []
        self._skip_tag: str | None = None
        self._skip_depth = 0
        self._pre_depth = 0
        self._table: _Table | None = None
        self._table_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._skip_tag is not None:
            self._skip_depth += tag == self._skip_tag
        elif tag not in _VOID_TAGS and (
            tag in _SKIPPED_TAGS or _is_hidden(attrs) or self._is_menu(tag, attrs)
        ):
            self._skip_tag, self._skip_depth = tag, 1
        elif tag == "table" or self._table is not None:
            self._table_tag(tag)
        else:
            self._boundary(tag)
            self._pre_depth += tag == "pre"

    def _table_tag(self, tag: str) -> None:
        if tag == "table":
            self._table_depth += 1
        if self._table is None:
            self._table = _Table()
        elif self._table_depth == 1:
            self._table.start(tag)
        else:
            self._table.text(" ")

    def _is_menu(self, tag: str, attrs: list[tuple[str, str | None]]) -> bool:
        return not self.navigation and (tag == "nav" or dict(attrs).get("role") == "navigation")

    def handle_endtag(self, tag: str) -> None:
        if self._skip_tag is not None:
            self._skip_depth -= tag == self._skip_tag
            if self._skip_depth == 0:
                self._skip_tag = None
            return
        if self._table is not None:
            if tag == "table":
                self._table_depth -= 1
                if self._table_depth == 0:
                    self.flush_table()
            elif self._table_depth == 1:
                self._table.end(tag)
            return
        self._boundary(tag)
        if tag == "pre" and self._pre_depth:
            self._pre_depth -= 1

    def flush_table(self) -> None:
        """The open table's rows, each a paragraph."""
        if self._table is not None:
            self.parts.append("\n\n" + "\n\n".join(self._table.paragraphs()) + "\n\n")
            self._table, self._table_depth = None, 0

    def handle_data(self, data: str) -> None:
        if self._table is not None and self._skip_tag is None:
            self._table.text(re.sub(r"\s+", " ", data))
        elif self._skip_tag is None:
            # Preformatted lines (code) each stand alone, as in Markdown's fenced blocks.
            self.parts.append(
                data.replace("\n", "\n\n") if self._pre_depth else re.sub(r"\s+", " ", data)
            )

    def _boundary(self, tag: str) -> None:
        if tag in _BLOCK_TAGS:
            self.parts.append("\n\n")
        elif tag == "br":
            self.parts.append("\n")
        elif tag in _CELL_TAGS:
            self.parts.append("\t")


def _is_hidden(attrs: list[tuple[str, str | None]]) -> bool:
    """Elements marked hidden, aria-hidden or display:none are not visible text."""
    values = dict(attrs)
    return (
        "hidden" in values
        or values.get("aria-hidden") == "true"
        or bool(_HIDDEN_STYLE.search(values.get("style") or ""))
    )


def html_to_text(html: str) -> str:
    """Visible text of an HTML document (title included; script, style, head metadata and
    the site's menus not, unless the page is nothing but a menu)."""
    for navigation in (False, True):
        parser = _VisibleText(navigation)
        parser.feed(html)
        parser.close()
        parser.flush_table()  # a table left open at the end
        text = "".join(parser.parts)
        if _WORD_CHAR.search(text):
            break
    return text


# Patterns below are linear in the line, or bounded per match: possessive quantifiers where giving
# back can never help, and a longest span for emphasis, links and tags, so a crafted line of
# openers without closers costs a bounded scan per opener, not one to the end of the line.
_SPAN = 500
_URL = 2000
_FRONT_MATTER = re.compile(
    r"\A(?:---\n.*?\n(?:---|\.\.\.)|\+\+\+\n.*?\n\+\+\+)[ \t]*(?:\n|\Z)", re.DOTALL
)
_FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
_ATX_HEADING = re.compile(r"^\s{0,3}#{1,6}(?:\s+|$)(.*?)(?:\s+#+)?\s*$")
_RULE_OR_UNDERLINE = re.compile(r"^\s{0,3}(?:=+|-+|(?:[-*_]\s*){3,})\s*$")
_SETEXT_UNDERLINE = re.compile(r"^\s{0,3}(?:=+|-+)\s*$")
_REFERENCE_DEF = re.compile(r"^\s{0,3}\[[^\]]+\]:\s+\S+.*$")
_TABLE_SEPARATOR = re.compile(r"^\s*+\|?\s*+:?-++:?\s*+(?:\|\s*+:?-++:?\s*+)*+\|?\s*+$")
_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d{1,9}[.)])\s+(?:\[[ xX]\]\s+)?")
_BLOCKQUOTE = re.compile(r"^\s*(?:>\s?)+")
_CODE_SPAN = re.compile(r"(`+)(.+?)\1")
_INLINE_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(rf"!\[[^\]]{{0,{_SPAN}}}+\](?:\([^)]{{0,{_URL}}}+\)|\[[^\]]{{0,{_SPAN}}}+\])"), ""),
    (
        re.compile(rf"\[([^\]]{{1,{_SPAN}}}+)\](?:\([^)]{{0,{_URL}}}+\)|\[[^\]]{{0,{_SPAN}}}+\])"),
        r"\1",
    ),
    (re.compile(rf"<((?:https?|mailto):[^>\s]{{1,{_URL}}}+)>"), r"\1"),
    (re.compile(rf"</?[a-zA-Z][^>]{{0,{_URL}}}+>"), ""),
    (re.compile(rf"(\*\*|__)(?=\S)(.{{1,{_SPAN}}}?)(?<=\S)\1"), r"\2"),
    (re.compile(rf"\*(?=\S)(.{{1,{_SPAN}}}?)(?<=\S)\*"), r"\1"),
    (re.compile(rf"(?<!\w)_(?=\S)(.{{1,{_SPAN}}}?)(?<=\S)_(?!\w)"), r"\1"),
    (re.compile(rf"~~(?=\S)(.{{1,{_SPAN}}}?)(?<=\S)~~"), r"\1"),
    (re.compile(r"\\([\\`*_{}\[\]()#+\-.!|>~])"), r"\1"),
)


def markdown_to_text(markdown: str) -> str:
    """Plain text of a Markdown document: markup removed, link and code text kept, a table's
    rows as sentences named by its header (`table_row`)."""
    text = markdown.replace("\r\n", "\n").replace("\r", "\n")
    text = _without_comments(_FRONT_MATTER.sub("", text))
    out: list[str] = []
    fence: str | None = None
    table = _MarkdownTable()
    for line in text.split("\n"):
        marker = _FENCE.match(line)
        if fence is None and table.takes(line):
            continue
        out.extend(table.flush())
        if fence is not None:
            if marker and marker.group(1)[0] == fence[0] and len(marker.group(1)) >= len(fence):
                fence = None
                out.append("")
            else:
                # Each line of code stands alone: joined as wrapped prose, a block of commands
                # would read as one long sentence.
                out.extend((line, ""))
        elif marker:
            fence = marker.group(1)
            out.append("")
        elif _SETEXT_UNDERLINE.match(line) and out and out[-1]:
            out[-1:] = ["", out[-1], ""]
        else:
            out.extend(_markdown_line(line))
    out.extend(table.flush())
    return "\n".join(out)


class _MarkdownTable:
    """The rows of the pipe table being read; the row above the |---| line is its header."""

    def __init__(self) -> None:
        self.rows: list[list[str]] = []
        self.header: list[str] | None = None

    def takes(self, line: str) -> bool:
        """Whether the line belongs to a table (and is kept here until the table ends)."""
        if "|" in line and _TABLE_SEPARATOR.match(line):
            if self.rows and self.header is None:
                self.header = self.rows.pop()
            return True
        if line.lstrip().startswith("|"):
            cells = re.split(r"(?<!\\)\|", line.strip().strip("|"))
            self.rows.append([_inline(cell.strip()) for cell in cells])
            return True
        return False

    def flush(self) -> list[str]:
        """The finished table's rows, each a paragraph; nothing when no table was open."""
        if not self.rows:
            self.header = None
            return []
        lines = [table_row(row, self.header) for row in self.rows]
        self.rows, self.header = [], None
        return ["", *(part for line in lines for part in (line, "")), ""]


def _without_comments(text: str) -> str:
    """The text without <!-- ... --> comments (an unclosed one is left as it is), in one pass."""
    parts = []
    position = 0
    while (start := text.find("<!--", position)) >= 0:
        end = text.find("-->", start + 4)
        if end < 0:
            break
        parts.append(text[position:start])
        position = end + 3
    parts.append(text[position:])
    return "".join(parts)


def _markdown_line(line: str) -> list[str]:
    """One non-code Markdown line as plain-text lines ('' marks a paragraph break)."""
    if _RULE_OR_UNDERLINE.match(line) or _REFERENCE_DEF.match(line):
        return [""]
    line = _BLOCKQUOTE.sub("", line)
    heading = _ATX_HEADING.match(line)
    if heading:
        return ["", _inline(heading.group(1)), ""]
    item = _LIST_ITEM.match(line)
    if item:
        return ["", _inline(line[item.end() :])]
    return [_inline(line)]


def _inline(text: str) -> str:
    """Strip inline Markdown (links, images, emphasis), leaving code spans' text untouched."""
    pieces = []
    last = 0
    for code in _CODE_SPAN.finditer(text):
        pieces.append(_strip_inline(text[last : code.start()]))
        pieces.append(code.group(2).strip())
        last = code.end()
    pieces.append(_strip_inline(text[last:]))
    return "".join(pieces)


def _strip_inline(text: str) -> str:
    for pattern, replacement in _INLINE_RULES:
        text = pattern.sub(replacement, text)
    return text
