"""Headings in extracted text: short lines that title the text after them ("Warranty",
"3. Rent"), and the section each place in the text is in. Chunking keeps a heading with the
text it titles; answering never shows a heading as the answer, and lets its words count for
every sentence of its section.

A document that marks its headings (HTML's <h1>-<h6>, Markdown's "#") keeps them in its text
as Markdown does, "## Returns", so they are certain and nest: a section's heading is the path
of headings above it ("# Release notes", "## 3.1.0", "### Added"). A PDF's headings are marked
by their type size (`page_flow`). Other text has its headings told from their shape, and a
section's heading is the nearest run of them."""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Sequence
from functools import lru_cache
from itertools import groupby
from typing import NamedTuple

SENTENCE_END = ".!?\u2026\u3002\uff01\uff1f"
PARAGRAPH = re.compile(r"\S(?:.|\n(?![ \t]*\n))*")
# Punctuation that closes a sentence or a clause; a heading ends with none of these.
CLOSING_PUNCTUATION = ".!?:;\u2026\u3002\uff01\uff1f"
_CLOSING_QUOTES = "\"'\u201d\u2019)]"
_HEADING_MAX_WORDS = 12
_HEADING_WORD = re.compile(r"[a-z0-9]+")
_DIGIT = re.compile(r"\d")


# A heading the document marked (HTML's <h2>, Markdown's "##"): its level is its "#"s.
HEADING_MARK = re.compile(r"(#{1,6}) (?=\S)")
# A line of text that opens with "#" but is no heading (a shell comment in a code block, "# of
# items") is kept escaped, as Markdown writes a literal "#": a backslash before it.
_STRAY_MARK = re.compile(rf"^([ \t]*)(?={HEADING_MARK.pattern})", re.MULTILINE)
_ESCAPED_MARK = re.compile(rf"^([ \t]*)\\(?={HEADING_MARK.pattern})", re.MULTILINE)


def escape_marks(text: str) -> str:
    """The text with every line that opens as a heading's mark would ("# install") escaped
    ("\\# install"): none of them is a heading."""
    return _STRAY_MARK.sub(r"\1\\", text)


def unescaped(text: str) -> str:
    """The text as it reads: escaped "#"s at the start of its lines shown plain."""
    return _ESCAPED_MARK.sub(r"\1", text)


# A line that names what it holds ("Date: 14 March 2026", "From: Laura Chen"): a record's
# field, not a title.
LABELLED = re.compile(r"[A-Z][\w'\u2019()/&.-]*(?: [\w'\u2019()/&.-]+){0,3}: \S")
# A section's number before its title ("3. Rent", "4.2 Deposits", "IV. Repairs").
SECTION_NUMBER = re.compile(r"(?:\d{1,2}(?:\.\d{1,2})*\.?|[IVXLC]{1,5}\.)\s+(?=\S)")


# A line opening with a list's mark or a dash.
_LIST_MARK = re.compile(r"[-*\u2022\u25e6\u2013\u2014]\s")


def may_title(paragraph: str) -> bool:
    """Marked as a heading, or short, with no closing punctuation and no figures but a
    section's number ("3. Rent"), and not opening in lower case as a command or a fragment
    does ("pip install tidepool"), nor with a list's mark or a dash: it may title what
    follows."""
    if HEADING_MARK.match(paragraph):
        return True
    if _LIST_MARK.match(paragraph):
        return False  # a list's item, or a signature ("– Bernadette Quinlan, Chair")
    number = SECTION_NUMBER.match(paragraph)
    title = paragraph[number.end() :] if number else paragraph
    return (
        not title[:1].islower()
        and not closes(paragraph, CLOSING_PUNCTUATION)
        and len(_HEADING_WORD.findall(title.lower())) <= _HEADING_MAX_WORDS
        and not _DIGIT.search(title)
    )


# An FAQ's question, a paragraph of its own above its answer ("How do I return a bike?"): a
# line of at most this many words.
_QUESTION_MAX_WORDS = 25
_QUESTION_END = "?\uff1f"


def lone_question(paragraph: str) -> bool:
    """A paragraph of one short line that ends asking ("I have a flat tyre. What should I
    do?"): above a paragraph that answers it, it titles that paragraph as a heading does (an
    FAQ written without markup)."""
    return (
        "\n" not in paragraph
        and closes(paragraph, _QUESTION_END)
        and len(_HEADING_WORD.findall(paragraph.lower())) <= _QUESTION_MAX_WORDS
    )


def closes(paragraph: str, marks: str) -> bool:
    """Whether the paragraph ends with one of `marks` (closing quotes and brackets aside)."""
    return paragraph.rstrip(_CLOSING_QUOTES)[-1:] in marks if paragraph else False


