"""The document pipeline run by workers: extract -> clean -> chunk -> embed -> store."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import delete

from backend.config import Settings
from backend.db import SessionScope
from backend.documents.deadline import (
    Deadline,
    DocumentRejected,
    document_deadline,
    time_limit_sentence,
)
from backend.documents.ingest import (
    ChunkDraft,
    Extracted,
    ExtractionError,
    chunk_pages,
)
from backend.documents.ingest.chunk import CHUNKING_VERSION
from backend.documents.ingest.sandbox import extract_isolated
from backend.documents.passage_vectors import (
    PassageReading,
    embed_passages,
    passage_columns,
)
from backend.documents.storage import UploadStore
from backend.errors import NotFound
from backend.models import Chunk, Document, DocumentStatus, utcnow
from backend.retrieval.embeddings import Embedder
from backend.retrieval.lexical import document_vector
from backend.retrieval.model_files import count_tokens
from backend.retrieval.points import ChunkPoint, point_id
from backend.retrieval.term_stats import chunk_term_counts, replace_document_terms
from backend.retrieval.vector_store import VectorStore

log = logging.getLogger(__name__)
Progress = Callable[[str, int], None]


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
    """Turn a stored upload into chunks and vectors; bad files, and files that would take more
    than the document's time or passage budget, end FAILED with a reason and store nothing."""
    deadline = document_deadline(settings)
    started = time.monotonic()
    with sessions() as session:
        document = session.get(Document, document_id)
        if document is None or document.owner_id != user_id:
            raise NotFound(f"Document {document_id} no longer exists.")
        if task_id:
            document.processing_task_id = task_id
        filename, sha256 = document.filename, document.sha256
    try:
        data = uploads.read(sha256)
        drafts, extracted = cut_passages(data, filename, settings, progress, deadline)
        progress("embedding", 30)
        vectors, sentences = _embed_with_progress(embedder, drafts, progress, deadline)
        points = _points(document_id, user_id, drafts, vectors, deadline)
        progress("storing", 90)
        deadline.check()
        result = _store(
            sessions, store, document_id, filename, drafts, extracted, points, sentences,
            encoder=embedder.version,
        )  # fmt: skip
    except ExtractionError as exc:
        raise DocumentRejected(exc.message) from exc
    except Exception as exc:
        if type(exc).__name__ == "SoftTimeLimitExceeded":
            raise DocumentRejected(time_limit_sentence(deadline.seconds)) from exc
        # Any other failure is the ledger's to record on the document (transitions): a
        # transient one is retried and leaves the document queued, not failed.
        raise
    log.info(
        "document %s processed in %.1f s: %d chunks",
        document_id,
        time.monotonic() - started,
        len(drafts),
    )
    return result


def cut_passages(
    data: bytes, filename: str, settings: Settings, progress: Progress, deadline: Deadline
) -> tuple[list[ChunkDraft], Extracted]:
    """The file's text cut into passages (an unreadable file raises ExtractionError or
    DocumentRejected)."""
    progress("extracting", 5)
    extracted = read_document(data, filename, settings, deadline=deadline)
    deadline.check()
    progress("chunking", 20)
    drafts = chunk_pages(
        extracted.pages,
        count_tokens=count_tokens,
        max_tokens=settings.chunk_max_tokens,
        overlap_tokens=settings.chunk_overlap_tokens,
        max_chunks=settings.max_chunks_per_document,
        check=deadline.check,
    )
    if not drafts:
        raise DocumentRejected("The document contains no readable text.")
    return drafts, extracted


def _points(
    document_id: int, user_id: int, drafts: list[ChunkDraft], vectors: Any, deadline: Deadline
) -> list[ChunkPoint]:
    points = []
    for i, d in enumerate(drafts):
        if i % 256 == 0:
            deadline.check()
        points.append(
            ChunkPoint(
                document_id,
                user_id,
                d.ordinal,
                d.page,
                d.text,
                vectors[i],
                document_vector(d.text),
            )
        )
    return points


