"""A page's text as units for chunking: its sentences with their token counts, a sentence
longer than a chunk cut between words (and a word longer than WordPiece reads cut into
pieces), each unit knowing its paragraph."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

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


@dataclass(frozen=True)
class Unit:
    """A sentence, or a piece of an over-long one: page-text offsets and tokens sans specials."""

    start: int
    end: int
    tokens: int
    paragraph: int


class Counter:
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


def no_check() -> None:
    return None


class Full(Exception):
    """The units hold more tokens than the chunks still allowed can: the cap will be passed."""


class Watch:
    """Tallies the tokens of the units made so far: calls `check` every few units, and raises
    Full once they are more than `most_tokens`."""

    def __init__(self, check: Callable[[], None], most_tokens: int | None) -> None:
        self.check = check
        self.most_tokens = most_tokens
        self.tokens = 0
        self.units = 0

    def add(self, unit: Unit) -> Unit:
        self.tokens += unit.tokens
        self.units += 1
        if self.units % 64 == 0:
            self.check()
        if self.most_tokens is not None and self.tokens > self.most_tokens:
            raise Full
        return unit


def sentence_units(text: str, counter: Counter, budget: int, watch: Watch) -> list[Unit]:
    """Sentences of the text in order, over-long ones cut into word-boundary pieces."""
    units: list[Unit] = []
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
                units.append(watch.add(Unit(start, start + len(span.text), tokens, number)))
            else:
                units.extend(_split_long(text, start, span.text, counter, budget, number, watch))
    return units


def _split_long(
    text: str,
    offset: int,
    sentence: str,
    counter: Counter,
    budget: int,
    paragraph: int,
    watch: Watch,
) -> list[Unit]:
    """Cut one over-long sentence into word units, so chunks and overlaps end between words."""
    pieces: list[Unit] = []
    for match in _WORD.finditer(sentence):
        start, end = offset + match.start(), offset + match.end()
        long = end - start > _MAX_WORD_CHARS
        tokens = budget + 1 if long else counter.word(match.group())
        if tokens <= budget:
            pieces.append(watch.add(Unit(start, end, tokens, paragraph)))
        else:
            pieces.extend(_split_word(text, start, end, counter, budget, paragraph, watch))
    return pieces


def _split_word(
    text: str,
    start: int,
    end: int,
    counter: Counter,
    budget: int,
    paragraph: int,
    watch: Watch,
) -> list[Unit]:
    """Cut a word longer than the budget or than WordPiece reads (unspaced CJK, a megabyte of
    letters) into the longest prefixes of at most _PIECE_CHARS characters."""
    pieces: list[Unit] = []
    while start < end:
        cut, tokens = _prefix_fit(text, start, min(end, start + _PIECE_CHARS), counter, budget)
        pieces.append(watch.add(Unit(start, cut, tokens, paragraph)))
        start = cut
    return pieces


def _prefix_fit(text: str, start: int, end: int, counter: Counter, budget: int) -> tuple[int, int]:
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
