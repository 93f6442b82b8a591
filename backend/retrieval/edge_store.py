"""The embedded vector store: a Qdrant Edge shard (Qdrant's engine in this process).

One process owns the folder (the worker, in `make run`); a second one gets a clear error
naming the folder and its owner. Writes go through the shard's write-ahead log, so a killed
worker loses nothing it acknowledged; `flush` writes segments.
"""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import qdrant_edge as qe

from backend.retrieval.lexical import Sparse
from backend.retrieval.points import ChunkPoint, point_id
from backend.retrieval.shard_owner import OWNER_FILE, busy, claim, release
from backend.retrieval.vector_store import (
    DENSE,
    DIMENSIONS,
    LEXICAL,
    Found,
    Scored,
    Signal,
    VectorStore,
    VectorStoreUnavailable,
    chunk_payload,
    dense_of,
)

BATCH = 512
CONFIG_FILE = "edge_config.json"


def _config(dim: int) -> qe.EdgeConfig:
    # No IDF modifier: the question's weights carry the IDF of the asking account (term_stats).
    return qe.EdgeConfig(
        vectors={DENSE: qe.EdgeVectorParams(size=dim, distance=qe.Distance.Cosine)},
        sparse_vectors={LEXICAL: qe.EdgeSparseVectorParams()},
    )


def _has_engine_idf(folder: Path) -> bool:
    """Whether the shard's lexical vectors carry the IDF modifier (a shard made before
    per-account statistics); the engine refuses to load it with the current config."""
    try:
        config = json.loads((folder / CONFIG_FILE).read_text())
        modifier = config["sparse_vectors"][LEXICAL].get("modifier")
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return False
    return str(modifier).lower() == "idf"


def _match(key: str, value: int) -> qe.FieldCondition:
    return qe.FieldCondition(key=key, match=qe.MatchValue(value=value))


def _tenant_filter(user_id: int, document_ids: Sequence[int] | None) -> qe.Filter:
    must: list[Any] = [_match("user_id", user_id)]
    if document_ids:
        must.append(qe.FieldCondition(key="document_id", match=qe.MatchAny(any=list(document_ids))))
    return qe.Filter(must=must)


