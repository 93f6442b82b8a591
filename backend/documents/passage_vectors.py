"""What is stored of a passage's encoder run: its vector (for search), its sentences' vectors
(for the answer) and its token states (for the token match), from one run; used when a
document is processed and when the vectors are rebuilt."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from backend.documents.ingest import split_sentences
from backend.retrieval.embeddings import Embedder
from backend.retrieval.pooling import Span, pack_token_states, pack_vectors


@dataclass(frozen=True)
class PassageReading:
    """A passage's sentence spans with their vectors (one row per span) and its token states,
    packed as stored (a long document's states unpacked would hold hundreds of megabytes)."""

    spans: list[Span]
    sentences: np.ndarray
    tokens: bytes


def embed_passages(
    embedder: Embedder, texts: Sequence[str]
) -> tuple[np.ndarray, list[PassageReading]]:
    """Each passage's vector, and what its chunk row stores of the same encoder run."""
    spans = [[(s.start, s.end) for s in split_sentences(text)] for text in texts]
    vectors, rows, states = embedder.read_passages(texts, spans)
    readings = [
        PassageReading(cut, part, pack_token_states(tokens))
        for cut, part, tokens in zip(spans, rows, states, strict=True)
    ]
    return vectors, readings


def passage_columns(reading: PassageReading) -> dict[str, Any]:
    """The chunk row's columns that hold its sentences and token states."""
    return {
        "sentence_spans": [list(span) for span in reading.spans],
        "sentence_vectors": pack_vectors(reading.sentences),
        "token_states": reading.tokens,
    }
