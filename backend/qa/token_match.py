"""Late interaction for the retrieved sentences: each question token's best match among a
sentence's tokens, and among its whole passage's, read from the passage's own encoder run.

A sentence vector is one average; the answer sentence and a sentence that merely shares the
question's topic can average alike. Comparing token by token ("re-established" with
"brought back", "1991" with "when") separates them better, and it also says when nothing in
the library matches the question closely: the "not found" line moved with it (see
`ANSWER_MIN_SCORE`). Each sentence's match is added to its passage's (every question token's
best match anywhere in the passage, at `PASSAGE_MATCH_WEIGHT`), so a sentence gains when the
passage around it holds the rest of what was asked; on squad-val this raised hit@1 and
cited@5 by a point, on squad-dev a little less.

A passage's token states are computed when it is embedded at processing and stored with it
(`pooling.pack_token_states`), so at question time the encoder reads the question alone,
each passage token having seen its whole passage (so "It was re-established in 1991" knows
what "it" is). A passage stored before its states were kept is read whole at question time
(dearer; `prepare-vectors`, run by `make run`, and `reindex` store them).

The question's words carry the match, not its grammar: a token of a stop word or of
punctuation ("what", "the", "?") counts a quarter of a content word's token, so a sentence
that merely shares the question's phrasing gains little, and a question whose content words
find no close match anywhere scores low ("not found").
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple, Protocol

import numpy as np

from backend.retrieval.lexical import WORD_RE, content_terms
from backend.retrieval.pooling import TokenStates

# Weight of the token match in a sentence's score, and of the passage's match in it.
TOKEN_MATCH_WEIGHT = 1.5
PASSAGE_MATCH_WEIGHT = 1.0
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


class TokenMatch(NamedTuple):
    """Each candidate's token match; and the same with its section's heading read as its own."""

    own: np.ndarray
    with_headings: np.ndarray


def token_match(
    question: str,
    candidates: Sequence[SentenceSpan],
    passages: Sequence[str],
    encoder: TokenEncoder,
    asked: TokenStates | None = None,
    stored: Sequence[TokenStates | None] | None = None,
    lent: Sequence[Sequence[tuple[int, int]]] | None = None,
    headings: Sequence[Sequence[tuple[int, int]]] | None = None,
) -> TokenMatch:
    """Each candidate's token match with the question plus its passage's match at
    `PASSAGE_MATCH_WEIGHT` (`candidates` point into `passages`; `stored`, their token states
    kept at processing, None for a passage to read now; `asked`, the question's token states
    when already computed; `lent[i]`, spans of candidate i's passage whose tokens count as its
    own: for a table's row or a list's item, the sentence introducing it); and the same with
    `headings[i]`'s tokens (its section's heading) counted as its own too."""
    out = np.zeros(len(candidates), dtype=np.float32)
    with_headings = np.zeros(len(candidates), dtype=np.float32)
    if not candidates:
        return TokenMatch(out, with_headings)
    states: list[TokenStates | None] = (
        list(stored) if stored is not None else [None] * len(passages)
    )
    by_passage: dict[int, list[int]] = {}
    for row, candidate in enumerate(candidates):
        by_passage.setdefault(candidate.passage, []).append(row)
    unread = [index for index in by_passage if states[index] is None]
    if asked is None:
        # The question in a run of its own: batched with the passages it would be padded.
        asked = encoder.token_states([question])[0]
    if unread:
        read = encoder.token_states([passages[index] for index in unread])
        for index, fresh in zip(unread, read, strict=True):
            states[index] = fresh
    weights = question_token_weights(question, asked)
    for index, rows in by_passage.items():
        passage = states[index]
        assert passage is not None
        spans = [(candidates[i].start, candidates[i].end) for i in rows]
        also = [lent[i] for i in rows] if lent is not None else None
        heads = [headings[i] for i in rows] if headings is not None else None
        whole = passage.match(asked.vectors, [(0, len(passages[index]))], weights)[0]
        own, headed = passage.match_lent(asked.vectors, spans, weights, also=also, lent=heads)
        out[rows] = own + PASSAGE_MATCH_WEIGHT * whole
        with_headings[rows] = headed + PASSAGE_MATCH_WEIGHT * whole
    return TokenMatch(out, with_headings)
