"""Late interaction for the best sentences: each question token's best match among a
sentence's tokens, read from an encoder run over the sentence and its neighbours.

A sentence vector is one average; the answer sentence and a sentence that merely shares the
question's topic can average alike. Comparing token by token ("re-established" with
"brought back", "1991" with "when") separates them better, and it also says when nothing in
the library matches the question closely: the "not found" line moved with it (see
`ANSWER_MIN_SCORE`). Only the three best sentences by the other signals are read again at
question time, each with the sentence before and after it in its passage (so "It was
re-established in 1991" knows what "it" is, and a neighbour that holds the answer is
matched too); overlapping windows are read once. That is about 200 word pieces a question,
two thirds of what reading the two best passages whole cost, and it separated answers and
"not found" better on squad-dev and squad-val alike.

The question's words carry the match, not its grammar: a token of a stop word or of
punctuation ("what", "the", "?") counts a quarter of a content word's token, so a sentence
that merely shares the question's phrasing gains little, and a question whose content words
find no close match anywhere scores low ("not found").
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np

from backend.retrieval.lexical import WORD_RE, content_terms
from backend.retrieval.pooling import TokenStates

# Weight of the token match in a sentence's score; how many of the best sentences are read
# again, and how many neighbours on each side with each.
TOKEN_MATCH_WEIGHT = 1.5
SENTENCES_READ = 3
NEIGHBOURS = 1
# A question token of a stop word or punctuation, against one of a content word.
FUNCTION_TOKEN_WEIGHT = 0.25


class TokenEncoder(Protocol):
    def token_states(self, texts: Sequence[str]) -> list[TokenStates]: ...


class SentenceSpan(Protocol):
    """A candidate sentence: which passage, and its characters there."""

    @property
    def passage(self) -> int: ...
    @property
    def start(self) -> int: ...
    @property
    def end(self) -> int: ...


def question_token_weights(question: str, states: TokenStates) -> np.ndarray:
    """One weight per question token: 1 inside a content word, `FUNCTION_TOKEN_WEIGHT`
    inside a stop word or outside any word (punctuation)."""
    content = [m.span() for m in WORD_RE.finditer(question) if content_terms(m.group())]
    weights = np.full(len(states.offsets), FUNCTION_TOKEN_WEIGHT, dtype=np.float32)
    for row, (start, end) in enumerate(states.offsets):
        if any(a <= start and end <= b for a, b in content):
            weights[row] = 1.0
    return weights


def token_match(
    question: str,
    candidates: Sequence[SentenceSpan],
    passages: Sequence[str],
    scores: np.ndarray,
    encoder: TokenEncoder,
    sentences_read: int = SENTENCES_READ,
    asked: TokenStates | None = None,
) -> np.ndarray:
    """Each candidate's token match with the question (`candidates` in passage order,
    `passages` the texts they point into; `asked`, the question's token states when already
    computed); candidates outside the windows read get the lowest match among those read, so
    they are neither lifted nor sunk by it."""
    out = np.zeros(len(candidates), dtype=np.float32)
    if not candidates:
        return out
    windows = _windows(candidates, scores, sentences_read)
    if asked is None:
        # The question in a run of its own: batched with the windows it would be padded.
        asked = encoder.token_states([question])[0]
    weights = question_token_weights(question, asked)
    texts = []
    for rows in windows:
        first, last = candidates[rows[0]], candidates[rows[-1]]
        texts.append(passages[first.passage][first.start : last.end])
    inside = np.zeros(len(candidates), dtype=bool)
    for rows, states in zip(windows, encoder.token_states(texts), strict=True):
        shift = candidates[rows[0]].start
        spans = [(candidates[i].start - shift, candidates[i].end - shift) for i in rows]
        out[rows] = states.match(asked.vectors, spans, weights)
        inside[rows] = True
    if (~inside).any():
        out[~inside] = out[inside].min()
    return out


def _windows(
    candidates: Sequence[SentenceSpan], scores: np.ndarray, sentences_read: int
) -> list[list[int]]:
    """Runs of consecutive candidates of one passage to read: each of the best
    `sentences_read` with `NEIGHBOURS` on either side, overlapping or touching runs joined."""
    by_passage: dict[int, list[int]] = {}
    for row, candidate in enumerate(candidates):
        by_passage.setdefault(candidate.passage, []).append(row)
    wanted: set[int] = set()
    for row in np.argsort(-scores, kind="stable")[:sentences_read]:
        same = by_passage[candidates[int(row)].passage]
        at = same.index(int(row))
        wanted.update(same[max(0, at - NEIGHBOURS) : at + NEIGHBOURS + 1])
    windows: list[list[int]] = []
    for rows in by_passage.values():
        run: list[int] = []
        for row in rows:
            if row in wanted:
                run.append(row)
            elif run:
                windows.append(run)
                run = []
        if run:
            windows.append(run)
    return windows
