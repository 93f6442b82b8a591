"""Plain text's own structure, marked as Markdown would mark it: titles underlined with a
rule ("Borrowing" over "---------"), a mail's subject heading its message, and columns aligned
with spaces read as a table's rows; a mail's quoted replies and a subtitle file's cues read as
the text they hold."""

from __future__ import annotations

import re

from backend.documents.ingest.headings import LABELLED, PARAGRAPH
from backend.documents.ingest.tables import header_and_rows, table_row


def structured(text: str) -> str:
    """Plain text with its underlined titles and its mails' subjects marked, and its aligned
    columns read as rows."""
    text = untimed(uncued(unquoted(text.replace("\r\n", "\n").replace("\r", "\n"))))
    return aligned_tables(mark_messages(mark_underlined(text)))


# A mail's quoted lines ("> Hi Hannah,", ">> Mill looks amazing", "> > Dev"): their marks.
_QUOTE_MARKS = re.compile(r"^[ \t]*>(?:[ \t]?>)*[ \t]?", re.MULTILINE)
_QUOTED_LINES = 3
# "-----Original Message-----", "---------- Forwarded message ---------": where a mail quoted
# or forwarded begins.
_MAIL_DIVIDER = re.compile(
    r"^[ \t]*-{2,}[ \t]*(?:original message|forwarded message)[ \t]*-{2,}[ \t]*$",
    re.MULTILINE | re.IGNORECASE,
)


def unquoted(text: str) -> str:
    """A saved mail thread's quoted replies read as the text they quote: the quote marks
    gone (a line of marks alone parts paragraphs), and the line that opens a quoted or
    forwarded mail a paragraph break, so its header reads as a header. They ran together into
    one paragraph ("> From: Priya Raman > Sent: … > Hi Hannah, > Re the wifi question")."""
    if len(re.findall(r"^[ \t]*>", text, re.MULTILINE)) < _QUOTED_LINES:
        return text
    return _MAIL_DIVIDER.sub("", _QUOTE_MARKS.sub("", text))


# A subtitle file's cue: its number on a line of its own, then when it shows ("00:03:14,200
# --> 00:03:17,900"), as SubRip and WebVTT write them.
_TIMESTAMP = r"(?:\d{1,2}:)?\d{1,2}:\d{2}[.,]\d{3}"
_CUE = re.compile(
    rf"^[ \t]*(?:\d+[ \t]*\n[ \t]*)?{_TIMESTAMP}[ \t]*-->[ \t]*{_TIMESTAMP}[^\n]*(?:\n|$)",
    re.MULTILINE,
)
_CUES = 3
# A cue that opens with who speaks ("GEMMA:", "Ruth Penrose:") or a sound ("[JINGLE]").
_SPEAKER = re.compile(r"^(?:[A-Z][A-Z .'-]{0,30}|[A-Z][a-z]+(?: [A-Z][a-z]+){0,2}):\s|^\[")


def uncued(text: str) -> str:
    """A subtitle file's text as a transcript reads: the cues' numbers and times gone, and
    the cues' lines run on into one paragraph for each turn of speech (a cue opening with
    who speaks starts a turn). They read "… orchard. 9 00:00:46,824 --> 00:00:52,579 …"."""
    if len(_CUE.findall(text)) < _CUES:
        return text
    paragraphs: list[str] = []
    for line in _CUE.sub("", text.removeprefix("WEBVTT")).split("\n"):
        words = " ".join(line.split())
        if not words:
            continue
        if paragraphs and not _SPEAKER.match(words):
            paragraphs[-1] = f"{paragraphs[-1]} {words}"
        else:
            paragraphs.append(words)
    return "\n\n".join(paragraphs)


# A transcript's line opening with when it was said, in brackets: "[00:12:45] OWEN: …".
_TIME_MARK = re.compile(
    r"^[ \t]*[\[(](?:\d{1,2}:)?\d{1,2}:\d{2}(?:[.,]\d{1,3})?[\])][ \t]*(?=\S)", re.MULTILINE
)


def untimed(text: str) -> str:
    """A transcript's lines without the times they open with ("[00:18:58] GWEN: A colony
    needs …" reads "GWEN: A colony needs …"): the times told the reader nothing asked, and
    their figures stood in every line for what a "How many …?" asks. Three such lines at
    least; a time not in brackets ("09:00 Registration", an agenda's) stays."""
    if len(_TIME_MARK.findall(text)) < _CUES:
        return text
    return _TIME_MARK.sub("", text)


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
        # A rule under a table's header stays for the table's reader (`aligned_tables`).
        ruled = rule and 0 < at < len(lines) - 1 and _in_columns(lines[at - 1], lines[at + 1])
        out.append("" if rule and not ruled else lines[at])
        at += 1
    return "\n".join(out)


def _in_columns(*lines: str) -> bool:
    """Lines each set out in two cells or more ("Item      Price")."""
    return all(len(_PIECE.findall(line)) >= 2 for line in lines)


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
_PIECE = re.compile(r"\S+(?: \S+)*")
_BLOCK = re.compile(r"(?:^[^\S\n]*\S[^\n]*(?:\n|$))+", re.MULTILINE)
# A rule across a table's columns, in one piece or one per column ("-----   ------").
_COLUMN_RULE = re.compile(r"[ \t]*(?:([-=_~])\1{2,}[ \t]*)+")
_TABLE_CELL_CHARS = 40
_HEADER_LINES = 3
_SLACK = 2
_STOPS = ".!?;,"
_DIGIT = re.compile(r"\d")


