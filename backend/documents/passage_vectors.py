"""A passage's vectors: its own (for search) and its sentences' (for the answer), from one
encoder run; used when a document is processed and when the vectors are rebuilt."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from backend.documents.ingest import split_sentences
from backend.retrieval.embeddings import Embedder
from backend.retrieval.pooling import Span, pack_vectors

# A passage's sentence spans and their vectors, one row per span.
SentenceVectors = tuple[list[Span], np.ndarray]


def embed_passages(
    embedder: Embedder, texts: Sequence[str]
) -> tuple[np.ndarray, list[SentenceVectors]]:
    """Each passage's vector, and its sentences' spans and vectors."""
    spans = [[(s.start, s.end) for s in split_sentences(text)] for text in texts]
    vectors, rows = embedder.embed_with_spans(texts, spans)
    return vectors, list(zip(spans, rows, strict=True))


def sentence_columns(sentences: SentenceVectors) -> dict[str, Any]:
    """The chunk row's columns that hold its sentences."""
    spans, rows = sentences
    return {
        "sentence_spans": [list(span) for span in spans],
        "sentence_vectors": pack_vectors(rows),
    }
