"""Late interaction for the best passages: each question token's best match among a
sentence's tokens, read from the passage's own encoder run.

A sentence vector is one average; the answer sentence and a sentence that merely shares the
question's topic can average alike. Comparing token by token ("re-established" with
"brought back", "1991" with "when") separates them better, and it also says when nothing in
the library matches the question closely: the "not found" line moved with it (see
`ANSWER_MIN_SCORE`). The passages are read again at question time, only the few whose best
sentence scores highest (two, about 20 ms on two cores).

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

# Weight of the token match in a sentence's score, and how many passages are read again.
TOKEN_MATCH_WEIGHT = 1.5
PASSAGES_READ = 2
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
    passages_read: int = PASSAGES_READ,
    asked: TokenStates | None = None,
) -> np.ndarray:
    """Each candidate's token match with the question (`passages` are the texts the
    candidates point into; `asked`, the question's token states when already computed);
    candidates outside the passages read get the lowest match among those read, so they are
    neither lifted nor sunk by it."""
    out = np.zeros(len(candidates), dtype=np.float32)
    if not candidates:
        return out
    best: dict[int, float] = {}
    for candidate, score in zip(candidates, scores, strict=True):
        best[candidate.passage] = max(best.get(candidate.passage, -np.inf), float(score))
    read = sorted(best, key=lambda p: (-best[p], p))[:passages_read]
    # The question in a run of its own: batched with the passages it would be padded to
    # their length.
    if asked is None:
        asked = encoder.token_states([question])[0]
    weights = question_token_weights(question, asked)
    states = encoder.token_states([passages[p] for p in read])
    inside = np.zeros(len(candidates), dtype=bool)
    for passage, text_states in zip(read, states, strict=True):
        rows = [i for i, c in enumerate(candidates) if c.passage == passage]
        spans = [(candidates[i].start, candidates[i].end) for i in rows]
        out[rows] = text_states.match(asked.vectors, spans, weights)
        inside[rows] = True
    if (~inside).any():
        out[~inside] = out[inside].min()
    return out
