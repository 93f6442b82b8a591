"""Headings in extracted text: short lines that title the text after them ("Warranty",
"3. Rent"), and the section each place in the text is in. Chunking keeps a heading with the
text it titles; answering never shows a heading as the answer, and lets its words count for
every sentence of its section."""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Sequence
from functools import lru_cache
from itertools import groupby

SENTENCE_END = ".!?\u2026\u3002\uff01\uff1f"
PARAGRAPH = re.compile(r"\S(?:.|\n(?![ \t]*\n))*")
# Punctuation that closes a sentence or a clause; a heading ends with none of these.
CLOSING_PUNCTUATION = ".!?:;\u2026\u3002\uff01\uff1f"
_CLOSING_QUOTES = "\"'\u201d\u2019)]"
_HEADING_MAX_WORDS = 12
_HEADING_WORD = re.compile(r"[a-z0-9]+")
_DIGIT = re.compile(r"\d")


# A section's number before its title ("3. Rent", "4.2 Deposits", "IV. Repairs").
SECTION_NUMBER = re.compile(r"(?:\d{1,2}(?:\.\d{1,2})*\.?|[IVXLC]{1,5}\.)\s+(?=\S)")


def may_title(paragraph: str) -> bool:
    """Short, with no closing punctuation and no figures but a section's number ("3. Rent"):
    it may title what follows."""
    number = SECTION_NUMBER.match(paragraph)
    title = paragraph[number.end() :] if number else paragraph
    return (
        not closes(paragraph, CLOSING_PUNCTUATION)
        and len(_HEADING_WORD.findall(title.lower())) <= _HEADING_MAX_WORDS
        and not _DIGIT.search(title)
    )


def closes(paragraph: str, marks: str) -> bool:
    """Whether the paragraph ends with one of `marks` (closing quotes and brackets aside)."""
    return paragraph.rstrip(_CLOSING_QUOTES)[-1:] in marks if paragraph else False


# Passages (a few hundred words) are read twice a question, so their headings are remembered;
# pages, which may be megabytes long, are read once and not kept.
REMEMBERED_TEXT_CHARS = 8192


def heading_spans(text: str) -> frozenset[tuple[int, int]]:
    """`find_headings`, remembered for short texts (a retrieved passage)."""
    if len(text) <= REMEMBERED_TEXT_CHARS:
        return _remembered_headings(text)
    return find_headings(text)


@lru_cache(maxsize=1024)
def _remembered_headings(text: str) -> frozenset[tuple[int, int]]:
    return find_headings(text)


def find_headings(text: str) -> frozenset[tuple[int, int]]:
    """Paragraphs that title the text after them ("Configuring the result backend",
    "Password resets"): short, without closing punctuation or figures, in a run of such
    paragraphs (a page's title, then its first heading) that follows the start of the passage
    or a paragraph ending a sentence, and comes before one that ends with punctuation. A list's
    items, which follow an introduction ending in a colon, stay answers; so does a lone line
    with figures, such as a table row ("Population 4,500,000"), and a run that ends the
    passage."""
    paragraphs = [(m.start(), m.group().rstrip()) for m in PARAGRAPH.finditer(text)]
    out: set[tuple[int, int]] = set()
    at = 0
    for titled, group in groupby(paragraphs, key=lambda p: may_title(p[1])):
        run = list(group)
        before = paragraphs[at - 1][1] if at else ""
        at += len(run)
        after = paragraphs[at][1] if at < len(paragraphs) else ""
        opens = not before or closes(before, SENTENCE_END)
        # Numbered lines in a row are a list's items ("1. Open Settings", "2. Choose
        # Security"); one numbered line above prose is a section's heading ("3. Rent").
        numbered = sum(1 for _, body in run if SECTION_NUMBER.match(body))
        if titled and opens and closes(after, CLOSING_PUNCTUATION) and numbered <= 1:
            out.update((start, start + len(body)) for start, body in run)
    return frozenset(out)


def heading_runs(text: str) -> list[list[tuple[int, int]]]:
    """The text's headings, those directly above one another ("Kettle manual" then
    "Warranty") in one run, in text order."""
    runs: list[list[tuple[int, int]]] = []
    for start, end in sorted(heading_spans(text)):
        if runs and not text[runs[-1][-1][1] : start].strip():
            runs[-1].append((start, end))
        else:
            runs.append([(start, end)])
    return runs


def section_headings(text: str, starts: Sequence[int]) -> list[list[tuple[int, int]]]:
    """For each offset in `starts`, the heading its section has in the text: the spans of the
    nearest run of headings before it; none before the text's first heading. Every sentence of
    a section is about what its heading names ("Warranty": "The kettle is guaranteed for two
    years.")."""
    runs = heading_runs(text)
    out = []
    for offset in starts:
        heading: list[tuple[int, int]] = []
        for run in runs:
            if run[-1][1] > offset:
                break
            heading = run
        out.append(heading)
    return out


class Sections:
    """Which section each place of a page's text is in, as the heading to show above a chunk
    that starts there: a section longer than a chunk goes on in chunks that would not hold its
    heading. `carried` is the heading in effect where the page starts (a PDF's section goes
    on from the page before)."""

    def __init__(self, text: str, carried: str = "") -> None:
        self.text = text
        self.carried = carried
        self.runs = [(run[0][0], run[-1][1]) for run in heading_runs(text)]
        self.starts = [start for start, _ in self.runs]

    def heading(self, offset: int) -> str:
        """The heading of the section `offset` is in; "" where a heading starts there or
        covers it (the text shows its own)."""
        at = bisect_right(self.starts, offset) - 1
        if at < 0:
            return self.carried
        start, end = self.runs[at]
        return "" if offset < end else self.text[start:end]

    @property
    def last(self) -> str:
        """The heading in effect at the end of the page, for the next page to carry."""
        return self.heading(len(self.text)) if self.runs else self.carried
