"""Pack sentences into token-limited chunks, one page per chunk, with sentence overlap."""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import accumulate

from backend.documents.ingest.headings import Sections, lone_question, may_title
from backend.documents.ingest.pages import ExtractionError, PageText
from backend.documents.ingest.units import Counter, Full, Unit, Watch, no_check, sentence_units

_SAFE_JOIN = re.compile(r"[ \t\n\r]+")
# How text is cut into passages, recorded with each document: start-up cuts the documents cut
# otherwise again (`operations.rechunk`). "headed": a heading goes with the text it titles, and
# a chunk inside a long section opens with the section's heading. "marked": HTML and Markdown
# keep their headings' marks ("## Returns"), and a chunk opens with the path of headings above
# it ("# Release notes", "## 3.1.0", "### Added"). "main": a web page that names its main
# content (<main>, one <article>) is read from there, a line opening in lower case ("pip install
# tidepool") never titles a section, and "ext. 300" ends no sentence. "underlined": plain text's
# underlined titles ("Borrowing" over "---------") are headings, a mail's subject heads its
# message. "columns": plain text's columns aligned with spaces are a table's rows. "bold": a
# PDF's bold lines head sections, its page numbers go, its short paragraphs stay apart.
# "pdf-tables": a PDF's tables read as rows named by their header. "site-parts": a page's
# banner, footer, sidebars and cookie notices named by role, id or class are left out.
# "pdf-columns": two columns printed line by line across a PDF's page read column by column.
# "raised-calls": a PDF line's size is its longest piece's, and a footnote call set apart after
# a sentence ("BC. [3] The") goes. "nested-lists": an item of a list inside another's opens
# with "\u25e6". "hard-breaks": Markdown's backslash line break is no text. "layout-tables": a
# web page's table whose cells hold headings, lists or paragraphs reads as blocks.
# "bold-header": a table's first row of bold cells is its header. "mail-sender": only a mail's
# header (with "From:") makes its subject a heading. "padded-fields": labels padded to line up
# their values are fields, not a table. "wrapped-columns": plain text's columns read by where
# their cells stand, a cell wrapped onto the next line, a header over a rule; a first row of
# words over a column of figures is a header; an HTML row's header cells name the cells after
# them; a PDF's box of labels and values reads as labelled lines, and a web page's bold labels
# set flush against their values ("Location: Manchester"); a title with a dash in it once; a
# mail's quoted replies read without their "> " marks. "flush-right": a PDF table's rows that
# leave columns empty read under the header labels their pieces overlap; a box of labels and
# values is headed by none of its pairs; a label without a figure over cells that each hold
# one heads its table ("Age of child" over "1-3 years"); labels over groups of a PDF table's
# columns name each group's cells ("Saturday: 09:40, 17:25"); "2½" stays "2½", not "21⁄2"; a
# web page's header above its <main> that holds the <h1> is read when <main> holds none; a
# table's row is one sentence, however many its cells hold. "cell-by-cell": a PDF table's row
# printed cell by cell is gathered into its lines, a cell's wrapped lines go on with it, a
# header of two lines names each column; dot leaders read as a label's colon; a subtitle
# file's cues read as its speakers' turns, without their numbers and times; a forum post's
# signature is left out, and a web page's list item with no text (a gallery's picture).
# "wrapped-cells": a PDF table cell's second line set below its first on the same line of
# text goes on with it, and rows under centred labels whose pieces open at as many places as
# the header has labels read under them, empty columns and all; a list whose marks or
# numbers stand apart from its items is no table; a label keeps its one colon; labels with
# figures ("Junior (4–16)") head rows whose pieces open under them; a box of labels each
# beside its value, two pairs or more to a row, reads pair by pair; a line opening with a
# list's mark or a dash is never a heading ("– Bernadette Quinlan, Chair"). "untimed": a
# page's buttons for sharing it are the site's; a transcript's bracketed times are left out.
# "labelled-lines": a text's labelled line ends where its value does ("Nearest GP: … 310",
# then "The stopcock is …"), unless it runs on. "centred-cells": a PDF table's row whose
# one-line cells are centred on its height beside a wrapped cell, or whose first cell wraps
# onto the line its other cells stand on, reads as one row under the header; a list's item
# that leaves a bracket open or ends on a joining word goes on onto the next line; what a
# web page's footer says of the place (address, telephone, hours) is read after its text.
# "bold-headers": a PDF table under a header set in bold reads row by row however long its
# cells (sentences wrapped in their columns) and however few its rows (one); a cell's full
# stop gives way to the semicolon after it. "run-in": a numbered item's run-in heading ("4.
# Spring concert.") is one sentence with what follows it; a forum post's box of its writer's
# rank and joining date is the writer's; a quotation's <cite> is a line of its own.
# "bold-titles": a Markdown line all in bold over a sentence or a list titles it; a plain
# text form's label wrapped in its column reads whole with its value. "running-text": a plain
# text printed page by page reads its running lines (letterhead, "Page 2 of 6") once.
# "circa": a law case's "v.", "c." before a year and an ellipsis spaced out (". . .") end no
# sentence. "header-years": a header's label opening with a word heads its column however many
# figures follow ("Charge 2026/27 (£)"). "page-heading": a PDF page opening with a heading
# is not run into the page before, however that page ends. "bill-rows": a PDF's descriptions
# beside amounts set flush right, a table's rows that leave columns empty (totals), labels
# that ask ("Power cut?") beside their details, labels over every column but the first, a
# sign printed apart from its figure; an HTML <summary> heads its answer; a PDF's running
# line that says what its pages do not (the version, the journal) is read once; a wrapped
# line that leaves a bracket open is no heading. "leading": a PDF's lines of large type, set
# further apart, are one paragraph, and a title wrapped onto two lines one heading.
# "page-references": page references after a sentence's full stop (".:1–4 When") go.
# "browser-pdfs": a table cell's own semicolons are written as commas in a row of several
# cells, so a row's "; " parts only its cells ("Vaccine given: 6-in-1 vaccine, MenB,
# rotavirus; Where: Thigh."); a footnote's call left on a line of its own ("[6]") goes; a
# figure's compound wrapped after its hyphen is one word ("34-kilometre"); a PDF's table rows
# and changes of type size do not set the page's usual line step, so short paragraphs around
# a tall table stay apart.
CHUNKING_VERSION = "browser-pdfs"


