"""The vector store on a Qdrant server (`QDRANT_URL`), through qdrant-client.

For deployments with several worker processes or machines (docker-compose, Kubernetes). The
collection has the embedded shard's shape; see `vector_store` for the contract.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

from qdrant_client import QdrantClient, models

from backend.config import Settings
from backend.retrieval.lexical import Sparse
from backend.retrieval.points import ChunkPoint, point_id
from backend.retrieval.vector_store import (
    DENSE,
    DIMENSIONS,
    LEXICAL,
    Found,
    Scored,
    Signal,
    VectorStore,
    chunk_payload,
    dense_of,
)

BATCH = 256


def _condition(key: str, value: int) -> models.FieldCondition:
    return models.FieldCondition(key=key, match=models.MatchValue(value=value))


def _tenant_filter(user_id: int, document_ids: Sequence[int] | None) -> models.Filter:
    conditions: list[models.Condition] = [_condition("user_id", user_id)]
    if document_ids:
        conditions.append(
            models.FieldCondition(key="document_id", match=models.MatchAny(any=list(document_ids)))
        )
    return models.Filter(must=conditions)


class ServerStore(VectorStore):
    """One collection on a Qdrant server (or anything that speaks its API through the client)."""

    def __init__(self, client: QdrantClient, *, collection: str, dim: int = DIMENSIONS) -> None:
        self.client = client
        self.collection = collection
        self.dim = dim
        self.where = f"collection {collection!r}"
        self.ensure_collection()

    @classmethod
    def connect(cls, settings: Settings, dim: int = DIMENSIONS) -> ServerStore:
        client = QdrantClient(
            url=settings.qdrant_url, api_key=settings.qdrant_api_key or None, timeout=10
        )
        store = cls(client, collection=settings.qdrant_collection, dim=dim)
        store.where = f"{settings.qdrant_url} collection {settings.qdrant_collection!r}"
        return store

    def ensure_collection(self) -> None:
        """Create the collection and its payload indexes if missing; note whether an existing
        one carries the IDF modifier (made before per-account statistics)."""
        if self.client.collection_exists(self.collection):
            params = self.client.get_collection(self.collection).config.params
            lexical = (params.sparse_vectors or {}).get(LEXICAL)
            self.engine_idf = lexical is not None and lexical.modifier == models.Modifier.IDF
            return
        self.engine_idf = False
        self.client.create_collection(
            self.collection,
            vectors_config={
                DENSE: models.VectorParams(size=self.dim, distance=models.Distance.COSINE)
            },
            # No IDF modifier: the question's weights carry the asking account's IDF.
            sparse_vectors_config={LEXICAL: models.SparseVectorParams()},
        )
        with warnings.catch_warnings():
            # qdrant-client's local mode (standing in for a server in tests) keeps no payload
            # indexes and says so; a server builds them.
            warnings.filterwarnings("ignore", message="Payload indexes have no effect")
            self.client.create_payload_index(
                self.collection,
                field_name="user_id",
                field_schema=models.IntegerIndexParams(
                    type=models.IntegerIndexType.INTEGER, lookup=True, range=False
                ),
            )
            self.client.create_payload_index(
                self.collection,
                field_name="document_id",
                field_schema=models.PayloadSchemaType.INTEGER,
            )

    def reset(self) -> None:
        self.client.delete_collection(self.collection)
        self.ensure_collection()

    def replace_document(self, document_id: int, points: Sequence[ChunkPoint]) -> None:
        self.delete_document(document_id)
        batch: list[models.PointStruct] = []
        for point in points:
            batch.append(self._point(point))
            if len(batch) >= BATCH:
                self.client.upsert(self.collection, points=batch, wait=True)
                batch = []
        if batch:
            self.client.upsert(self.collection, points=batch, wait=True)

    @staticmethod
    def _point(point: ChunkPoint) -> models.PointStruct:
        vectors: dict[str, Any] = {DENSE: point.vector.astype(float).tolist()}
        if point.sparse is not None and point.sparse.indices:
            vectors[LEXICAL] = models.SparseVector(
                indices=point.sparse.indices, values=point.sparse.values
            )
        return models.PointStruct(
            id=point_id(point.document_id, point.ordinal),
            vector=vectors,
            payload=chunk_payload(point),
        )

    def _delete(self, key: str, value: int) -> None:
        self.client.delete(
            self.collection,
            points_selector=models.FilterSelector(
                filter=models.Filter(must=[_condition(key, value)])
            ),
            wait=True,
        )

    def delete_document(self, document_id: int) -> None:
        self._delete("document_id", document_id)

    def delete_user(self, user_id: int) -> None:
        self._delete("user_id", user_id)

    def count(self, *, user_id: int | None = None, document_id: int | None = None) -> int:
        conditions: list[models.Condition] = []
        if user_id is not None:
            conditions.append(_condition("user_id", user_id))
        if document_id is not None:
            conditions.append(_condition("document_id", document_id))
        result = self.client.count(
            self.collection, count_filter=models.Filter(must=conditions), exact=True
        )
        return int(result.count)

    def document_ids(self) -> set[int]:
        found: set[int] = set()
        offset: Any = None
        while True:
            points, offset = self.client.scroll(
                self.collection,
                limit=1000,
                offset=offset,
                with_payload=["document_id"],
                with_vectors=False,
            )
            found.update(int((p.payload or {})["document_id"]) for p in points)
            if offset is None:
                return found

    def _nearest(
        self, *, user_id: int, document_ids: Sequence[int] | None, signal: Signal, limit: int
    ) -> Scored:
        query: Any
        if isinstance(signal, Sparse):
            query = models.SparseVector(indices=signal.indices, values=signal.values)
            using = LEXICAL
        else:
            query, using = signal.astype(float).tolist(), DENSE
        points = self.client.query_points(
            self.collection,
            query=query,
            using=using,
            query_filter=_tenant_filter(user_id, document_ids),
            limit=limit,
            with_payload=False,
            with_vectors=False,
        ).points
        return [(str(p.id), float(p.score)) for p in points]

    def _points(self, ids: Sequence[str]) -> dict[str, Found]:
        if not ids:
            return {}
        records = self.client.retrieve(
            self.collection, list(ids), with_payload=True, with_vectors=[DENSE]
        )
        return {str(r.id): Found(r.payload or {}, dense_of(r.vector)) for r in records}

    def close(self) -> None:
        self.client.close()
