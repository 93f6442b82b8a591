"""Documents: upload, list, delete and reprocess (sender side); the processing pipeline
itself lives in `backend.documents.processing`, which only workers run."""

from __future__ import annotations

import re
import unicodedata
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from celery import Celery
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend.accounts.rate_limits import RateLimiter, document_limit
from backend.accounts.users import require_active
from backend.config import Settings
from backend.documents.ingest import ExtractionError, detect_content_type
from backend.documents.storage import IncomingFile, UploadStore
from backend.errors import (
    InvalidInput,
    NotFound,
    PermissionDenied,
    ServiceUnavailable,
    TooLarge,
    UnsupportedType,
)
from backend.ledger.catalog import DELETE_DOCUMENT, PROCESS_DOCUMENT
from backend.ledger.task_records import TaskRef, submit_task
from backend.models import Document, DocumentStatus, User


@dataclass(frozen=True)
class UploadResult:
    document: Document
    task: TaskRef | None
    duplicate: bool


def safe_filename(name: str) -> str:
    """The base name only, printable, at most 200 characters (for display, never for disk).

    Control characters, bidi overrides and isolates (U+202E shows "invoice<U+202E>fdp.exe" as
    "invoiceexe.pdf") and other invisible format characters are dropped, and runs of spaces
    that could push an extension out of sight become one."""
    name = unicodedata.normalize("NFC", name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(char for char in name if _shown_in_a_name(char))
    name = re.sub(r"\s+", " ", name).strip() or "document"
    return name[:200]


# Format characters kept in names: the joiners that emoji sequences and some scripts need.
_NAME_JOINERS = frozenset("\u200c\u200d")


def _shown_in_a_name(char: str) -> bool:
    category = unicodedata.category(char)
    if category == "Cf":
        return char in _NAME_JOINERS
    return category not in ("Cc", "Cs", "Zl", "Zp")


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
    content_type = _check_upload(settings, filename, data)
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


def check_received(*, settings: Settings, filename: str, incoming: IncomingFile) -> str:
    """The content type of a streamed file, judged from samples; refusals raise."""
    incoming.close()
    if incoming.size == 0:
        raise InvalidInput(f"{safe_filename(filename)}: the file is empty.")
    return _check_upload(settings, safe_filename(filename), sample_content(incoming))


# Type sniffing reads the start (magic numbers, text) and the end (ZIP member names).
SAMPLE_HEAD = 1 << 20
SAMPLE_TAIL = 1 << 16
_WIDE_BOMS = (b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")


def sample_content(incoming: IncomingFile) -> bytes:
    """The whole file when small, else its head and tail cut where text stays decodable."""
    size = incoming.size
    if size <= SAMPLE_HEAD + SAMPLE_TAIL:
        return incoming.read_range(0, size)
    head = incoming.read_range(0, SAMPLE_HEAD)
    tail_start = -(-(size - SAMPLE_TAIL) // 4) * 4  # 4-byte aligned, for UTF-16/32 text
    tail = incoming.read_range(tail_start, size - tail_start)
    if head.startswith(_WIDE_BOMS):
        return head + tail
    return _utf8_cut_end(head) + _utf8_cut_start(tail)


def _utf8_cut_end(data: bytes) -> bytes:
    """Drop a UTF-8 character left incomplete at the end."""
    for back in range(1, min(4, len(data)) + 1):
        byte = data[-back]
        if byte < 0x80:
            return data
        if byte >= 0xC0:  # lead byte: is its sequence complete?
            needed = 2 if byte < 0xE0 else 3 if byte < 0xF0 else 4
            return data if back >= needed else data[:-back]
    return data


def _utf8_cut_start(data: bytes) -> bytes:
    """Drop UTF-8 continuation bytes cut from their character at the start."""
    skip = 0
    while skip < min(3, len(data)) and 0x80 <= data[skip] < 0xC0:
        skip += 1
    return data[skip:]


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


def _check_upload(settings: Settings, filename: str, data: bytes) -> str:
    if not data:
        raise InvalidInput(f"{filename}: the file is empty.")
    if len(data) > settings.max_upload_bytes:
        raise TooLarge(
            f"{filename} is {len(data) / 1_048_576:.1f} MB; "
            f"the limit is {settings.max_upload_mb} MB."
        )
    try:
        return detect_content_type(data, filename)
    except ExtractionError as exc:
        raise UnsupportedType(f"{filename}: {exc.message}") from exc


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
