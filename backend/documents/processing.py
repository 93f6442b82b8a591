"""The document pipeline run by workers: extract -> clean -> chunk -> embed -> store."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy import delete

from backend.config import Settings
from backend.db import SessionScope
from backend.documents.ingest import (
    ChunkDraft,
    Extracted,
    ExtractionError,
    PageText,
    chunk_pages,
    clean_text,
    detect_content_type,
    extract,
)
from backend.documents.ingest.sandbox import extract_isolated
from backend.documents.storage import UploadStore
from backend.errors import NotFound, ServiceError
from backend.models import Chunk, Document, DocumentStatus, utcnow
from backend.retrieval.embeddings import Embedder
from backend.retrieval.lexical import document_vector
from backend.retrieval.model_files import count_tokens
from backend.retrieval.points import ChunkPoint, point_id
from backend.retrieval.vector_store import VectorStore

log = logging.getLogger(__name__)
Progress = Callable[[str, int], None]


TIME_LIMIT_SENTENCE = (
    "Processing took longer than the time limit; the file may be too large or malformed."
)


class DocumentRejected(ServiceError):
    """The file cannot be turned into searchable text; the message says why."""


def process_document(
    *,
    sessions: SessionScope,
    settings: Settings,
    uploads: UploadStore,
    embedder: Embedder,
    store: VectorStore,
    document_id: int,
    user_id: int,
    task_id: str | None,
    progress: Progress,
) -> dict[str, Any]:
    """Turn a stored upload into chunks and vectors; bad files end FAILED with a reason."""
    with sessions() as session:
        document = session.get(Document, document_id)
        if document is None or document.owner_id != user_id:
            raise NotFound(f"Document {document_id} no longer exists.")
        if task_id:
            document.processing_task_id = task_id
        filename, sha256 = document.filename, document.sha256
    try:
        data = uploads.read(sha256)
        drafts, extracted = _chunks(data, filename, settings, progress)
        progress("embedding", 30)
        vectors = _embed_with_progress(embedder, [d.text for d in drafts], progress)
        progress("storing", 90)
        return _store(sessions, store, document_id, user_id, filename, drafts, extracted, vectors)
    except ExtractionError as exc:
        raise DocumentRejected(exc.message) from exc
    except Exception as exc:
        if type(exc).__name__ == "SoftTimeLimitExceeded":
            raise DocumentRejected(TIME_LIMIT_SENTENCE) from exc
        # Any other failure is the ledger's to record on the document (transitions): a
        # transient one is retried and leaves the document queued, not failed.
        raise


def _chunks(
    data: bytes, filename: str, settings: Settings, progress: Progress
) -> tuple[list[ChunkDraft], Extracted]:
    progress("extracting", 5)
    extracted = read_document(data, filename, settings)
    pages = [PageText(p.number, clean_text(p.text)) for p in extracted.pages]
    progress("chunking", 20)
    drafts = chunk_pages(
        pages,
        count_tokens=count_tokens,
        max_tokens=settings.chunk_max_tokens,
        overlap_tokens=settings.chunk_overlap_tokens,
    )
    if not drafts:
        raise DocumentRejected("The document contains no readable text.")
    return drafts, extracted


def _store(
    sessions: SessionScope,
    store: VectorStore,
    document_id: int,
    user_id: int,
    filename: str,
    drafts: list[ChunkDraft],
    extracted: Extracted,
    vectors: Any,
) -> dict[str, Any]:
    points = [
        ChunkPoint(
            document_id, user_id, d.ordinal, d.page, d.text, vectors[i], document_vector(d.text)
        )
        for i, d in enumerate(drafts)
    ]
    store.replace_document(document_id, points)
    with sessions() as session:
        document = session.get(Document, document_id)
        if document is None:  # deleted while we worked: take the vectors away again
            store.delete_document(document_id)
            raise NotFound(f"Document {document_id} was deleted during processing.")
        session.execute(delete(Chunk).where(Chunk.document_id == document_id))
        session.add_all(
            Chunk(
                document_id=document_id,
                ordinal=d.ordinal,
                page=d.page,
                text=d.text,
                token_count=d.token_count,
                vector_id=point_id(document_id, d.ordinal),
            )
            for d in drafts
        )
        document.processing_status = DocumentStatus.READY.value
        document.processing_stage = "ready"
        document.processing_progress = 100
        document.content_type = extracted.content_type
        document.page_count = extracted.page_count
        document.chunk_count = len(drafts)
        document.processed_at = utcnow()
    return {
        "document_id": document_id,
        "status": DocumentStatus.READY.value,
        "filename": filename,
        "pages": extracted.page_count,
        "chunks": len(drafts),
    }


def read_document(data: bytes, filename: str, settings: Settings) -> Extracted:
    """Extract text; PDFs (an untrusted binary parser) run in a killable child process."""
    options = {"max_pages": settings.max_pdf_pages, "max_chars": settings.max_document_chars}
    if detect_content_type(data, filename) == "application/pdf":
        return extract_isolated(
            data, filename, timeout=settings.extraction_timeout_seconds, **options
        )
    return extract(data, filename, **options)


def _embed_with_progress(embedder: Embedder, texts: list[str], progress: Progress) -> Any:
    import numpy as np

    batch = 128
    parts = []
    for start in range(0, len(texts), batch):
        parts.append(embedder.embed(texts[start : start + batch]))
        done = min(len(texts), start + batch)
        if len(texts) > batch:
            progress("embedding", 30 + int(55 * done / len(texts)))
    return np.vstack(parts)


def remove_document_data(
    *,
    sessions: SessionScope,
    uploads: UploadStore,
    store: VectorStore,
    document_id: int,
    sha256: str | None,
) -> dict[str, Any]:
    """Delete a removed document's vectors, and its file when no other document uses it."""
    store.delete_document(document_id)
    with sessions() as session:
        from sqlalchemy import select

        still_used = (
            sha256 is not None
            and session.scalar(select(Document.id).where(Document.sha256 == sha256).limit(1))
            is not None
        )
    if sha256 and not still_used:
        uploads.delete(sha256)
    return {"document_id": document_id, "deleted": True}