def aligned_tables(text: str) -> str:
    """Lines set out in columns ("Espresso         2.10     2.60" under "Drink    Small
    Large") as a table's rows, each a paragraph named by the header's cells ("Drink: Espresso;
    Small: 2.10; Large: 2.60."): two rows or more in a block, their cells standing where the
    columns start (at least two), none but the last column's reading as the end of a
    sentence. A line that starts in a later column goes on with the row above ("Non-uniform
    day (£1 donation" over "Bank); school closes at 3:15 pm"), as does one set in from the
    first column's start. The lines above a rule across the columns are the header (up to
    three, read column by column); without one, the first line is the header when none of
    its cells holds a figure; a header over an empty corner keeps it."""
    return _BLOCK.sub(_as_rows, text)


def _as_rows(block: re.Match[str]) -> str:
    lines = [line.rstrip() for line in block.group().rstrip("\n").split("\n")]
    while lines and _COLUMN_RULE.fullmatch(lines[-1]):
        lines.pop()  # a rule closing the table
    while lines and _COLUMN_RULE.fullmatch(lines[0]):
        lines.pop(0)
    rules = [at for at, line in enumerate(lines) if _COLUMN_RULE.fullmatch(line)]
    if len(rules) > 1 or (rules and not 0 < rules[0] <= _HEADER_LINES):
        return block.group()
    head, body = (lines[: rules[0]], lines[rules[0] + 1 :]) if rules else ([], lines)
    tabbed = any("\t" in line for line in lines)
    table = _tab_columns(body, head) if tabbed else _columns(body, head)
    if table is None:
        return block.group()
    header, rows = table
    cells = [cell for row in rows for cell in row[:-1]] + (header or [])
    if len(rows) < 2 or any(c.endswith(tuple(_STOPS)) for c in cells):
        return block.group()
    if header is None and not any(_DIGIT.search(c) for row in rows for c in row):
        if len(rows) == 2 and len(rows[0]) == 2:
            return block.group()  # two pairs of words: too little to call a table
    if header is None and all(row[0].endswith(":") for row in rows):
        # Labels padded to line up their values ("Name:    Ada"): each line is a field.
        return "\n".join(" ".join(c for c in row if c) for row in rows) + "\n"
    if header is None:
        header, rows = header_and_rows(rows)
    paragraphs = [table_row(row, header) for row in rows]
    ending = "\n" if block.group().endswith("\n") else ""
    return "\n\n".join(paragraphs) + "\n" + ending


def _pieces(line: str) -> list[tuple[int, str]]:
    """A line's cells with the column each starts at (cells part where two spaces stand)."""
    return [(m.start(), m.group()) for m in _PIECE.finditer(line)]


def _columns(
    body: list[str], head: list[str]
) -> tuple[list[str] | None, list[list[str]]] | None:
    """The rows of lines whose cells stand in columns, a line starting in a later column (or
    set in from the first) going on with the row above; None when the cells do not line up."""
    pieces = [_pieces(line) for line in body]
    width = max((len(p) for p in pieces), default=0)
    full = [p for p in pieces if len(p) == width]
    if width < 2 or len(full) < 2:
        return None
    starts = [min(p[k][0] for p in full) for k in range(width)]

    def column(at: int) -> int:
        return max(k for k in range(width) if starts[k] <= at + 1) if at + 1 >= starts[0] else -1

    rows: list[list[str]] = []
    spans = [[at, at + len(text)] for at, text in full[0]]
    placed: list[list[tuple[int, int]]] = [[] for _ in range(width)]
    for line in pieces:
        places = [column(at) for at, _ in line]
        if places != sorted(set(places)) or places[0] < 0:
            return None
        if len(line) == width and places != list(range(width)):
            return None
        cells = zip(places, line, strict=True)
        if any(len(text) > _TABLE_CELL_CHARS for k, (_, text) in cells if k < width - 1):
            return None  # a line of prose, not a cell
        goes_on = places[0] > 0 or (len(line) == 1 and line[0][0] > starts[0] + 1)
        if goes_on and not rows:
            return None
        if not goes_on:
            rows.append([""] * width)
        for k, (at, text) in zip(places, line, strict=True):
            rows[-1][k] = f"{rows[-1][k]} {text}".strip()
            placed[k].append((at, at + len(text)))
            spans[k] = [min(spans[k][0], at), max(spans[k][1], at + len(text))]
    if any(not _lined_up(placed[k]) for k in range(1, width)):
        return None
    header = None
    if head:
        # A label may stand over its column's middle or its right edge: it heads the column
        # it overlaps most, or the nearest.
        header = [""] * width
        for label in head:
            for at, text in _pieces(label):
                end = at + len(text)
                k = max(
                    range(width),
                    key=lambda k: (
                        min(end, spans[k][1]) - max(at, spans[k][0]),
                        -abs(at - spans[k][0]),
                    ),
                )
                header[k] = f"{header[k]} {text}".strip()
    return header, rows


def _lined_up(cells: list[tuple[int, int]]) -> bool:
    """A column's cells start at one place (text) or end at one (figures set flush right),
    give or take a character or two."""
    starts, ends = [a for a, _ in cells], [b for _, b in cells]
    return max(starts) - min(starts) <= _SLACK or max(ends) - min(ends) <= _SLACK


def _tab_columns(
    body: list[str], head: list[str]
) -> tuple[list[str] | None, list[list[str]]] | None:
    """Cells parted by tabs (or two spaces), every line of the same number of them."""
    rows = [[cell.strip() for cell in _GAP.split(line.strip())] for line in body]
    header = [cell.strip() for cell in _GAP.split(head[-1].strip())] if head else None
    width = len(rows[0]) if rows else 0
    if width < 2 or any(len(row) != width for row in rows):
        return None
    if any(len(cell) > _TABLE_CELL_CHARS for row in rows for cell in row[:-1]):
        return None
    return header, rows