@dataclass(frozen=True)
class ChunkDraft:
    """A chunk ready to embed: its position, page (None if unpaged), text and token count."""

    ordinal: int
    page: int | None
    text: str
    token_count: int


def too_many_chunks(limit: int) -> ExtractionError:
    """The error for a document that would make more chunks than the limit."""
    return ExtractionError(
        f"The document would make more than {limit:,} passages, the limit per document; "
        "split it into smaller files and upload them separately."
    )


def chunk_pages(
    pages: Sequence[PageText],
    *,
    count_tokens: Callable[[str], int],
    max_tokens: int = 160,
    overlap_tokens: int = 32,
    max_chunks: int | None = None,
    check: Callable[[], None] = no_check,
) -> list[ChunkDraft]:
    """Split cleaned pages into chunks of whole sentences of at most max_tokens tokens each.

    More than `max_chunks` chunks raise ExtractionError as soon as that is certain; `check` is
    called as the work goes on (a deadline raises from it)."""
    counter = Counter(count_tokens)
    budget = max_tokens - counter.special
    if budget < 1 or not 0 <= overlap_tokens < max_tokens:
        raise ValueError("max_tokens must exceed the special tokens; 0 <= overlap < max_tokens")
    drafts: list[ChunkDraft] = []
    carried: tuple[str, ...] = ()  # the headings in effect at the end of the page before
    for page in pages:
        room = None if max_chunks is None else max_chunks - len(drafts)
        # A chunk takes at most `budget` tokens of units that no earlier chunk held.
        watch = Watch(check, None if room is None else room * budget)
        try:
            units = sentence_units(page.text, counter, budget, watch)
        except Full:
            raise too_many_chunks(max_chunks or 0) from None
        # A chunk that starts inside a section, not at a heading, opens with its section's
        # heading ("Warranty"), so its sentences read, match and are found with it.
        sections = Sections(page.text, carried)
        paths = [sections.heading(unit.start) for unit in units]
        shown = {path: _shown_heading(path, counter, budget) for path in set(paths)}
        headings = [shown[path][0] for path in paths]
        reserve = [shown[path][1] for path in paths]
        for start, end, tokens in _pack(
            units, page.text, counter, budget, overlap_tokens, room, check, reserve
        ):
            text = page.text[units[start].start : units[end - 1].end]
            if reserve[start] and tokens + reserve[start] <= max_tokens:
                text, tokens = f"{headings[start]}\n\n{text}", tokens + reserve[start]
            drafts.append(ChunkDraft(len(drafts), page.number, text, tokens))
        carried = sections.last
        if max_chunks is not None and len(drafts) > max_chunks:
            raise too_many_chunks(max_chunks)
    return drafts


