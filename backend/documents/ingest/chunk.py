"""Pack sentences into token-limited chunks, one page per chunk, with sentence overlap."""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import accumulate

from backend.documents.ingest.headings import Sections, may_title
from backend.documents.ingest.pages import ExtractionError, PageText
from backend.documents.ingest.sentences import split_sentences

_PARAGRAPH = re.compile(r"\S(?:.*?\S)??(?=\n[^\S\n]*\n|\s*\Z)", re.DOTALL)
_WORD = re.compile(r"\S+")
# WordPiece reads a word longer than this as one unknown token, so counting it says nothing
# about its size: such words are cut into pieces of at most _PIECE_CHARS, each counted alone.
_MAX_WORD_CHARS = 100
_PIECE_CHARS = 50
_LONG_WORD = re.compile(rf"\S{{{_MAX_WORD_CHARS + 1},}}")
# Text this many characters per token of budget is taken as over the budget without counting;
# splitting it anyway is always correct, only slower for the rare text that would have fit.
_CHARS_PER_TOKEN_BOUND = 20
_SAFE_JOIN = re.compile(r"[ \t\n\r]+")
# How text is cut into passages, recorded with each document: start-up cuts the documents cut
# otherwise again (`operations.rechunk`). "headed": a heading goes with the text it titles, and
# a chunk inside a long section opens with the section's heading.
CHUNKING_VERSION = "headed"


@dataclass(frozen=True)
class ChunkDraft:
    """A chunk ready to embed: its position, page (None if unpaged), text and token count."""

    ordinal: int
    page: int | None
    text: str
    token_count: int


@dataclass(frozen=True)
class _Unit:
    """A sentence, or a piece of an over-long one: page-text offsets and tokens sans specials."""

    start: int
    end: int
    tokens: int
    paragraph: int


class _Counter:
    """Token counts without the [CLS]/[SEP] pair, with per-word results cached."""

    def __init__(self, count_tokens: Callable[[str], int]) -> None:
        self.count_tokens = count_tokens
        self.special = count_tokens("")
        self._words: dict[str, int] = {}

    def text(self, text: str) -> int:
        return self.count_tokens(text) - self.special

    def word(self, word: str) -> int:
        cached = self._words.get(word)
        if cached is None:
            cached = self._words[word] = self.text(word)
        return cached


def too_many_chunks(limit: int) -> ExtractionError:
    """The error for a document that would make more chunks than the limit."""
    return ExtractionError(
        f"The document would make more than {limit:,} passages, the limit per document; "
        "split it into smaller files and upload them separately."
    )


def _no_check() -> None:
    return None


class _Full(Exception):
    """The units hold more tokens than the chunks still allowed can: the cap will be passed."""


class _Watch:
    """Tallies the tokens of the units made so far: calls `check` every few units, and raises
    _Full once they are more than `most_tokens`."""

    def __init__(self, check: Callable[[], None], most_tokens: int | None) -> None:
        self.check = check
        self.most_tokens = most_tokens
        self.tokens = 0
        self.units = 0

    def add(self, unit: _Unit) -> _Unit:
        self.tokens += unit.tokens
        self.units += 1
        if self.units % 64 == 0:
            self.check()
        if self.most_tokens is not None and self.tokens > self.most_tokens:
            raise _Full
        return unit


def chunk_pages(
    pages: Sequence[PageText],
    *,
    count_tokens: Callable[[str], int],
    max_tokens: int = 160,
    overlap_tokens: int = 32,
    max_chunks: int | None = None,
    check: Callable[[], None] = _no_check,
) -> list[ChunkDraft]:
    """Split cleaned pages into chunks of whole sentences of at most max_tokens tokens each.

    More than `max_chunks` chunks raise ExtractionError as soon as that is certain; `check` is
    called as the work goes on (a deadline raises from it)."""
    counter = _Counter(count_tokens)
    budget = max_tokens - counter.special
    if budget < 1 or not 0 <= overlap_tokens < max_tokens:
        raise ValueError("max_tokens must exceed the special tokens; 0 <= overlap < max_tokens")
    drafts: list[ChunkDraft] = []
    carried = ""  # the heading in effect at the end of the page before
    for page in pages:
        room = None if max_chunks is None else max_chunks - len(drafts)
        # A chunk takes at most `budget` tokens of units that no earlier chunk held.
        watch = _Watch(check, None if room is None else room * budget)
        try:
            units = _units(page.text, counter, budget, watch)
        except _Full:
            raise too_many_chunks(max_chunks or 0) from None
        # A chunk that starts inside a section, not at a heading, opens with its section's
        # heading ("Warranty"), so its sentences read, match and are found with it.
        sections = Sections(page.text, carried)
        headings = [sections.heading(unit.start) for unit in units]
        sizes = {heading: _heading_tokens(heading, counter, budget) for heading in set(headings)}
        reserve = [sizes[heading] for heading in headings]
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


def _heading_tokens(heading: str, counter: _Counter, budget: int) -> int:
    """The tokens a heading adds above a chunk: 0 for none, or for one that would take more
    than a quarter of the chunk."""
    tokens = counter.text(heading) if heading else 0
    return tokens if tokens <= budget // 4 else 0


