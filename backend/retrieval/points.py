"""What the vector store holds and returns (points, hits, their stable ids) and the payload
filters that keep every query, count and delete inside one user's points."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from qdrant_client import models

from backend.retrieval.sparse import Sparse

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
    """A retrieved chunk; `score` orders the results, `similarity` is the dense cosine."""

    document_id: int
    ordinal: int
    page: int | None
    text: str
    score: float
    similarity: float = 0.0
    lexical: float = 0.0


def condition(key: str, value: int) -> models.FieldCondition:
    return models.FieldCondition(key=key, match=models.MatchValue(value=value))


def equals_filter(key: str, value: int) -> models.Filter:
    return models.Filter(must=[condition(key, value)])


def tenant_filter(user_id: int, document_ids: Sequence[int] | None) -> models.Filter:
    conditions: list[models.Condition] = [condition("user_id", user_id)]
    if document_ids:
        conditions.append(
            models.FieldCondition(key="document_id", match=models.MatchAny(any=list(document_ids)))
        )
    return models.Filter(must=conditions)


def to_hit(
    point: models.ScoredPoint,
    *,
    score: float | None = None,
    similarity: float = 0.0,
    lexical: float = 0.0,
) -> Hit:
    payload = point.payload or {}
    return Hit(
        document_id=int(payload["document_id"]),
        ordinal=int(payload["ordinal"]),
        page=payload.get("page"),
        text=str(payload.get("text", "")),
        score=float(point.score if score is None else score),
        similarity=similarity,
        lexical=lexical,
    )