def _shown_heading(path: tuple[str, ...], counter: Counter, budget: int) -> tuple[str, int]:
    """The headings shown above a chunk and the tokens they add: the path's innermost
    headings that fit in a quarter of the chunk (the outermost go first); none when not even
    the innermost does."""
    for first in range(len(path)):
        heading = "\n\n".join(path[first:])
        tokens = counter.text(heading)
        if tokens <= budget // 4:
            return heading, tokens
    return "", 0


def _pack(
    units: list[Unit],
    text: str,
    counter: Counter,
    budget: int,
    overlap: int,
    limit: int | None = None,
    check: Callable[[], None] = no_check,
    reserve: Sequence[int] | None = None,
) -> list[tuple[int, int, int]]:
    """Greedy packing into (first unit, end unit, real token count incl. specials) triples;
    packing stops once there are more than `limit` chunks. `reserve[i]`: tokens to leave
    free in a chunk starting at unit i (for its section's heading)."""
    prefix = [0, *accumulate(unit.tokens for unit in units)]
    kept = reserve if reserve is not None else [0] * len(units)
    chunks: list[tuple[int, int, int]] = []
    start, fresh = 0, 0  # fresh: the first unit not yet in any chunk
    while start < len(units):
        check()
        if limit is not None and len(chunks) > limit:
            break
        room = budget - kept[start]
        end = max(bisect_right(prefix, prefix[start] + room) - 1, fresh + 1)
        end = _paragraph_end(units, prefix, start, fresh + 1, end, budget)
        end = _heading_end(units, text, fresh + 1, end)
        tokens = _tokens(units, prefix, text, counter, start, end)
        while tokens + kept[start] > budget + counter.special and (
            end > fresh + 1 or start < fresh
        ):
            start, end = (start, end - 1) if end > fresh + 1 else (start + 1, end)
            tokens = _tokens(units, prefix, text, counter, start, end)
        chunks.append((start, end, tokens))
        if end == len(units):
            break
        start, fresh = _overlap_start(units, start, end, overlap, budget), end
    return chunks


def _paragraph_end(
    units: list[Unit], prefix: list[int], start: int, least: int, end: int, budget: int
) -> int:
    """Move the end back to a paragraph start if that paragraph then fits the next chunk whole."""
    if end >= len(units) or units[end].paragraph != units[end - 1].paragraph:
        return end
    cut = end - 1
    while cut >= least and units[cut].paragraph == units[cut - 1].paragraph:
        cut -= 1
    if cut < least:
        return end
    paragraph_end = cut
    while paragraph_end < len(units) and units[paragraph_end].paragraph == units[cut].paragraph:
        paragraph_end += 1
    fits = prefix[paragraph_end] - prefix[cut] <= budget
    # A chunk of one short heading or line is poor for retrieval, so only cut when half full.
    return cut if fits and prefix[cut] - prefix[start] >= budget // 2 else end


def _heading_end(units: list[Unit], text: str, least: int, end: int) -> int:
    """Move the end back before the headings that would close the chunk ("Troubleshooting"
    above a table that begins the next one, an FAQ's question above its answer): a heading
    goes with the text it titles."""
    while least < end < len(units) and units[end].paragraph != units[end - 1].paragraph:
        first = end - 1  # the first unit of the paragraph that would close the chunk
        while first > 0 and units[first - 1].paragraph == units[end - 1].paragraph:
            first -= 1
        closing = text[units[first].start : units[end - 1].end]
        if first < least or not (may_title(closing) or lone_question(closing)):
            break
        end = first
    return end


def _overlap_start(units: list[Unit], start: int, end: int, overlap: int, budget: int) -> int:
    """First unit of the next chunk: whole trailing sentences of this one, at least `overlap`
    tokens when they fit in half the budget, so a fact near the cut is whole in one chunk.
    A chunk that ended at a paragraph break needs no overlap."""
    if overlap <= 0 or units[end].paragraph != units[end - 1].paragraph:
        return end
    new = start + 1
    total = 0
    cut = end
    while cut - 1 >= new and total < overlap:
        tokens = units[cut - 1].tokens
        if total + tokens > budget // 2 or total + tokens + units[end].tokens > budget:
            break
        total += tokens
        cut -= 1
    return cut


def _tokens(
    units: list[Unit], prefix: list[int], text: str, counter: Counter, start: int, end: int
) -> int:
    """Tokens, specials included, of the page text covered by units[start:end]."""
    joins = (text[units[i - 1].end : units[i].start] for i in range(start + 1, end))
    if all(_SAFE_JOIN.fullmatch(join) for join in joins):
        # WordPiece never spans ASCII whitespace, so per-unit counts add up exactly.
        return prefix[end] - prefix[start] + counter.special
    return counter.count_tokens(text[units[start].start : units[end - 1].end])
