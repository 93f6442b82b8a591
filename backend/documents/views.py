"""Where a user's uploads stand: one line per document for live progress panels."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from backend.documents.ingest.extract import SUPPORTED_EXTENSIONS
from backend.models import Document, DocumentStatus, TaskRecord, User, utcnow

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
EMBEDDING = re.compile(r"embedding (\d+) of (\d+)")


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
    embedded: int | None = None  # passages embedded so far, while embedding
    passages: int | None = None
    seconds_left: float | None = None  # estimated from the rate so far

    @property
    def finished(self) -> bool:
        return self.status not in UNFINISHED

    @property
    def stage_label(self) -> str:
        label = STAGE_LABELS.get(self.stage, self.stage.capitalize())
        if self.embedded is not None and self.passages is not None:
            label = f"{label}: {self.embedded} of {self.passages}"
        return label

    @property
    def time_left(self) -> str:
        """'about 40 s left', 'about 3 min left', or '' while there is no rate yet."""
        if self.seconds_left is None or self.finished:
            return ""
        seconds = max(1, round(self.seconds_left))
        if seconds < 90:
            return f"about {seconds} s left"
        return f"about {round(seconds / 60)} min left"

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
    rows = list(
        session.scalars(
            select(Document)
            .where(Document.owner_id == user.id, or_(*wanted))
            .order_by(Document.created_at, Document.id)
        )
    )
    task_ids = [d.processing_task_id for d in rows if d.processing_task_id]
    started = (
        {
            t.task_id: t.started_at
            for t in session.scalars(select(TaskRecord).where(TaskRecord.task_id.in_(task_ids)))
        }
        if task_ids
        else {}
    )
    now = utcnow()
    return [_progress(doc, started.get(doc.processing_task_id or ""), now) for doc in rows]


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def estimate_seconds_left(
    *, started: datetime | None, updated: datetime | None, percent: int, now: datetime
) -> float | None:
    """Time left at the rate so far: the task took `updated - started` to reach `percent`;
    the time since that report is already spent. None while there is no rate to go by."""
    if started is None or updated is None or not 0 < percent < 100:
        return None
    spent = (_aware(updated) - _aware(started)).total_seconds()
    if spent <= 0:
        return None
    left = spent * (100 - percent) / percent - (now - _aware(updated)).total_seconds()
    return max(0.0, left)


def _progress(
    doc: Document, started: datetime | None = None, now: datetime | None = None
) -> UploadProgress:
    stage = doc.processing_stage or (
        "queued" if doc.processing_status in UNFINISHED else doc.processing_status
    )
    ready = doc.processing_status == DocumentStatus.READY.value
    percent = max(0, min(100, 100 if ready else doc.processing_progress or 0))
    embedded = passages = None
    counted = EMBEDDING.fullmatch(stage)
    if counted:
        stage, embedded, passages = "embedding", int(counted[1]), int(counted[2])
    seconds_left = None
    if doc.processing_status in UNFINISHED and embedded is not None:
        seconds_left = estimate_seconds_left(
            started=started, updated=doc.updated_at, percent=percent, now=now or utcnow()
        )
    return UploadProgress(
        document_id=doc.id,
        filename=doc.filename,
        status=doc.processing_status,
        stage=stage,
        percent=percent,
        error=doc.processing_error,
        page_count=doc.page_count,
        chunk_count=doc.chunk_count or 0,
        embedded=embedded,
        passages=passages,
        seconds_left=seconds_left,
    )
