"""The caller's documents: list, read, delete (vectors too) and reprocess."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from backend.api.deps import CurrentUser, RuntimeDep, SessionDep
from backend.api.routes.common import DocumentIdPath
from backend.api.schemas.common import DocumentState
from backend.api.schemas.documents import DocumentOut
from backend.api.schemas.tasks import TaskAccepted
from backend.documents import library

router = APIRouter(prefix="/qa/documents", tags=["documents"])


@router.get("", summary="Your documents, newest first")
def list_documents(
    session: SessionDep, user: CurrentUser, status: Annotated[DocumentState | None, Query()] = None
) -> list[DocumentOut]:
    rows = library.list_documents(session=session, user=user, status=status)
    return [DocumentOut.of(d) for d in rows]


@router.get("/{document_id}", summary="One of your documents")
def get_document(
    document_id: DocumentIdPath, session: SessionDep, user: CurrentUser
) -> DocumentOut:
    return DocumentOut.of(
        library.get_document(session=session, user=user, document_id=document_id)
    )


@router.delete("/{document_id}", status_code=status.HTTP_202_ACCEPTED, summary="Delete a document")
def delete_document(
    document_id: DocumentIdPath, rt: RuntimeDep, session: SessionDep, user: CurrentUser
) -> TaskAccepted:
    """The document is gone at once; a task removes its vectors and file."""
    task = library.delete_document(
        session=session, celery=rt.celery, user=user, document_id=document_id
    )
    return TaskAccepted(
        task_id=task.task_id, name=task.name, queue=task.queue, document_id=document_id
    )


@router.post(
    "/{document_id}/reprocess",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Extract, chunk and embed a document again",
)
def reprocess_document(
    document_id: DocumentIdPath, rt: RuntimeDep, session: SessionDep, user: CurrentUser
) -> TaskAccepted:
    task = library.reprocess_document(
        session=session, celery=rt.celery, user=user, document_id=document_id
    )
    return TaskAccepted(
        task_id=task.task_id, name=task.name, queue=task.queue, document_id=document_id
    )
