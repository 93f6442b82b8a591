"""Which sentences make the answer shown: the best one; its neighbour in the same passage
when that scored nearly as well (a two-sentence answer reads as one passage); and the sentence
before the first of them when that one opens pointing back ("It appoints the board ..." needs
the sentence naming what "it" is: `sentence_roles.points_back`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, TypeVar

import numpy as np

from backend.qa.sentence_roles import points_back

SECOND_SENTENCE_MARGIN = 0.5
ADJACENT_ONLY = True


class Sentence(Protocol):
    """A candidate sentence: its passage, its characters there, its text, whether it may
    stand as an answer."""

    @property
    def passage(self) -> int: ...
    @property
    def start(self) -> int: ...
    @property
    def text(self) -> str: ...
    @property
    def stands(self) -> bool: ...


S = TypeVar("S", bound=Sentence)


def answer_sentences(candidates: Sequence[S], scores: np.ndarray, order: np.ndarray) -> list[S]:
    """The answer's sentences (unsorted): `order` ranks `candidates` by `scores`, best first;
    candidates are in passage order, each passage's sentences in text order."""
    chosen = [candidates[order[0]]]
    runner_up = _runner_up(candidates, scores, order)
    if runner_up is not None:
        chosen.append(runner_up)
    chosen.extend(_antecedent(candidates, chosen))
    return chosen


def _runner_up(candidates: Sequence[S], scores: np.ndarray, order: np.ndarray) -> S | None:
    """The best other sentence, when nearly as good and (if ADJACENT_ONLY) next to the best
    one in the same passage, so a two-sentence answer reads as one passage."""
    best = candidates[order[0]]
    for index in order[1:]:
        if float(scores[order[0]]) - float(scores[index]) > SECOND_SENTENCE_MARGIN:
            return None
        other = candidates[index]
        if other.text == best.text:
            continue
        if not ADJACENT_ONLY or _adjacent(best, other, candidates):
            return other
    return None


def _antecedent(candidates: Sequence[S], chosen: list[S]) -> list[S]:
    """The sentence before the answer's first (same passage), when that one opens pointing
    back at it: the answer then says what "it" or "they" is."""
    first = min(chosen, key=lambda c: (c.passage, c.start))
    if not points_back(first.text):
        return []
    at = candidates.index(first)
    if at == 0:
        return []
    before = candidates[at - 1]
    if before.passage != first.passage or not before.stands or before in chosen:
        return []
    return [before]


def _adjacent(first: Sentence, second: Sentence, candidates: Sequence[Sentence]) -> bool:
    if first.passage != second.passage:
        return False
    same = sorted(c.start for c in candidates if c.passage == first.passage)
    a, b = same.index(first.start), same.index(second.start)
    return abs(a - b) == 1
