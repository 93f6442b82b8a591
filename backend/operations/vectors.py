"""Vector store upkeep: rebuild the vectors from the stored passages (`reindex`), copy the
embedded shard for a backup, and the start-up check that `make run` performs (the passages'
token states have theirs in `token_state_upkeep`).

The passages (the chunks table) are the record; the vector store is derived from them, so a
lost, corrupt or outdated store is rebuilt without extracting a single file again.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, update

from backend.config import Settings
from backend.db import SessionScope
from backend.documents.passage_vectors import embed_passages, passage_columns
from backend.errors import InvalidInput
from backend.models import Chunk, Document, DocumentStatus
from backend.retrieval.embeddings import Embedder
from backend.retrieval.lexical import document_vector
from backend.retrieval.points import ChunkPoint
from backend.retrieval.term_stats import chunk_term_counts, replace_document_terms
from backend.retrieval.vector_store import VectorStore

log = logging.getLogger(__name__)

EMBED_BATCH = 128
# Called with (documents done, documents in all, chunks done).
ReindexProgress = Callable[[int, int, int], None]


@dataclass(frozen=True)
class ReindexSummary:
    documents: int
    chunks: int
    seconds: float
    user_id: int | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "documents": self.documents,
            "chunks": self.chunks,
            "seconds": round(self.seconds, 1),
            "user_id": self.user_id,
        }


def ready_documents(
    sessions: SessionScope, user_id: int | None = None, document_ids: list[int] | None = None
) -> list[tuple[int, int]]:
    """(document id, owner id) of every ready document, of one user or of all (or of those
    of `document_ids`)."""
    query = select(Document.id, Document.owner_id).where(
        Document.processing_status == DocumentStatus.READY.value
    )
    if user_id is not None:
        query = query.where(Document.owner_id == user_id)
    if document_ids is not None:
        query = query.where(Document.id.in_(document_ids))
    with sessions() as session:
        return [(row.id, row.owner_id) for row in session.execute(query.order_by(Document.id))]


def reindex(
    *,
    sessions: SessionScope,
    embedder: Embedder,
    store: VectorStore,
    user_id: int | None = None,
    progress: ReindexProgress | None = None,
    document_ids: list[int] | None = None,
) -> ReindexSummary:
    """Rebuild the vectors of every ready document (of one user, or of all, or those of
    `document_ids`) from its stored passages, with the documents' term counts, and record the
    encoder that made them. Idempotent: each document's points and term rows are replaced,
    never added to. A full rebuild of a store in the former layout makes it anew first."""
    started = time.perf_counter()
    documents = ready_documents(sessions, user_id, document_ids)
    if user_id is None and document_ids is None and store.engine_idf:
        store.reset()
    if user_id is not None:
        store.delete_user(user_id)  # also points of documents that are no longer ready
    chunks_done = 0
    for done, (document_id, owner_id) in enumerate(documents, start=1):
        with sessions() as session:
            rows = session.execute(
                select(Chunk.id, Chunk.ordinal, Chunk.page, Chunk.text)
                .where(Chunk.document_id == document_id)
                .order_by(Chunk.ordinal)
            ).all()
        points: list[ChunkPoint] = []
        sentences: list[dict[str, Any]] = []
        for start in range(0, len(rows), EMBED_BATCH):
            batch = rows[start : start + EMBED_BATCH]
            vectors, cuts = embed_passages(embedder, [r.text for r in batch])
            points.extend(
                _point(document_id, owner_id, row, vector)
                for row, vector in zip(batch, vectors, strict=True)
            )
            sentences.extend(
                {"id": row.id, **passage_columns(cut)}
                for row, cut in zip(batch, cuts, strict=True)
            )
        store.replace_document(document_id, points)
        with sessions() as session:
            if sentences:  # passages stored before their sentences had vectors get them too
                session.execute(update(Chunk), sentences)
            counts = chunk_term_counts(p.sparse for p in points)
            replace_document_terms(
                session, document_id=document_id, user_id=owner_id, counts=counts
            )
            session.execute(
                update(Document).where(Document.id == document_id).values(encoder=embedder.version)
            )
        chunks_done += len(points)
        if progress is not None:
            progress(done, len(documents), chunks_done)
    store.flush()
    return ReindexSummary(len(documents), chunks_done, time.perf_counter() - started, user_id)


def documents_from_another_encoder(sessions: SessionScope, encoder: str) -> list[int]:
    """Ready documents whose vectors another encoder made (or one not recorded, before the
    encoder was kept): a question's vector, from `encoder`, does not compare with theirs."""
    query = select(Document.id).where(
        Document.processing_status == DocumentStatus.READY.value,
        (Document.encoder != encoder) | Document.encoder.is_(None),
    )
    with sessions() as session:
        return list(session.scalars(query.order_by(Document.id)))


def _point(document_id: int, owner_id: int, row: Any, vector: Any) -> ChunkPoint:
    terms = document_vector(row.text)
    return ChunkPoint(document_id, owner_id, row.ordinal, row.page, row.text, vector, terms)


def stored_passages(sessions: SessionScope) -> int:
    """Passages of ready documents in the database (what the store should hold)."""
    with sessions() as session:
        return int(
            session.scalar(
                select(func.count(Chunk.id))
                .join(Document, Document.id == Chunk.document_id)
                .where(Document.processing_status == DocumentStatus.READY.value)
            )
            or 0
        )


def rebuild_reason(sessions: SessionScope, store: VectorStore) -> str | None:
    """Why the store must be rebuilt from the passages, in a sentence, or None: it weighs
    words over every account (made before per-account statistics), or it is empty while
    ready documents have passages (a new or restored store)."""
    if store.engine_idf:
        return (
            f"The vector store at {store.where} weighs words by their rarity across every "
            "account; it now weighs them within each account's own documents: rebuilding it "
            "from the stored passages."
        )
    if store.count() == 0 and stored_passages(sessions) > 0:
        return (
            f"The vector store at {store.where} is empty while documents are ready: "
            "rebuilding it from the stored passages."
        )
    return None


def needs_rebuild(sessions: SessionScope, store: VectorStore) -> bool:
    """The store must be rebuilt from the passages (see `rebuild_reason`)."""
    return rebuild_reason(sessions, store) is not None


def legacy_folder_note(settings: Settings) -> str | None:
    """A sentence about the former local-mode folder, when one is there (it is left as is)."""
    folder = settings.legacy_qdrant_dir
    if settings.qdrant_url or not (folder / "collection").is_dir():
        return None
    return (
        f"The vectors of the former local mode at {folder} are left untouched; the service "
        f"now uses the Qdrant Edge shard at {settings.vector_dir}. Delete the old folder "
        "once you are content."
    )


def copy_shard(store: VectorStore, destination: Path) -> dict[str, Any]:
    """A consistent copy of the embedded shard into `destination` (which must not exist)."""
    from backend.retrieval.edge_store import EdgeStore

    if not isinstance(store, EdgeStore):
        raise InvalidInput(
            "The vectors are on a Qdrant server: back them up with its snapshot API "
            "(scripts/backup.sh does)."
        )
    if not destination.is_absolute():
        raise InvalidInput(f"The backup folder must be an absolute path, not {destination}.")
    if destination.exists() and any(destination.iterdir()):
        raise InvalidInput(f"The backup folder {destination} already holds files.")
    started = time.perf_counter()
    store.copy_to(destination)
    return {
        "folder": str(destination),
        "points": store.count(),
        "seconds": round(time.perf_counter() - started, 1),
    }
