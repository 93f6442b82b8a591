"""document_processing queue: process and delete documents."""

from __future__ import annotations

from typing import Any

from backend.config import get_settings
from backend.documents import processing
from workers.celery_app import celery_app
from workers.runtime import get_runtime
from workers.tasks import RETRY_OPTIONS, progress_reporter, secure_user

_settings = get_settings()


@celery_app.task(
    bind=True,
    name="workers.tasks.documents.process_document",
    soft_time_limit=_settings.document_soft_time_limit,
    time_limit=_settings.document_time_limit,
    **RETRY_OPTIONS,
)
def process_document(self: Any, *, document_id: int, user_id: int) -> dict[str, Any]:
    """Extract, chunk, embed and store one uploaded document."""
    secure_user(user_id)
    return processing.process_document(
        rt=get_runtime(),
        document_id=document_id,
        user_id=user_id,
        task_id=self.request.id,
        progress=progress_reporter(self),
    )


@celery_app.task(bind=True, name="workers.tasks.documents.delete_document", **RETRY_OPTIONS)
def delete_document(
    self: Any, *, document_id: int, user_id: int, sha256: str | None = None
) -> dict[str, Any]:
    """Remove a deleted document's vectors and file."""
    return processing.remove_document_data(rt=get_runtime(), document_id=document_id, sha256=sha256)
