"""HTML to plain text: what a reader sees, blocks as paragraphs, headings marked with their
level as in Markdown ("## Returns": see `headings`), a table's rows as sentences named by its
header (`table_row`, which Markdown's tables share)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from backend.documents.ingest.headings import CLOSING_PUNCTUATION, closes, escape_marks
from backend.documents.ingest.html_footer import with_footer
from backend.documents.ingest.html_landmarks import (
    BLOCK_TAGS,
    BOLD_TAGS,
    SKIPPED_TAGS,
    VOID_TAGS,
    main_content,
    site_part,
    without_repeated_title,
)
from backend.documents.ingest.html_tables import CELL_TAGS, HtmlTable, layout_tables

# Leaving out what the site's parts are named keeps at least this share of the page's letters.
KEPT_SHARE = 0.2
# A heading's level; the page's <title> is the first heading of its text.
_HEADING_LEVELS = {"title": 1, **{f"h{level}": level for level in range(1, 7)}}
# Put before a heading's marks ("## Returns") until the text is whole, so that escaping the
# lines that only look like headings (`escape_marks`) leaves them be; then taken out.
_OPENS = "\x01"
# How a list's unnumbered item opens in the text, whatever bullet the document used.
BULLET = "\u2022 "
# How an item of a list inside another list's item opens: it belongs to the item above it.
SUB_BULLET = "\u25e6 "
_WORD_CHAR = re.compile(r"[^\W_]")
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)


# What of a page's own parts is left out (`_VisibleText._is_menu`): its menus, banner, footer,
# sidebars and notices; its menus only; nothing.
SITE, MENUS, NOTHING = "site", "menus", "nothing"


class _VisibleText(HTMLParser):
    """Collects the text a browser would show; blocks become paragraph breaks. `leave_out`
    says which of the site's own parts are left out too (`_is_menu`)."""

    def __init__(self, leave_out: str = SITE, layout: frozenset[int] = frozenset()) -> None:
        super().__init__(convert_charrefs=True)
        self.leave_out = leave_out
        # The tables that lay out the page (`layout_tables`): their cells read as blocks.
        self.layout = layout
        self._tables_seen = 0
        self._layouts_open = 0
        self.parts: list[str] = []
        self._skip_tag: str | None = None
        self._skip_depth = 0
        # Whether the part being skipped is the site's by its name (not a menu, script …),
        # and how many letters such parts held.
        self._site_part = False
        self.site_letters = 0
        self._pre_depth = 0
        self._table: HtmlTable | None = None
        self._table_depth = 0
        # A definition list's term just closed: its definition reads on from it.
        self._term = False
        # The open lists, innermost last: the last number given (ordered) or None (bullets).
        self._lists: list[int | None] = []
        # The level of a heading opened whose words have not come yet, and of the last one
        # opened (a disclosure's <summary> heads its answer a level below it).
        self._heading: int | None = None
        self._level = 1
        # Where the bold text being read began in `parts`, and where a bold text that just
        # closed began and ended: a label, when another element follows it at once.
        self._bold_at: int | None = None
        self._bold_read: tuple[int, int] | None = None
        self._quotes = 0  # blockquotes open

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._label_before(tag)
        laid_out = False
        if tag == "table":
            laid_out = self._tables_seen in self.layout
            self._tables_seen += 1
        if self._skip_tag is not None:
            self._skip_depth += tag == self._skip_tag
        elif tag not in VOID_TAGS and (
            tag in SKIPPED_TAGS or _is_hidden(attrs) or self._is_menu(tag, attrs)
        ):
            self._skip_tag, self._skip_depth = tag, 1
            self._site_part = site_part(tag, attrs)
        elif laid_out and self._table is None:
            self._layouts_open += 1
            self._boundary(tag)
        elif tag == "table" or self._table is not None:
            self._table_tag(tag)
        else:
            self._boundary(tag)
            self._quotes += tag == "blockquote"
            self._pre_depth += tag == "pre"
            self._list_tag(tag, attrs)
            if tag in BOLD_TAGS and self._bold_at is None:
                self._bold_at = len(self.parts)
            if tag in _HEADING_LEVELS:
                # Marked where its first words come (a heading may wrap them in a block).
                self._heading = self._level = _HEADING_LEVELS[tag]
            elif tag == "summary":
                # An FAQ's question in a <details> disclosure titles the answer it opens.
                self._heading = min(self._level + 1, 6)

    def _list_tag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """An item opens with its number or a bullet: it tells a list's items from prose."""
        if tag in ("ol", "ul"):
            start = dict(attrs).get("start") or ""
            first = int(start) - 1 if tag == "ol" and start.isdigit() else 0
            self._lists.append(first if tag == "ol" else None)
        elif tag == "li":
            number = self._lists[-1] if self._lists else None
            if number is None:
                self.parts.append(SUB_BULLET if len(self._lists) > 1 else BULLET)
            else:
                self._lists[-1] = number + 1
                self.parts.append(f"{number + 1}. ")

    def _table_tag(self, tag: str) -> None:
        if tag == "table":
            self._table_depth += 1
        if self._table is None:
            self._table = HtmlTable()
        elif self._table_depth == 1:
            self._table.start(tag)
        else:
            self._table.text(" ")

    def _is_menu(self, tag: str, attrs: list[tuple[str, str | None]]) -> bool:
        """The site's own parts: its menus, banner, search and footer, by their element, their
        landmark role or the words of their id and class ("site-footer", "sidebar")."""
        if self.leave_out == NOTHING:
            return False
        if tag == "nav" or ("role", "navigation") in attrs:
            return True
        return self.leave_out == SITE and site_part(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        self._bold_read = None  # a label is followed at once, or not at all
        if tag in VOID_TAGS:
            return  # "<br/>" ends nothing: one line break, as "<br>" gives
        if self._skip_tag is not None:
            self._skip_depth -= tag == self._skip_tag
            if self._skip_depth == 0:
                self._skip_tag = None
            return
        if tag == "table" and self._table is None and self._layouts_open:
            self._layouts_open -= 1
        if self._table is not None:
            if tag == "table":
                self._table_depth -= 1
                if self._table_depth == 0:
                    self.flush_table()
            elif self._table_depth == 1:
                self._table.end(tag)
            return
        self._boundary(tag)
        self._quotes -= tag == "blockquote" and self._quotes > 0
        if tag in BOLD_TAGS and self._bold_at is not None:
            self._bold_read, self._bold_at = (self._bold_at, len(self.parts)), None
            return
        if tag in _HEADING_LEVELS or tag == "summary":
            self._heading = None  # an empty heading leaves no mark
        if tag == "pre" and self._pre_depth:
            self._pre_depth -= 1
        if tag in ("ol", "ul") and self._lists:
            self._lists.pop()

    def flush_table(self) -> None:
        """The open table's rows, each a paragraph."""
        if self._table is not None:
            self.parts.append("\n\n" + "\n\n".join(self._table.paragraphs()) + "\n\n")
            self._table, self._table_depth = None, 0

    def _label_before(self, tag: str) -> None:
        """A bold label set flush against the element that holds its value, as a fact box
        sets them side by side ("<strong>Location</strong><span>Manchester</span>"): it read
        "LocationManchester"; it reads "Location: Manchester", a line of its own."""
        read, self._bold_read = self._bold_read, None
        if read is None or tag in BLOCK_TAGS or tag in VOID_TAGS or self._table is not None:
            return
        start, end = read
        label = "".join(self.parts[start:end]).strip()
        if end != len(self.parts) or not label or len(label) > _LABEL_CHARS:
            return
        if closes(label, _STOPS):
            return
        # The text before the label, back to its last character (not the whole page: a page
        # of many labels would read its text again for each).
        earlier = (self.parts[k] for k in range(start - 1, -1, -1))
        before = next((p.rstrip(" ") for p in earlier if p.strip(" ")), "")
        if before and not before.endswith("\n"):
            self.parts.insert(start, "\n")
        self.parts.append(": ")

    def handle_data(self, data: str) -> None:
        self._bold_read = None
        if self._skip_tag is not None and self._site_part:
            self.site_letters += len(_WORD_CHAR.findall(data))
        if self._table is not None and self._skip_tag is None:
            self._table.text(re.sub(r"\s+", " ", data))
        elif self._skip_tag is None:
            self._term = self._term and not data.strip()
            if self._heading is not None and data.strip():
                self.parts.append(f"{_OPENS}{'#' * self._heading} ")
                self._heading = None
            # Preformatted lines (code) each stand alone, as in Markdown's fenced blocks.
            self.parts.append(
                data.replace("\n", "\n\n") if self._pre_depth else re.sub(r"\s+", " ", data)
            )

    def _boundary(self, tag: str) -> None:
        term, self._term = self._term, False
        if tag == "dd" and term:
            # "Late return: 20 pence a day": a definition is one sentence with its term.
            while self.parts and not self.parts[-1].strip():
                self.parts.pop()
            if self.parts:
                self.parts[-1] = self.parts[-1].rstrip().removesuffix(":") + ": "
        elif tag in BLOCK_TAGS or (tag == "cite" and self._quotes):
            # A quotation's <cite> ("MargaretH wrote: ↑ Mon Jan 05, 2026 9:14 pm") is a
            # line of its own, not the start of the words quoted.
            self.parts.append("\n\n")
            self._term = tag == "dt"
        elif tag == "br":
            self.parts.append("\n")
        elif tag in CELL_TAGS:
            # A layout table's cells are the page's columns: blocks of their own.
            self.parts.append("\n\n" if self._layouts_open else "\t")


_LABEL_CHARS = 40
_STOPS = f"{CLOSING_PUNCTUATION},"  # a label ends with none: "Location", not "Note:"


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
    the site's menus not, unless the page is nothing but a menu). A page that names its main
    content (<main>, or a single <article>) is read from there: its banner, sidebars and
    footer ("Most read", "© 2026 …") are the site's, not the document's; what the footer
    says of the place (its address, telephone, hours) is read after it."""
    text = ""
    for source in (main_content(html), html):
        if source is None:
            continue
        layout = layout_tables(source)
        text, left_out = _visible(source, SITE, layout)
        # A name that only looks like the site's ("has-sidebar" on the element holding the
        # whole page) would leave out most of it: then only the menus are.
        kept = len(_WORD_CHAR.findall(text)) if left_out else 0
        if left_out and kept < KEPT_SHARE * (kept + left_out):
            text = _visible(source, MENUS, layout)[0]
        if not _WORD_CHAR.search(text):
            text = _visible(source, NOTHING, layout)[0]
        if _WORD_CHAR.search(text):
            return with_footer(text, html)
    return text


def _visible(source: str, leave_out: str, layout: frozenset[int]) -> tuple[str, int]:
    """The page's visible text, and the letters of the parts left out as the site's."""
    parser = _VisibleText(leave_out, layout)
    parser.feed(source)
    parser.close()
    parser.flush_table()  # a table left open at the end
    text = escape_marks("".join(parser.parts)).replace(_OPENS, "")
    return without_repeated_title(_EMPTY_ITEM.sub("", text)), parser.site_letters


# A list's item with no text (a gallery's thumbnails, a carousel's dots): its bullet alone.
_EMPTY_ITEM = re.compile(rf"^[ \t]*[{BULLET[0]}{SUB_BULLET[0]}][ \t]*$", re.MULTILINE)
