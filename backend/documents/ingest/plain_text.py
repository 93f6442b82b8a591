"""Plain text's own structure, marked as Markdown would mark it: titles underlined with a
rule ("Borrowing" over "---------"), a mail's subject heading its message, and columns aligned
with spaces read as a table's rows; a mail's quoted replies and a subtitle file's cues read as
the text they hold."""

from __future__ import annotations

import re

from backend.documents.ingest.headings import LABELLED, PARAGRAPH
from backend.documents.ingest.plain_pages import unpaged
from backend.documents.ingest.plain_tables import PIECE, aligned_tables


def structured(text: str) -> str:
    """Plain text without its pages' running lines, with its underlined titles and its mails'
    subjects marked, and its aligned columns read as rows."""
    text = untimed(uncued(unquoted(unpaged(text.replace("\r\n", "\n").replace("\r", "\n")))))
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
    return all(len(PIECE.findall(line)) >= 2 for line in lines)


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
