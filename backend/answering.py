"""Answers from retrieved passages: the extractive answerer (default, offline)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from backend.ingest import split_sentences

if TYPE_CHECKING:
    from backend.retrieval.embeddings import Embedder

NOT_FOUND = "No answer found in your documents."
WORD_RE = re.compile(r"[a-z0-9]+")
STOPWORDS = frozenset(
    """a an the of in on at to for from by with and or but is are was were be been being do does
    did what which who whom whose when where why how this that these those it its as into than
    then there their they them he she his her we our you your i me my not no can could would
    should will shall may might must has have had about after before during over under between
    many much more most some any each other such only also very so if""".split()
)


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk with what a citation needs."""

    chunk_id: int
    document_id: int
    filename: str
    page: int | None
    text: str
    score: float


@dataclass
class Answer:
    text: str
    found: bool
    sources: list[dict[str, Any]] = field(default_factory=list)


def content_words(text: str) -> set[str]:
    """Lower-cased words that carry meaning (no stopwords)."""
    return {w for w in WORD_RE.findall(text.lower()) if w not in STOPWORDS}


def source_dict(passage: Passage, highlight: tuple[int, int] | None) -> dict[str, Any]:
    """A citation in the API's shape."""
    return {
        "document_id": passage.document_id,
        "filename": passage.filename,
        "page": passage.page,
        "chunk_id": passage.chunk_id,
        "text": passage.text,
        "score": round(passage.score, 4),
        "highlight": list(highlight) if highlight else None,
    }


def extractive_answer(
    question: str,
    question_vector: np.ndarray,
    passages: list[Passage],
    *,
    embedder: Embedder,
    min_score: float,
    candidate_passages: int = 3,
) -> Answer:
    """The sentence from the top passages that best answers the question, with citations."""
    if not passages or passages[0].score < min_score:
        return Answer(text=NOT_FOUND, found=False, sources=[])
    candidates = _candidate_sentences(passages[:candidate_passages])
    if not candidates:
        return Answer(text=NOT_FOUND, found=False, sources=[])
    vectors = embedder.embed([c[2] for c in candidates])
    semantic = vectors @ question_vector
    q_words = content_words(question)
    best_index, best_score = 0, -1.0
    for i, (p_index, _span, sentence) in enumerate(candidates):
        overlap = len(q_words & content_words(sentence)) / max(1, len(q_words))
        score = float(semantic[i]) + 0.35 * overlap + 0.15 * passages[p_index].score
        if score > best_score:
            best_index, best_score = i, score
    p_index, span, sentence = candidates[best_index]
    sources = [source_dict(p, span if i == p_index else None) for i, p in enumerate(passages)]
    # The cited passage holding the answer comes first.
    sources.insert(0, sources.pop(p_index))
    return Answer(text=sentence, found=True, sources=sources)


def _candidate_sentences(passages: list[Passage]) -> list[tuple[int, tuple[int, int], str]]:
    out = []
    for p_index, passage in enumerate(passages):
        for span in split_sentences(passage.text):
            sentence = span.text.strip()
            if len(WORD_RE.findall(sentence)) >= 3:
                out.append((p_index, (span.start, span.end), sentence))
    return out
