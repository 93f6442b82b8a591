"""Markdown to plain text: markup removed but headings' marks ("## Returns", a setext heading
written so too: see `headings`), link and code text kept, a pipe table's rows as sentences named
by its header."""

from __future__ import annotations

import re

from backend.documents.ingest.headings import escape_marks
from backend.documents.ingest.html_text import BULLET, SUB_BULLET
from backend.documents.ingest.tables import table_row

# Patterns below are linear in the line, or bounded per match: possessive quantifiers where giving
# back can never help, and a longest span for emphasis, links and tags, so a crafted line of
# openers without closers costs a bounded scan per opener, not one to the end of the line.
_SPAN = 500
_URL = 2000
_FRONT_MATTER = re.compile(
    r"\A(?:---\n.*?\n(?:---|\.\.\.)|\+\+\+\n.*?\n\+\+\+)[ \t]*(?:\n|\Z)", re.DOTALL
)
_FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
_ATX_HEADING = re.compile(r"^\s{0,3}(#{1,6})(?:\s+|$)(.*?)(?:\s+#+)?\s*$")
_RULE_OR_UNDERLINE = re.compile(r"^\s{0,3}(?:=+|-+|(?:[-*_]\s*){3,})\s*$")
_SETEXT_UNDERLINE = re.compile(r"^\s{0,3}(?:=+|-+)\s*$")
_REFERENCE_DEF = re.compile(r"^\s{0,3}\[[^\]]+\]:\s+\S+.*$")
_TABLE_SEPARATOR = re.compile(r"^\s*+\|?\s*+:?-++:?\s*+(?:\|\s*+:?-++:?\s*+)*+\|?\s*+$")
_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d{1,9}[.)])\s+(?:\[[ xX]\]\s+)?")
_ITEM_NUMBER = re.compile(r"^\s*(\d{1,9})[.)]")
_HARD_BREAK = re.compile(r"(?<!\\)\\$")
# An item indented this much or more is inside the item above it (a nested list).
_NESTED_INDENT = 2
_BOLD_LINE = re.compile(rf"\s{{0,3}}(\*\*|__)(?=\S)[^*_\n]{{1,{_SPAN}}}(?<=\S)\1\s*")
_LOWEST_HEADING = "######"
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
    lines = text.split("\n")
    for at, line in enumerate(lines):
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
                out.extend((escape_marks(line), ""))
        elif marker:
            fence = marker.group(1)
            out.append("")
        elif _SETEXT_UNDERLINE.match(line) and out and out[-1]:
            level = "#" if line.strip()[0] == "=" else "##"
            out[-1:] = ["", f"{level} {out[-1]}", ""]
        elif _BOLD_LINE.fullmatch(line) and at + 1 < len(lines) and _titled(lines[at + 1]):
            # A line all in bold with its text right under it, a list or a sentence, titles
            # that text, as an FAQ sets its entries ("**Everything stopped working after a
            # power cut.**" over "Usually the SD card …"): a heading below every other. A
            # name over its title ("**Mr Daniel Okafor**" over "Head of Year 8") is none.
            out.extend(["", f"{_LOWEST_HEADING} {_inline(line).strip()}", ""])
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


def _titled(line: str) -> bool:
    """Whether a line is text a bold line above it may title: a list's item or a sentence."""
    return bool(_LIST_ITEM.match(line)) or line.rstrip().endswith((".", "!", "?", ")", "`"))


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
        title = _inline(heading.group(2)).strip()
        return ["", f"{heading.group(1)} {title}" if title else "", ""]
    item = _LIST_ITEM.match(line)
    if item:
        # The item's number or bullet stays: it tells a list's items from prose.
        number = _ITEM_NUMBER.match(line)
        nested = len(line) - len(line.lstrip()) >= _NESTED_INDENT
        mark = f"{number.group(1)}. " if number else SUB_BULLET if nested else BULLET
        return ["", mark + _inline(line[item.end() :])]
    # A backslash ending a line breaks it, as two spaces do: the backslash is no text.
    return [escape_marks(_inline(_HARD_BREAK.sub("", line)))]


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