class EdgeStore(VectorStore):
    """Every user's chunks in one Edge shard under `folder`."""

    def __init__(
        self, shard: qe.EdgeShard, folder: Path, dim: int = DIMENSIONS, owner_fd: int = -1
    ) -> None:
        self.shard = shard
        self._owner_fd = owner_fd
        self.folder = folder
        self.dim = dim
        self.where = str(folder)
        self._lock = threading.RLock()
        self._closed = False

    @classmethod
    def open(cls, folder: Path, dim: int = DIMENSIONS) -> EdgeStore:
        """Open the shard in `folder`, creating it when the folder holds none."""
        folder.mkdir(parents=True, exist_ok=True)
        # Our own lock first: the engine may touch segment files before it finds its WAL
        # locked, and that must never happen to a shard another process is writing.
        owner_fd = claim(folder)
        exists = (folder / CONFIG_FILE).exists()
        try:
            if exists:
                shard = qe.EdgeShard.load(str(folder))
            else:
                shard = qe.EdgeShard.create(str(folder), _config(dim))
        except Exception as exc:  # the binding raises a bare Exception with the engine's text
            release(owner_fd)
            raise _open_error(folder, exc, exists) from exc
        store = cls(shard, folder, dim, owner_fd)
        store.engine_idf = exists and _has_engine_idf(folder)
        if not exists:
            store._create_indexes()
        return store

    def reset(self) -> None:
        with self._guard():
            self.shard.close()
            for entry in self.folder.iterdir():
                if entry.name == OWNER_FILE:  # ours, and locked while we hold the folder
                    continue
                if entry.is_dir():
                    shutil.rmtree(entry)
                else:
                    entry.unlink()
            try:
                self.shard = qe.EdgeShard.create(str(self.folder), _config(self.dim))
            except Exception as exc:
                self._closed = True
                release(self._owner_fd)
                raise _open_error(self.folder, exc, False) from exc
            self.engine_idf = False
            self._create_indexes()

    def _create_indexes(self) -> None:
        with self._lock:
            self.shard.update(
                qe.UpdateOperation.create_field_index(
                    "user_id", qe.IntegerIndexParams(lookup=True, range=False)
                )
            )
            self.shard.update(
                qe.UpdateOperation.create_field_index("document_id", qe.PayloadSchemaType.Integer)
            )
            self.shard.flush()

    @contextmanager
    def _guard(self) -> Iterator[None]:
        with self._lock:
            if self._closed:
                raise VectorStoreUnavailable(f"The vector store at {self.folder} is closed.")
            yield

    # --- writing
    def replace_document(self, document_id: int, points: Sequence[ChunkPoint]) -> None:
        with self._guard():
            self.shard.update(
                qe.UpdateOperation.delete_points_by_filter(
                    qe.Filter(must=[_match("document_id", document_id)])
                )
            )
            for start in range(0, len(points), BATCH):
                batch = [self._point(p) for p in points[start : start + BATCH]]
                self.shard.update(qe.UpdateOperation.upsert_points(batch))

    @staticmethod
    def _point(point: ChunkPoint) -> qe.Point:
        vectors: dict[str, Any] = {DENSE: point.vector.astype(float).tolist()}
        if point.sparse is not None and point.sparse.indices:
            vectors[LEXICAL] = qe.SparseVector(
                indices=point.sparse.indices, values=point.sparse.values
            )
        return qe.Point(
            id=point_id(point.document_id, point.ordinal),
            vector=vectors,
            payload=chunk_payload(point),
        )

    def _delete(self, key: str, value: int) -> None:
        with self._guard():
            self.shard.update(
                qe.UpdateOperation.delete_points_by_filter(qe.Filter(must=[_match(key, value)]))
            )

    def delete_document(self, document_id: int) -> None:
        self._delete("document_id", document_id)

    def delete_user(self, user_id: int) -> None:
        self._delete("user_id", user_id)

    # --- reading
    def count(self, *, user_id: int | None = None, document_id: int | None = None) -> int:
        must: list[Any] = []
        if user_id is not None:
            must.append(_match("user_id", user_id))
        if document_id is not None:
            must.append(_match("document_id", document_id))
        with self._guard():
            return int(
                self.shard.count(
                    qe.CountRequest(filter=qe.Filter(must=must) if must else None, exact=True)
                )
            )

    def document_ids(self) -> set[int]:
        found: set[int] = set()
        offset: Any = None
        with self._guard():
            while True:
                records, offset = self.shard.scroll(
                    qe.ScrollRequest(offset=offset, limit=1000, with_payload=["document_id"])
                )
                found.update(int((r.payload or {})["document_id"]) for r in records)
                if offset is None:
                    return found

    def _nearest(
        self, *, user_id: int, document_ids: Sequence[int] | None, signal: Signal, limit: int
    ) -> Scored:
        if isinstance(signal, Sparse):
            query = qe.Query.Nearest(qe.SparseVector(signal.indices, signal.values), using=LEXICAL)
        else:
            query = qe.Query.Nearest(signal.astype(float).tolist(), using=DENSE)
        request = qe.QueryRequest(
            limit=limit,
            query=query,
            filter=_tenant_filter(user_id, document_ids),
            with_payload=False,
            with_vector=False,
        )
        with self._guard():
            points = self.shard.query(request)
        return [(str(p.id), float(p.score)) for p in points]

    def _points(self, ids: Sequence[str]) -> dict[str, Found]:
        if not ids:
            return {}
        with self._guard():
            records = self.shard.retrieve(list(ids), True, [DENSE])
        return {str(r.id): Found(r.payload or {}, dense_of(r.vector)) for r in records}

    # --- upkeep
    def flush(self) -> None:
        with self._guard():
            self.shard.flush()

    def optimize(self) -> bool:
        """Compact segments and build their HNSW graphs. Not run by itself: per-tenant queries
        are fast on the payload index alone, and optimizing blocks the shard for minutes at
        100 k points on two cores."""
        with self._guard():
            return bool(self.shard.optimize())

    def copy_to(self, destination: Path) -> Path:
        """A consistent copy of the shard: flushed, then copied while no write can start."""
        with self._guard():
            self.shard.flush()
            if destination.exists():
                shutil.rmtree(destination)
            shutil.copytree(self.folder, destination, ignore=shutil.ignore_patterns(OWNER_FILE))
        return destination

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            try:
                self.shard.flush()
            finally:
                self.shard.close()
                release(self._owner_fd)


def _open_error(folder: Path, exc: Exception, existed: bool) -> VectorStoreUnavailable:
    text = str(exc)
    if "WouldBlock" in text:  # held by a process that does not use our owner file
        return busy(folder)
    if existed:
        return VectorStoreUnavailable(
            f"The vector store at {folder} cannot be read ({text}). Nothing in the database "
            "is lost: move the folder aside and run `python -m backend.cli reindex` to "
            "rebuild it from the stored passages."
        )
    return VectorStoreUnavailable(f"A vector store cannot be created at {folder} ({text}).")
