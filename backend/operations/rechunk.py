"""Cutting documents into passages again when the way of cutting changed (an upgrade; see
`chunk.CHUNKING_VERSION`). Start-up (`prepare-vectors`) finds the ready documents recorded
with another way, cuts each again from its stored upload and processes again only those whose
passages change; the others just record the way. A document that cannot be read again keeps
its passages, and the reason is told."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import select

from backend.config import Settings
from backend.db import SessionScope
from backend.documents import processing
from backend.documents.deadline import DocumentRejected, document_deadline
from backend.documents.ingest import ExtractionError
from backend.documents.ingest.chunk import CHUNKING_VERSION
from backend.documents.storage import UploadStore
from backend.models import Chunk, Document, DocumentStatus
from backend.retrieval.embeddings import Embedder
from backend.retrieval.vector_store import VectorStore


@dataclass
class RechunkSummary:
    """Documents checked, those processed again, those kept as they were (with why), time."""

    checked: int = 0
    changed: int = 0
    kept: list[tuple[str, str]] = field(default_factory=list)
    seconds: float = 0.0


def _quiet(_stage: str, _percent: int) -> None:
    return None


def documents_chunked_otherwise(sessions: SessionScope) -> list[int]:
    """Ready documents cut into passages another way than now, or before the way was kept."""
    query = select(Document.id).where(
        Document.processing_status == DocumentStatus.READY.value,
        (Document.chunking != CHUNKING_VERSION) | Document.chunking.is_(None),
    )
    with sessions() as session:
        return list(session.scalars(query.order_by(Document.id)))


def rechunk(
    *,
    sessions: SessionScope,
    settings: Settings,
    uploads: UploadStore,
    embedder: Embedder,
    store: VectorStore,
    document_ids: list[int],
    progress: Callable[[int, int, int], None] | None = None,
) -> RechunkSummary:
    """Cut each document again; process again (extract, embed, store) those whose passages
    differ from the stored ones."""
    summary = RechunkSummary()
    started = time.perf_counter()
    for document_id in document_ids:
        with sessions() as session:
            document = session.get(Document, document_id)
            if document is None or document.processing_status != DocumentStatus.READY.value:
                continue
            owner, filename, sha256 = document.owner_id, document.filename, document.sha256
            stored = list(
                session.scalars(
                    select(Chunk.text)
                    .where(Chunk.document_id == document_id)
                    .order_by(Chunk.ordinal)
                )
            )
        summary.checked += 1
        try:
            drafts, _ = processing.cut_passages(
                uploads.read(sha256), filename, settings, _quiet, document_deadline(settings)
            )
            if [d.text for d in drafts] != stored:
                processing.process_document(
                    sessions=sessions,
                    settings=settings,
                    uploads=uploads,
                    embedder=embedder,
                    store=store,
                    document_id=document_id,
                    user_id=owner,
                    task_id=None,
                    progress=_quiet,
                )
                summary.changed += 1
        except (ExtractionError, DocumentRejected, OSError) as exc:
            reason = exc.message if isinstance(exc, (ExtractionError, DocumentRejected)) else (
                "its stored file could not be read"
            )
            summary.kept.append((filename, reason))
        with sessions() as session:
            document = session.get(Document, document_id)
            if document is not None:
                document.chunking = CHUNKING_VERSION
        if progress is not None:
            progress(summary.checked, len(document_ids), summary.changed)
    store.flush()
    summary.seconds = time.perf_counter() - started
    return summary
