"""The one wrapper around Qdrant: collection, tenancy filter, local or server mode."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Literal

import numpy as np
from qdrant_client import QdrantClient, models

from backend.config import Settings
from backend.retrieval.points import (
    ChunkPoint,
    Hit,
    condition,
    equals_filter,
    point_id,
    tenant_filter,
    to_hit,
)
from backend.retrieval.sparse import query_vector

DENSE = "dense"
LEXICAL = "lexical"
RRF_K = 60
SearchMode = Literal["dense", "sparse", "hybrid"]


class VectorStore:
    """Chunks of every user in one collection; every query is filtered to one user."""

    def __init__(self, client: QdrantClient, *, collection: str, dim: int, local: bool) -> None:
        self.client = client
        self.collection = collection
        self.dim = dim
        self.local = local
        # Local mode is a single in-process engine; serialise access from worker threads.
        self._lock = threading.RLock()

    @classmethod
    def from_settings(cls, settings: Settings, dim: int = 384) -> VectorStore:
        """Server mode when QDRANT_URL is set, else local mode under QDRANT_PATH."""
        if settings.qdrant_url:
            client = QdrantClient(
                url=settings.qdrant_url, api_key=settings.qdrant_api_key or None, timeout=10
            )
            return cls(client, collection=settings.qdrant_collection, dim=dim, local=False)
        path = settings.qdrant_local_path
        path.mkdir(parents=True, exist_ok=True)
        client = QdrantClient(path=str(path))
        return cls(client, collection=settings.qdrant_collection, dim=dim, local=True)

    @contextmanager
    def _guard(self) -> Iterator[None]:
        if self.local:
            with self._lock:
                yield
        else:
            yield

    def ensure_collection(self) -> None:
        """Create the collection and its payload indexes if missing."""
        with self._guard():
            if self.client.collection_exists(self.collection):
                return
            self.client.create_collection(
                self.collection,
                vectors_config={
                    DENSE: models.VectorParams(size=self.dim, distance=models.Distance.COSINE)
                },
                sparse_vectors_config={
                    LEXICAL: models.SparseVectorParams(modifier=models.Modifier.IDF)
                },
            )
            if not self.local:
                self._create_indexes()

    def _create_indexes(self) -> None:
        self.client.create_payload_index(
            self.collection,
            field_name="user_id",
            field_schema=models.IntegerIndexParams(
                type=models.IntegerIndexType.INTEGER, lookup=True, range=False
            ),
        )
        self.client.create_payload_index(
            self.collection, field_name="document_id", field_schema=models.PayloadSchemaType.INTEGER
        )

    def replace_document(self, document_id: int, points: Sequence[ChunkPoint]) -> None:
        """Make the document's points exactly these (idempotent)."""
        with self._guard():
            self.delete_document(document_id)
            batch: list[models.PointStruct] = []
            for point in points:
                batch.append(self._point(point))
                if len(batch) >= 256:
                    self.client.upsert(self.collection, points=batch, wait=True)
                    batch = []
            if batch:
                self.client.upsert(self.collection, points=batch, wait=True)

    @staticmethod
    def _point(point: ChunkPoint) -> models.PointStruct:
        payload: dict[str, Any] = {
            "user_id": point.user_id,
            "document_id": point.document_id,
            "ordinal": point.ordinal,
            "page": point.page,
            "text": point.text,
        }
        vectors: dict[str, Any] = {DENSE: point.vector.astype(float).tolist()}
        if point.sparse is not None and point.sparse.indices:
            vectors[LEXICAL] = models.SparseVector(
                indices=point.sparse.indices, values=point.sparse.values
            )
        return models.PointStruct(
            id=point_id(point.document_id, point.ordinal), vector=vectors, payload=payload
        )

    def delete_document(self, document_id: int) -> None:
        """Remove every point of the document."""
        with self._guard():
            self.client.delete(
                self.collection,
                points_selector=models.FilterSelector(
                    filter=equals_filter("document_id", document_id)
                ),
                wait=True,
            )

    def delete_user(self, user_id: int) -> None:
        """Remove every point of the user (account deletion)."""
        with self._guard():
            self.client.delete(
                self.collection,
                points_selector=models.FilterSelector(filter=equals_filter("user_id", user_id)),
                wait=True,
            )

    def document_ids(self, batch: int = 1000) -> set[int]:
        """Every document id that has points (for the orphaned-vector clean-up)."""
        found: set[int] = set()
        offset: Any = None
        with self._guard():
            while True:
                points, offset = self.client.scroll(
                    self.collection,
                    limit=batch,
                    offset=offset,
                    with_payload=["document_id"],
                    with_vectors=False,
                )
                found.update(int((p.payload or {})["document_id"]) for p in points)
                if offset is None:
                    return found

    def count(self, *, user_id: int | None = None, document_id: int | None = None) -> int:
        """Points for a user and/or a document (exact)."""
        conditions: list[models.Condition] = []
        if user_id is not None:
            conditions.append(condition("user_id", user_id))
        if document_id is not None:
            conditions.append(condition("document_id", document_id))
        with self._guard():
            result = self.client.count(
                self.collection, count_filter=models.Filter(must=conditions), exact=True
            )
        return int(result.count)

    def search(
        self,
        vector: np.ndarray,
        *,
        user_id: int,
        document_ids: Sequence[int] | None = None,
        limit: int = 5,
        query_text: str = "",
        mode: SearchMode = "dense",
        candidates: int = 30,
    ) -> list[Hit]:
        """The user's best chunks (never another user's): dense, lexical, or both fused (RRF)."""
        flt = tenant_filter(user_id, document_ids)
        if mode == "dense" or (mode == "hybrid" and not query_text):
            return [to_hit(p, similarity=p.score) for p in self._dense(vector, flt, limit)]
        lexical = self._lexical(query_text, flt, candidates if mode == "hybrid" else limit)
        if mode == "sparse":
            return [to_hit(p, lexical=p.score) for p in lexical]
        dense = self._dense(vector, flt, candidates)
        return self._fuse(vector, dense, lexical)[:limit]

    def _dense(
        self, vector: np.ndarray, flt: models.Filter, limit: int
    ) -> list[models.ScoredPoint]:
        with self._guard():
            return self.client.query_points(
                self.collection,
                query=vector.astype(float).tolist(),
                using=DENSE,
                query_filter=flt,
                limit=limit,
                with_payload=True,
            ).points

    def _lexical(self, text: str, flt: models.Filter, limit: int) -> list[models.ScoredPoint]:
        sparse = query_vector(text)
        if not sparse.indices:
            return []
        query = models.SparseVector(indices=sparse.indices, values=sparse.values)
        with self._guard():
            return self.client.query_points(
                self.collection,
                query=query,
                using=LEXICAL,
                query_filter=flt,
                limit=limit,
                with_payload=True,
            ).points

    def _fuse(
        self,
        vector: np.ndarray,
        dense: list[models.ScoredPoint],
        lexical: list[models.ScoredPoint],
    ) -> list[Hit]:
        fused: dict[Any, float] = {}
        for ranked in (dense, lexical):
            for rank, point in enumerate(ranked):
                fused[point.id] = fused.get(point.id, 0.0) + 1.0 / (RRF_K + rank + 1)
        similarity = {p.id: p.score for p in dense}
        lexical_score = {p.id: p.score for p in lexical}
        points = {p.id: p for p in (*lexical, *dense)}
        missing = [pid for pid in fused if pid not in similarity]
        similarity.update(self._similarities(vector, missing))
        order = sorted(fused, key=lambda pid: fused[pid], reverse=True)
        return [
            to_hit(
                points[pid],
                score=fused[pid],
                similarity=similarity.get(pid, 0.0),
                lexical=lexical_score.get(pid, 0.0),
            )
            for pid in order
        ]

    def _similarities(self, vector: np.ndarray, ids: list[Any]) -> dict[Any, float]:
        """Dense cosine of points found only lexically (vectors are stored normalised)."""
        if not ids:
            return {}
        with self._guard():
            records = self.client.retrieve(self.collection, ids=ids, with_vectors=[DENSE])
        out = {}
        for record in records:
            stored = record.vector.get(DENSE) if isinstance(record.vector, dict) else None
            if stored is not None:
                out[record.id] = float(np.dot(np.asarray(stored, dtype=np.float32), vector))
        return out

    def close(self) -> None:
        """Release the client (and the local-mode folder lock)."""
        with self._guard():
            self.client.close()
