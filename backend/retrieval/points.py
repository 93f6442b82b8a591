"""What the vector store holds and returns: points, hits and their stable ids."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import numpy as np

from backend.retrieval.lexical import Sparse

POINT_NAMESPACE = uuid.UUID("6f1d7c4e-31a2-4bb0-9f58-0c6a7f0d2e11")


def point_id(document_id: int, ordinal: int) -> str:
    """A stable point id, so re-processing a document overwrites instead of duplicating."""
    return str(uuid.uuid5(POINT_NAMESPACE, f"{document_id}:{ordinal}"))


@dataclass(frozen=True)
class ChunkPoint:
    document_id: int
    user_id: int
    ordinal: int
    page: int | None
    text: str
    vector: np.ndarray
    sparse: Sparse | None = None


@dataclass(frozen=True)
class Hit:
    """A retrieved chunk; `score` orders the results (the engine's: cosine, BM25 or fused
    rank), `similarity` is the dense cosine to the question."""

    document_id: int
    ordinal: int
    page: int | None
    text: str
    score: float
    similarity: float = 0.0
