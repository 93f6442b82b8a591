"""Where a user's uploads stand: one line per document for live progress panels."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from backend.documents.ingest.extract import SUPPORTED_EXTENSIONS
from backend.models import Document, DocumentStatus, User

ACCEPTED_EXTENSIONS = tuple(sorted(ext.lstrip(".") for ext in SUPPORTED_EXTENSIONS))
STAGE_LABELS = {
    "queued": "Queued",
    "extracting": "Extracting text",
    "chunking": "Splitting into passages",
    "embedding": "Embedding passages",
    "storing": "Storing vectors",
    "ready": "Ready",
    "failed": "Failed",
}
UNFINISHED = (DocumentStatus.PENDING.value, DocumentStatus.PROCESSING.value)


@dataclass(frozen=True)
class UploadProgress:
    """One document's processing as its owner sees it."""

    document_id: int
    filename: str
    status: str
    stage: str
    percent: int
    error: str | None
    page_count: int | None
    chunk_count: int

    @property
    def finished(self) -> bool:
        return self.status not in UNFINISHED

    @property
    def stage_label(self) -> str:
        return STAGE_LABELS.get(self.stage, self.stage.capitalize())

    @property
    def outcome(self) -> str:
        """The closing sentence: ready with what was found, or why it failed."""
        if self.status == DocumentStatus.READY.value:
            pages = f" from {_plural(self.page_count, 'page')}" if self.page_count else ""
            return f"{self.filename} is ready: {_plural(self.chunk_count, 'passage')}{pages}."
        if self.status == DocumentStatus.FAILED.value:
            return f"{self.filename} failed: {self.error or 'no reason was recorded.'}"
        return f"{self.filename}: {self.stage_label.lower()} ({self.percent}%)."


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def upload_progress(
    *, session: Session, user: User, document_ids: Sequence[int] = ()
) -> list[UploadProgress]:
    """The named documents the user owns plus any of theirs still in flight, oldest first."""
    wanted = [Document.processing_status.in_(UNFINISHED)]
    if document_ids:
        wanted.append(Document.id.in_(list(document_ids)))
    rows = session.scalars(
        select(Document)
        .where(Document.owner_id == user.id, or_(*wanted))
        .order_by(Document.created_at, Document.id)
    )
    return [_progress(doc) for doc in rows]


def _progress(doc: Document) -> UploadProgress:
    stage = doc.processing_stage or (
        "queued" if doc.processing_status in UNFINISHED else doc.processing_status
    )
    ready = doc.processing_status == DocumentStatus.READY.value
    percent = 100 if ready else doc.processing_progress
    return UploadProgress(
        document_id=doc.id,
        filename=doc.filename,
        status=doc.processing_status,
        stage=stage,
        percent=max(0, min(100, percent or 0)),
        error=doc.processing_error,
        page_count=doc.page_count,
        chunk_count=doc.chunk_count or 0,
    )