def _units(text: str, counter: _Counter, budget: int, watch: _Watch) -> list[_Unit]:
    """Sentences of the text in order, over-long ones cut into word-boundary pieces."""
    units: list[_Unit] = []
    for number, paragraph in enumerate(_PARAGRAPH.finditer(text)):
        for span in split_sentences(paragraph.group()):
            start = paragraph.start() + span.start
            # Encoding megabytes just to learn they are too long is slow, so skip the count;
            # a word past WordPiece's length counts as one token, so it is cut up too.
            long = len(span.text) > budget * _CHARS_PER_TOKEN_BOUND or bool(
                _LONG_WORD.search(span.text)
            )
            tokens = budget + 1 if long else counter.text(span.text)
            if tokens <= budget:
                units.append(watch.add(_Unit(start, start + len(span.text), tokens, number)))
            else:
                units.extend(_split_long(text, start, span.text, counter, budget, number, watch))
    return units


def _split_long(
    text: str,
    offset: int,
    sentence: str,
    counter: _Counter,
    budget: int,
    paragraph: int,
    watch: _Watch,
) -> list[_Unit]:
    """Cut one over-long sentence into word units, so chunks and overlaps end between words."""
    pieces: list[_Unit] = []
    for match in _WORD.finditer(sentence):
        start, end = offset + match.start(), offset + match.end()
        long = end - start > _MAX_WORD_CHARS
        tokens = budget + 1 if long else counter.word(match.group())
        if tokens <= budget:
            pieces.append(watch.add(_Unit(start, end, tokens, paragraph)))
        else:
            pieces.extend(_split_word(text, start, end, counter, budget, paragraph, watch))
    return pieces


def _split_word(
    text: str,
    start: int,
    end: int,
    counter: _Counter,
    budget: int,
    paragraph: int,
    watch: _Watch,
) -> list[_Unit]:
    """Cut a word longer than the budget or than WordPiece reads (unspaced CJK, a megabyte of
    letters) into the longest prefixes of at most _PIECE_CHARS characters."""
    pieces: list[_Unit] = []
    while start < end:
        cut, tokens = _prefix_fit(text, start, min(end, start + _PIECE_CHARS), counter, budget)
        pieces.append(watch.add(_Unit(start, cut, tokens, paragraph)))
        start = cut
    return pieces


def _prefix_fit(text: str, start: int, end: int, counter: _Counter, budget: int) -> tuple[int, int]:
    """A cut in (start, end] whose prefix nearly fills the budget, and the prefix's tokens."""
    fit, fit_tokens, too_long = start, 0, end + 1
    cut = min(end, start + budget)
    # Interpolating on the token/character ratio usually lands within the slack in 1-2 probes.
    while True:
        tokens = counter.text(text[start:cut])
        if tokens <= budget:
            fit, fit_tokens = cut, tokens
            if cut == end or tokens >= budget - budget // 10:
                return fit, fit_tokens
        else:
            too_long = cut
        if too_long - fit <= 1:
            break
        guess = start + (cut - start) * budget // max(tokens, 1)
        cut = min(max(guess, fit + 1), too_long - 1)
    if fit == start:  # not even one character fits: take it anyway rather than loop forever
        return start + 1, counter.text(text[start : start + 1])
    return fit, fit_tokens


def _pack(
    units: list[_Unit],
    text: str,
    counter: _Counter,
    budget: int,
    overlap: int,
    limit: int | None = None,
    check: Callable[[], None] = _no_check,
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
    units: list[_Unit], prefix: list[int], start: int, least: int, end: int, budget: int
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


def _heading_end(units: list[_Unit], text: str, least: int, end: int) -> int:
    """Move the end back before the headings that would close the chunk ("Troubleshooting"
    above a table that begins the next one): a heading goes with the text it titles."""
    while least < end < len(units) and _lone_title(units, text, end - 1):
        end -= 1
    return end


def _lone_title(units: list[_Unit], text: str, index: int) -> bool:
    """Whether units[index] is a paragraph of its own that may title what follows it."""
    unit = units[index]
    alone = (index == 0 or units[index - 1].paragraph != unit.paragraph) and (
        index + 1 == len(units) or units[index + 1].paragraph != unit.paragraph
    )
    return alone and may_title(text[unit.start : unit.end])


def _overlap_start(units: list[_Unit], start: int, end: int, overlap: int, budget: int) -> int:
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
    units: list[_Unit], prefix: list[int], text: str, counter: _Counter, start: int, end: int
) -> int:
    """Tokens, specials included, of the page text covered by units[start:end]."""
    joins = (text[units[i - 1].end : units[i].start] for i in range(start + 1, end))
    if all(_SAFE_JOIN.fullmatch(join) for join in joins):
        # WordPiece never spans ASCII whitespace, so per-unit counts add up exactly.
        return prefix[end] - prefix[start] + counter.special
    return counter.count_tokens(text[units[start].start : units[end - 1].end])