def _store(
    sessions: SessionScope,
    store: VectorStore,
    document_id: int,
    filename: str,
    drafts: list[ChunkDraft],
    extracted: Extracted,
    points: list[ChunkPoint],
    sentences: list[PassageReading],
    *,
    encoder: str,
) -> dict[str, Any]:
    """Vectors, then chunk rows (with the `encoder` that made them); when the rows cannot be
    written the vectors go again, so no vector is ever left without its chunk row."""
    try:
        store.replace_document(document_id, points)
        terms = chunk_term_counts(p.sparse for p in points)
        _store_rows(sessions, document_id, drafts, extracted, sentences, terms, encoder)
    except BaseException:
        _forget_vectors(store, document_id)
        raise
    return {
        "document_id": document_id,
        "status": DocumentStatus.READY.value,
        "filename": filename,
        "pages": extracted.page_count,
        "chunks": len(drafts),
    }


def _forget_vectors(store: VectorStore, document_id: int) -> None:
    try:
        store.delete_document(document_id)
    except Exception as exc:  # the store is down too: the retry or reprocess replaces them
        log.warning("could not remove the vectors of document %s: %s", document_id, exc)


def _store_rows(
    sessions: SessionScope,
    document_id: int,
    drafts: list[ChunkDraft],
    extracted: Extracted,
    sentences: list[PassageReading],
    terms: dict[int, int],
    encoder: str,
) -> None:
    with sessions() as session:
        document = session.get(Document, document_id)
        if document is None:  # deleted while we worked: the caller takes the vectors away
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
                **passage_columns(cut),
            )
            for d, cut in zip(drafts, sentences, strict=True)
        )
        # The document's term counts go with its chunk rows, replacing any earlier ones.
        replace_document_terms(
            session, document_id=document_id, user_id=document.owner_id, counts=terms
        )
        document.processing_status = DocumentStatus.READY.value
        document.processing_stage = "ready"
        document.processing_progress = 100
        document.content_type = extracted.content_type
        document.page_count = extracted.page_count
        document.chunk_count = len(drafts)
        document.processed_at = utcnow()
        document.encoder = encoder
        document.chunking = CHUNKING_VERSION


def read_document(
    data: bytes, filename: str, settings: Settings, *, deadline: Deadline | None = None
) -> Extracted:
    """Extract and clean the text of any file type in a killable child process with a memory
    cap: parsers of untrusted files (PDF, HTML, Markdown, text decoding and cleaning) can be
    made slow or hungry, and only a separate process can be stopped in the middle of one.
    It gets the extraction timeout, or what is left of the document's budget if less."""
    timeout = float(settings.extraction_timeout_seconds)
    if deadline is not None:
        timeout = min(timeout, deadline.remaining())
    try:
        return extract_isolated(
            data,
            filename,
            timeout=timeout,
            max_pages=settings.max_pdf_pages,
            max_chars=settings.max_document_chars,
        )
    except ExtractionError:
        if deadline is not None:
            deadline.check()  # out of the document's time, not the reader's: say so
        raise


EMBED_BATCH = 32


def embedding_stage(done: int, total: int) -> str:
    """The stage a worker reports while embedding: "embedding 96 of 400" (passages)."""
    return f"embedding {done} of {total}"


def _embed_with_progress(
    embedder: Embedder,
    drafts: list[ChunkDraft],
    progress: Progress,
    deadline: Deadline | None = None,
) -> tuple[Any, list[PassageReading]]:
    """Embed the passages in small batches, reporting the passages embedded so far after each
    one; each passage's sentences get their vectors from the same run."""
    import numpy as np

    parts: list[Any] = []
    sentences: list[PassageReading] = []
    for start in range(0, len(drafts), EMBED_BATCH):
        if deadline is not None:
            deadline.check()
        vectors, cut = embed_passages(
            embedder, [d.text for d in drafts[start : start + EMBED_BATCH]]
        )
        parts.append(vectors)
        sentences.extend(cut)
        done = min(len(drafts), start + EMBED_BATCH)
        progress(embedding_stage(done, len(drafts)), 30 + int(55 * done / len(drafts)))
    return np.vstack(parts), sentences
