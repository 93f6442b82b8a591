"""Documents: upload, list, delete and reprocess (sender side); the processing pipeline
itself lives in `backend.documents.processing`, which only workers run."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from celery import Celery
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend.accounts.rate_limits import RateLimiter, document_limit
from backend.accounts.users import require_active
from backend.config import Settings
from backend.db import SessionScope
from backend.documents.storage import IncomingFile, UploadStore
from backend.documents.upload_checks import check_received, check_upload, safe_filename
from backend.errors import (
    InvalidInput,
    NotFound,
    PermissionDenied,
    ServiceUnavailable,
)
from backend.ledger.catalog import DELETE_DOCUMENT, PROCESS_DOCUMENT
from backend.ledger.task_records import TaskRef, submit_task
from backend.models import Document, DocumentStatus, User
from backend.retrieval.vector_store import VectorStore


@dataclass(frozen=True)
class UploadResult:
    document: Document
    task: TaskRef | None
    duplicate: bool


def upload_document(
    *,
    session: Session,
    celery: Celery,
    uploads: UploadStore,
    settings: Settings,
    user: User,
    filename: str,
    data: bytes,
    limiter: RateLimiter | None = None,
) -> UploadResult:
    """Store the file, record the document and queue its processing (within the user's
    document quota and, with a limiter, the hourly upload limit)."""
    require_active(user)
    filename = safe_filename(filename)
    content_type = check_upload(settings, filename, data)
    digest = uploads.put(data)
    return _record_upload(
        session, celery, settings, user, filename, digest, len(data), content_type, limiter
    )


def upload_received(
    *,
    session: Session,
    celery: Celery,
    settings: Settings,
    user: User,
    filename: str,
    incoming: IncomingFile,
    limiter: RateLimiter | None = None,
) -> UploadResult:
    """Like `upload_document`, for a file already streamed into the upload store."""
    require_active(user)
    filename = safe_filename(filename)
    content_type = check_received(settings=settings, filename=filename, incoming=incoming)
    digest = incoming.keep()
    return _record_upload(
        session, celery, settings, user, filename, digest, incoming.size, content_type, limiter
    )


def _record_upload(
    session: Session,
    celery: Celery,
    settings: Settings,
    user: User,
    filename: str,
    digest: str,
    size: int,
    content_type: str,
    limiter: RateLimiter | None = None,
) -> UploadResult:
    existing = session.scalar(
        select(Document).where(
            Document.owner_id == user.id,
            Document.sha256 == digest,
            Document.processing_status != DocumentStatus.FAILED.value,
        )
    )
    if existing is not None:
        return UploadResult(document=existing, task=None, duplicate=True)
    _check_quota(session, settings, user)
    admission = limiter.admit(user, "upload") if limiter is not None else None
    document = Document(
        owner_id=user.id,
        filename=filename,
        content_type=content_type,
        size_bytes=size,
        sha256=digest,
        processing_status=DocumentStatus.PENDING.value,
        processing_stage="queued",
    )
    session.add(document)
    session.flush()
    try:
        task = queue_processing(session=session, celery=celery, document=document)
    except ServiceUnavailable:
        # Nothing was queued: a document left behind would wait for processing forever.
        session.delete(document)
        session.commit()
        if limiter is not None:
            limiter.release(admission)
        raise
    return UploadResult(document=document, task=task, duplicate=False)


def _check_quota(session: Session, settings: Settings, user: User) -> None:
    limit = document_limit(settings, user)
    if limit is None:
        return
    count = session.scalar(select(func.count(Document.id)).where(Document.owner_id == user.id))
    if (count or 0) >= limit:
        raise PermissionDenied(
            f"You have reached the limit of {limit} documents; delete some to upload more."
        )


def queue_processing(*, session: Session, celery: Celery, document: Document) -> TaskRef:
    """Queue (or re-queue) the document's processing task."""
    document.processing_status = DocumentStatus.PENDING.value
    document.processing_stage = "queued"
    document.processing_progress = 0
    document.processing_error = None
    document.processing_task_id = str(uuid.uuid4())
    return submit_task(
        session=session,
        celery=celery,
        name=PROCESS_DOCUMENT,
        kwargs={"document_id": document.id, "user_id": document.owner_id},
        user_id=document.owner_id,
        task_id=document.processing_task_id,
    )


def get_document(*, session: Session, user: User, document_id: int) -> Document:
    """The document if the user owns it (admins see all); otherwise 'not found'."""
    document = session.get(Document, document_id)
    if document is None or (document.owner_id != user.id and not user.is_admin):
        raise NotFound("No such document.")
    return document


def list_documents(*, session: Session, user: User, status: str | None = None) -> list[Document]:
    """The user's documents, newest first."""
    query = select(Document).where(Document.owner_id == user.id)
    if status:
        query = query.where(Document.processing_status == status)
    return list(session.scalars(query.order_by(Document.created_at.desc(), Document.id.desc())))


def ready_document_count(*, session: Session, user: User) -> int:
    """How many of the user's documents can be searched."""
    return int(
        session.scalar(
            select(func.count(Document.id)).where(
                Document.owner_id == user.id,
                Document.processing_status == DocumentStatus.READY.value,
            )
        )
        or 0
    )


def reprocess_document(
    *, session: Session, celery: Celery, user: User, document_id: int
) -> TaskRef:
    """Extract, chunk and embed the document again (its points are replaced)."""
    document = get_document(session=session, user=user, document_id=document_id)
    if document.processing_status in (
        DocumentStatus.PENDING.value,
        DocumentStatus.PROCESSING.value,
    ):
        raise InvalidInput("This document is already being processed.")
    return queue_processing(session=session, celery=celery, document=document)


def delete_document(*, session: Session, celery: Celery, user: User, document_id: int) -> TaskRef:
    """Remove the document now and queue the removal of its vectors and file."""
    document = get_document(session=session, user=user, document_id=document_id)
    kwargs = {"document_id": document.id, "user_id": document.owner_id, "sha256": document.sha256}
    owner_id = document.owner_id
    session.delete(document)
    session.flush()
    return submit_task(
        session=session, celery=celery, name=DELETE_DOCUMENT, kwargs=kwargs, user_id=owner_id
    )


def upload_paths(
    *,
    session: Session,
    celery: Celery,
    uploads: UploadStore,
    settings: Settings,
    user: User,
    paths: Iterable[Path],
) -> list[UploadResult]:
    """Upload files from disk for the user, one processing task each (CLI, eval, bench)."""
    return [
        upload_document(
            session=session,
            celery=celery,
            uploads=uploads,
            settings=settings,
            user=user,
            filename=path.name,
            data=path.read_bytes(),
        )
        for path in paths
    ]


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
        still_used = (
            sha256 is not None
            and session.scalar(select(Document.id).where(Document.sha256 == sha256).limit(1))
            is not None
        )
    if sha256 and not still_used:
        uploads.delete(sha256)
    return {"document_id": document_id, "deleted": True}
