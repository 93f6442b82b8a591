"""Documents: upload, list, delete and reprocess (sender side); the processing pipeline
itself lives in `backend.processing`, which only workers run."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from celery import Celery
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend.config import Settings
from backend.errors import InvalidInput, NotFound, PermissionDenied, TooLarge, UnsupportedType
from backend.ingest import ExtractionError, detect_content_type
from backend.models import Document, DocumentStatus, User
from backend.queueing import DELETE_DOCUMENT, PROCESS_DOCUMENT
from backend.storage import UploadStore
from backend.tasks_ledger import TaskRef, submit_task
from backend.users import require_active


@dataclass(frozen=True)
class UploadResult:
    document: Document
    task: TaskRef | None
    duplicate: bool


def safe_filename(name: str) -> str:
    """The base name only, printable, at most 200 characters (for display, never for disk)."""
    name = unicodedata.normalize("NFC", name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = re.sub(r"[\x00-\x1f\x7f]", "", name).strip() or "document"
    return name[:200]


def upload_document(
    *,
    session: Session,
    celery: Celery,
    uploads: UploadStore,
    settings: Settings,
    user: User,
    filename: str,
    data: bytes,
) -> UploadResult:
    """Store the file, record the document and queue its processing."""
    require_active(user)
    filename = safe_filename(filename)
    _check_upload(settings, filename, data)
    digest = uploads.put(data)
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
    document = Document(
        owner_id=user.id,
        filename=filename,
        content_type=detect_content_type(data, filename),
        size_bytes=len(data),
        sha256=digest,
        processing_status=DocumentStatus.PENDING.value,
        processing_stage="queued",
    )
    session.add(document)
    session.flush()
    task = queue_processing(session=session, celery=celery, document=document)
    return UploadResult(document=document, task=task, duplicate=False)


def _check_upload(settings: Settings, filename: str, data: bytes) -> None:
    if not data:
        raise InvalidInput(f"{filename}: the file is empty.")
    if len(data) > settings.max_upload_bytes:
        raise TooLarge(
            f"{filename} is {len(data) / 1_048_576:.1f} MB; "
            f"the limit is {settings.max_upload_mb} MB."
        )
    try:
        detect_content_type(data, filename)
    except ExtractionError as exc:
        raise UnsupportedType(f"{filename}: {exc.message}") from exc


def _check_quota(session: Session, settings: Settings, user: User) -> None:
    if user.is_admin:
        return
    count = session.scalar(select(func.count(Document.id)).where(Document.owner_id == user.id))
    if (count or 0) >= settings.max_documents_per_user:
        raise PermissionDenied(
            f"You have reached the limit of {settings.max_documents_per_user} documents; "
            "delete some to upload more."
        )


def queue_processing(*, session: Session, celery: Celery, document: Document) -> TaskRef:
    """Queue (or re-queue) the document's processing task."""
    document.processing_status = DocumentStatus.PENDING.value
    document.processing_stage = "queued"
    document.processing_progress = 0
    document.processing_error = None
    task = submit_task(
        session=session,
        celery=celery,
        name=PROCESS_DOCUMENT,
        kwargs={"document_id": document.id, "user_id": document.owner_id},
        user_id=document.owner_id,
    )
    document.processing_task_id = task.task_id
    session.commit()
    return task


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
