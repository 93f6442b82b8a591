"""POST /qa/upload (streamed multipart, async or sync) and GET /qa/upload/status/{task_id}."""

from __future__ import annotations

import time
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response, status
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from backend.api.deps import CurrentUser, RuntimeDep, SessionDep
from backend.api.multipart import receive_files
from backend.api.routes.common import TaskIdPath, live_status
from backend.api.schemas.common import Progress
from backend.api.schemas.documents import DocumentOut, UploadItem, UploadResponse, UploadStatus
from backend.documents import library
from backend.documents.storage import IncomingFile
from backend.errors import NotFound, TaskTimeout
from backend.ledger import task_records
from backend.ledger.catalog import PROCESS_DOCUMENT
from backend.models import Document, DocumentStatus, User
from backend.runtime import Runtime

router = APIRouter(prefix="/qa", tags=["documents"])
MAX_FILES = 20
UNFINISHED = (DocumentStatus.PENDING.value, DocumentStatus.PROCESSING.value)
DOCUMENT_TO_TASK = {
    DocumentStatus.PENDING.value: "PENDING",
    DocumentStatus.PROCESSING.value: "STARTED",
    DocumentStatus.READY.value: "SUCCESS",
    DocumentStatus.FAILED.value: "FAILURE",
}
_BINARY = {"type": "string", "format": "binary", "contentMediaType": "application/octet-stream"}
UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {
                            "type": "array",
                            "items": _BINARY,
                            "minItems": 1,
                            "maxItems": MAX_FILES,
                            "description": "One or more files (PDF, text, Markdown, HTML); "
                            "repeat the field for several.",
                        }
                    },
                }
            }
        },
    }
}


@router.post(
    "/upload",
    summary="Upload documents",
    status_code=status.HTTP_202_ACCEPTED,
    openapi_extra=UPLOAD_BODY,
    responses={200: {"model": UploadResponse, "description": "Sync mode: processing ended."}},
)
async def upload(
    request: Request,
    response: Response,
    rt: RuntimeDep,
    session: SessionDep,
    user: CurrentUser,
    use_async: Annotated[bool, Query(description="false: wait until processing ends.")] = True,
) -> UploadResponse:
    """Stream the files to the upload store and queue their processing.

    Files are checked by content (not only by name) and against the size limit while they
    arrive; if any file is refused, none is kept. Sync mode waits for READY or FAILED."""
    # End the sign-in's transaction: a slow upload must not hold a database connection.
    await run_in_threadpool(session.commit)
    files = await receive_files(
        request,
        uploads=rt.uploads,
        max_bytes=rt.settings.max_upload_bytes,
        max_files=MAX_FILES,
    )
    items, finished = await run_in_threadpool(_store, rt, session, user, files, use_async)
    response.status_code = status.HTTP_200_OK if finished else status.HTTP_202_ACCEPTED
    return UploadResponse(**items[0].model_dump(), files=items)


def _store(
    rt: Runtime,
    session: Session,
    user: User,
    files: list[tuple[str, IncomingFile]],
    use_async: bool,
) -> tuple[list[UploadItem], bool]:
    try:
        for name, incoming in files:  # refuse the whole request before keeping anything
            library.check_received(settings=rt.settings, filename=name, incoming=incoming)
        results = [
            library.upload_received(
                session=session,
                celery=rt.celery,
                settings=rt.settings,
                user=user,
                filename=name,
                incoming=incoming,
                limiter=rt.rate_limiter,
            )
            for name, incoming in files
        ]
    finally:
        for _, incoming in files:
            incoming.discard()
    finished = not use_async and _wait_all(rt, session, results)
    return [_item(r.document, r.duplicate) for r in results], finished


def _wait_all(rt: Runtime, session: Session, results: list[library.UploadResult]) -> bool:
    """Wait for every new document's processing, sharing one deadline; True if all ended."""
    deadline = time.monotonic() + rt.settings.sync_wait_seconds
    for result in results:
        # A duplicate of a document still in processing waits for that processing.
        task_id = result.task.task_id if result.task else result.document.processing_task_id
        if task_id is None or result.document.processing_status not in UNFINISHED:
            continue
        try:
            task_records.wait_for_task(
                celery=rt.celery, task_id=task_id, timeout=max(0.1, deadline - time.monotonic())
            )
        except task_records.TaskFailed:
            pass  # the document records why
        except TaskTimeout:
            return False
    for result in results:
        session.refresh(result.document)
    return True


def _item(document: Document, duplicate: bool) -> UploadItem:
    return UploadItem(
        task_id=document.processing_task_id,
        document_id=document.id,
        filename=document.filename,
        status=DOCUMENT_TO_TASK.get(document.processing_status, "PENDING"),  # type: ignore[arg-type]
        duplicate=duplicate,
        document=DocumentOut.of(document),
    )


@router.get("/upload/status/{task_id}", summary="Where an upload's processing stands")
def upload_status(
    task_id: TaskIdPath, rt: RuntimeDep, session: SessionDep, user: CurrentUser
) -> UploadStatus:
    """The states the seed's frontend polls for, with the stage and percent done."""
    live, record = live_status(session=session, rt=rt, user=user, task_id=task_id)
    if record.name != PROCESS_DOCUMENT:
        raise NotFound("No such upload task.")
    document = _document_of(session, user, record.args)
    progress = live.get("progress")
    if progress is None and document is not None:
        progress = {"stage": document.processing_stage, "percent": document.processing_progress}
    return UploadStatus(
        task_id=task_id,
        status=live["status"],
        progress=Progress(**progress) if isinstance(progress, dict) else None,
        result=DocumentOut.of(document) if document is not None else None,
        error=live["error"],
        queued_at=live["queued_at"],
        started_at=live["started_at"],
        finished_at=live["finished_at"],
    )


def _document_of(session: Session, user: User, args: dict[str, Any] | None) -> Document | None:
    document_id = (args or {}).get("document_id")
    if not isinstance(document_id, int):
        return None
    try:
        return library.get_document(session=session, user=user, document_id=document_id)
    except NotFound:
        return None  # deleted since
