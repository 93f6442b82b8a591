"""Plain text's own structure, marked as Markdown would mark it: titles underlined with a
rule ("Borrowing" over "---------"), a mail's subject heading its message, and columns aligned
with spaces read as a table's rows."""

from __future__ import annotations

import re

from backend.documents.ingest.headings import LABELLED, PARAGRAPH
from backend.documents.ingest.tables import header_and_rows, table_row


def structured(text: str) -> str:
    """Plain text with its underlined titles and its mails' subjects marked, and its aligned
    columns read as rows."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return aligned_tables(mark_messages(mark_underlined(text)))


# A line of one repeated mark under (and perhaps over) a title in plain text: "=====", "-----".
_RULE = re.compile(r"[ \t]*([=\-~^*+#_])\1{2,}[ \t]*")
_RULED_TITLE_CHARS = 100


def mark_underlined(text: str) -> str:
    """Plain text's underlined titles marked as headings ("Borrowing" over "---------" ->
    "## Borrowing"), as Markdown and reStructuredText write them: levels go by the order the
    kinds of line first appear in (a title between two lines is a kind of its own), so
    "=====" before "-----" is level 1 over level 2. A rule under no title is a separator: a
    paragraph break."""
    lines = text.split("\n")
    out: list[str] = []
    levels: dict[tuple[str, bool], int] = {}

    def heading(title: str, kind: tuple[str, bool]) -> None:
        level = levels.setdefault(kind, min(len(levels) + 1, 6))
        out.extend(["", f"{'#' * level} {title.strip()}", ""])

    at = 0
    while at < len(lines):
        opens = at == 0 or not lines[at - 1].strip()
        rule = _RULE.fullmatch(lines[at])
        if opens and rule and at + 2 < len(lines):
            mark = _underline(lines[at + 1], lines[at + 2])
            if mark is not None and mark == rule.group(1):
                heading(lines[at + 1], (mark, True))
                at += 3
                continue
        mark = _underline(lines[at], lines[at + 1]) if opens and at + 1 < len(lines) else None
        if mark:
            heading(lines[at], (mark, False))
            at += 2
            continue
        out.append("" if rule else lines[at])
        at += 1
    return "\n".join(out)


def _underline(title: str, rule: str) -> str | None:
    """The mark of `rule` when it underlines `title`: a line of text (not itself a rule) at
    most _RULED_TITLE_CHARS long, the rule at least half its length."""
    match = _RULE.fullmatch(rule)
    words = title.strip()
    if not match or not words or _RULE.fullmatch(title) or len(words) > _RULED_TITLE_CHARS:
        return None
    return match.group(1) if len(rule.strip()) * 2 >= len(words) else None


def mark_messages(text: str) -> str:
    """The text with each mail's subject marked as the heading of its message: a paragraph of
    labelled lines with a sender and a subject ("From: …", "To: …", "Date: …", "Subject:
    Office move") opens a message that its subject names, as a heading names its section; the
    other fields stay, below it."""

    def marked(paragraph: re.Match[str]) -> str:
        lines = paragraph.group().split("\n")
        subjects = [line for line in lines if line.lower().startswith("subject:")]
        # A mail's header names its sender: a record's "Subject: Physics" heads nothing.
        sent = any(line.lower().startswith("from:") for line in lines)
        if not sent or len(subjects) != 1 or not all(LABELLED.match(x) for x in lines):
            return paragraph.group()
        subject = subjects[0].split(":", 1)[1].strip()
        fields = "\n".join(line for line in lines if line is not subjects[0])
        return f"# {subject}\n\n{fields}" if subject else paragraph.group()

    return PARAGRAPH.sub(marked, text)


# Cells of a line set out in columns: split where a tab or two spaces or more stand.
_GAP = re.compile(r"\t+| {2,}")
_BLOCK = re.compile(r"(?:^[^\S\n]*\S[^\n]*(?:\n|$))+", re.MULTILINE)
_TABLE_CELL_CHARS = 40
_STOPS = ".!?;,"
_DIGIT = re.compile(r"\d")


def aligned_tables(text: str) -> str:
    """Lines set out in columns ("Espresso         2.10     2.60" under "Drink    Small
    Large") as a table's rows, each a paragraph named by the header's cells ("Drink: Espresso;
    Small: 2.10; Large: 2.60."): two lines or more in a block, every one of the same number of
    cells (at least two), none of which reads as the end of a sentence. The first line is the
    header when none of its cells holds a figure; a header over an empty corner keeps it."""
    return _BLOCK.sub(_as_rows, text)


def _as_rows(block: re.Match[str]) -> str:
    lines = block.group().rstrip("\n").split("\n")
    rows = [_GAP.split(line.rstrip()) for line in lines]
    width = len(rows[0])
    if len(rows) < 2 or width < 2 or any(len(row) != width for row in rows):
        return block.group()
    cells = [cell.strip() for row in rows for cell in row]
    if any(len(cell) > _TABLE_CELL_CHARS or (cell and cell[-1] in _STOPS) for cell in cells):
        return block.group()
    if not any(_DIGIT.search(cell) for cell in cells) and width == 2 and len(rows) == 2:
        return block.group()  # two pairs of words: too little to call a table
    rows = [[cell.strip() for cell in row] for row in rows]
    if all(row[0].endswith(":") for row in rows):
        # Labels padded to line up their values ("Name:    Ada"): each line is a field.
        return "\n".join(" ".join(row) for row in rows) + "\n"
    header, body = header_and_rows(rows)
    paragraphs = [table_row(row, header) for row in body]
    ending = "\n" if block.group().endswith("\n") else ""
    return "\n\n".join(paragraphs) + "\n" + ending
