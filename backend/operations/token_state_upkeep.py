"""Token states upkeep for passages stored by earlier versions: store the states of passages
processed before they were kept (`backfill_token_states`), and repack states kept in the former
eight-bit format in four bits (`repack_token_states`). `prepare-vectors` runs both at start-up."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select, update

from backend.db import SessionScope
from backend.documents.passage_vectors import embed_passages
from backend.models import Chunk, Document, DocumentStatus
from backend.operations.vectors import EMBED_BATCH, ReindexProgress
from backend.retrieval.embeddings import Embedder
from backend.retrieval.pooling import INT8_TOKEN_STATES, pack_token_states, unpack_token_states


def documents_without_token_states(sessions: SessionScope) -> list[int]:
    """Ready documents with passages stored before token states were kept."""
    query = (
        select(Chunk.document_id)
        .join(Document, Document.id == Chunk.document_id)
        .where(
            Document.processing_status == DocumentStatus.READY.value,
            Chunk.token_states.is_(None),
        )
        .distinct()
        .order_by(Chunk.document_id)
    )
    with sessions() as session:
        return list(session.scalars(query))


def backfill_token_states(
    *,
    sessions: SessionScope,
    embedder: Embedder,
    documents: list[int],
    progress: ReindexProgress | None = None,
) -> int:
    """Store the token states of these documents' passages stored before they were kept
    (their questions read them with the encoder until then); the vector store is left as it
    is. Returns how many passages got them."""
    chunks_done = 0
    for done, document_id in enumerate(documents, start=1):
        with sessions() as session:
            rows = session.execute(
                select(Chunk.id, Chunk.text)
                .where(Chunk.document_id == document_id, Chunk.token_states.is_(None))
                .order_by(Chunk.ordinal)
            ).all()
        for start in range(0, len(rows), EMBED_BATCH):
            batch = rows[start : start + EMBED_BATCH]
            _, readings = embed_passages(embedder, [r.text for r in batch])
            with sessions() as session:
                session.execute(
                    update(Chunk),
                    [
                        {"id": row.id, "token_states": reading.tokens}
                        for row, reading in zip(batch, readings, strict=True)
                    ],
                )
            chunks_done += len(batch)
        if progress is not None:
            progress(done, len(documents), chunks_done)
    return chunks_done


REPACK_BATCH = 200


def _in_int8_format() -> Any:
    return func.substr(Chunk.token_states, 1, 1) == bytes([INT8_TOKEN_STATES])


def passages_with_int8_token_states(sessions: SessionScope) -> int:
    """Passages whose token states are stored in the former eight-bit format."""
    with sessions() as session:
        return int(
            session.scalar(select(func.count(Chunk.id)).where(_in_int8_format())) or 0
        )


def repack_token_states(
    *, sessions: SessionScope, progress: Callable[[int, int], None] | None = None
) -> int:
    """Store the token states kept in the former eight-bit format in four bits (half the
    bytes), read from what is stored: no encoder run. Returns how many passages changed."""
    total = passages_with_int8_token_states(sessions)
    done, last_id = 0, 0
    while True:
        with sessions() as session:
            rows = session.execute(
                select(Chunk.id, Chunk.token_states)
                .where(_in_int8_format(), Chunk.id > last_id)
                .order_by(Chunk.id)
                .limit(REPACK_BATCH)
            ).all()
            if not rows:
                return done
            changes = []
            for row in rows:
                states = unpack_token_states(row.token_states)
                if states is not None:
                    changes.append({"id": row.id, "token_states": pack_token_states(states)})
            if changes:
                session.execute(update(Chunk), changes)
        done += len(changes)
        last_id = rows[-1].id
        if progress is not None:
            progress(done, total)