# A title is told from the start of its document (enough to hold it and what follows it).
_TITLE_WINDOW = 4096
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
    passage. A heading the document marked is one wherever it is; so is a question alone in
    its paragraph above a paragraph that does not ask (`lone_question`)."""
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
        shaped = opens and closes(after, CLOSING_PUNCTUATION) and numbered <= 1
        if titled:
            out.update(
                (start, start + len(body))
                for start, body in run
                if shaped or HEADING_MARK.match(body)
            )
    for (start, body), (_, after) in zip(paragraphs, paragraphs[1:], strict=False):
        if lone_question(body) and closes(after, SENTENCE_END) and not lone_question(after):
            out.add((start, start + len(body)))
    return frozenset(out)


def mark_title(text: str) -> str:
    """The text with its title marked ("# The axolotl"), when it opens with a heading told from
    its shape, or with a line that may title what follows it ("Committee meeting minutes"
    above "Date: 14 March 2026"): a document's title names what every section of it is about,
    so it heads each section's path, above the headings of the sections ("Diet", "Habitat")."""
    if HEADING_MARK.match(text):
        return text
    first, _, rest = text.partition("\n")
    if LABELLED.match(first) and LABELLED.match(rest):
        return text  # labelled lines ("Name: …", "Role: …") are a record's fields, not a title
    if rest and not rest.startswith("\n") and may_title(first.strip()):
        return f"# {first.strip()}\n\n{rest}"
    if (0, len(text.split("\n\n", 1)[0])) in find_headings(text[:_TITLE_WINDOW]):
        return f"# {text}"
    return text


def unmarked(text: str) -> str:
    """A heading's text without the marks of its level ("## Fares" -> "Fares"), any other
    text as it reads (`unescaped`)."""
    mark = HEADING_MARK.match(text)
    return text[mark.end() :] if mark else unescaped(text)


def within_heading(headings: frozenset[tuple[int, int]], start: int, end: int) -> bool:
    """Whether text[start:end] is (part of) one of the `headings` spans: a marked heading may
    read as two sentences ("## I have a flat tyre. What should I do?")."""
    return any(a <= start and end <= b for a, b in headings)


class Heading(NamedTuple):
    """A heading on a path: its text and where it is in the page's text (-1, -1 for one
    carried over from the page before)."""

    text: str
    start: int
    end: int


def heading_paths(text: str, carried: Sequence[str] = ()) -> list[tuple[int, list[Heading]]]:
    """After each heading of the text, in text order: where it starts, and the path of
    headings then in effect, outermost first (`_nest`), starting from the `carried` path."""
    out: list[tuple[int, list[Heading]]] = []
    path = [(Heading(h, -1, -1), heading_level(h)) for h in carried]
    previous_end = -1
    for start, end in sorted(heading_spans(text)):
        below = previous_end >= 0 and not text[previous_end:start].strip()
        _nest(path, Heading(text[start:end], start, end), heading_level(text, start), below)
        previous_end = end
        out.append((start, [heading for heading, _ in path]))
    return out


def heading_level(text: str, start: int = 0) -> int | None:
    """The level of the heading at `start` when the document marked it ("## Fares": 2);
    None for one told from its shape."""
    mark = HEADING_MARK.match(text, start)
    return len(mark.group(1)) if mark else None


def _nest(
    path: list[tuple[Heading, int | None]], heading: Heading, level: int | None, below: bool
) -> None:
    """Put a heading on the path of those in effect. A marked heading closes the headings of
    its level and below ("## 3.1.0" closes "## 3.2.0" and its "### Fixed") and those told from
    their shape; one told from its shape closes the run of such headings before it, unless it
    stands directly `below` it ("Kettle manual" then "Warranty": one run)."""
    if level is not None:
        while path and (path[-1][1] is None or path[-1][1] >= level):
            path.pop()
    elif not below:
        while path and path[-1][1] is None:
            path.pop()
    path.append((heading, level))


def section_headings(text: str, starts: Sequence[int]) -> list[list[tuple[int, int]]]:
    """For each offset in `starts`, the heading its section has in the text: the spans of the
    path of headings in effect there (`heading_paths`); none before the text's first heading.
    Every sentence of a section is about what its heading names ("Warranty": "The kettle is
    guaranteed for two years.")."""
    paths = heading_paths(text)
    ends = [path[-1].end for _, path in paths]
    out = []
    for offset in starts:
        # The headings that end at or before the offset (never the one a sentence is in).
        at = bisect_right(ends, offset) - 1
        out.append([(h.start, h.end) for h in paths[at][1]] if at >= 0 else [])
    return out


class Sections:
    """Which section each place of a page's text is in, as the headings to show above a
    chunk that starts there: a section longer than a chunk goes on in chunks that would not
    hold its heading. `carried` is the path in effect where the page starts (a PDF's section
    goes on from the page before); the page's headings nest in it."""

    def __init__(self, text: str, carried: tuple[str, ...] = ()) -> None:
        self.text = text
        self.carried = carried
        self.paths = heading_paths(text, carried)
        self.starts = [start for start, _ in self.paths]

    def heading(self, offset: int) -> tuple[str, ...]:
        """The headings above the section `offset` is in, outermost first, less those the
        text shows from `offset` on (a chunk that starts with its own heading shows only the
        path above it: "## 3.1.0" over "### Added")."""
        at = bisect_right(self.starts, offset) - 1
        if at < 0:
            return self.carried
        return tuple(h.text for h in self.paths[at][1] if h.start < offset)

    @property
    def last(self) -> tuple[str, ...]:
        """The headings in effect at the end of the page, for the next page to carry."""
        return self.heading(len(self.text)) if self.paths else self.carried
