"""document_processing queue: process and delete documents."""

from __future__ import annotations

from typing import Any

from backend.documents import library, processing
from backend.ledger import catalog
from workers.celery_app import celery_app
from workers.tasks import secure_user, task_options


# A rejected document (a bad file, or one over its time or passage budget) is an expected end:
# Celery logs it as one INFO line with its reason, not as an ERROR with a traceback.
@celery_app.task(**task_options(catalog.PROCESS_DOCUMENT), throws=(processing.DocumentRejected,))
def process_document(self: Any, *, document_id: int, user_id: int) -> dict[str, Any]:
    """Extract, chunk, embed and store one uploaded document."""
    rt = self.app.runtime
    secure_user(rt, user_id)
    return processing.process_document(
        sessions=rt.session,
        settings=rt.settings,
        uploads=rt.uploads,
        embedder=rt.embedder,
        store=rt.vector_store,
        document_id=document_id,
        user_id=user_id,
        task_id=self.request.id,
        progress=self.report_progress,
    )


@celery_app.task(**task_options(catalog.DELETE_DOCUMENT))
def delete_document(
    self: Any, *, document_id: int, user_id: int, sha256: str | None = None
) -> dict[str, Any]:
    """Remove a deleted document's vectors and file."""
    rt = self.app.runtime
    return library.remove_document_data(
        sessions=rt.session,
        uploads=rt.uploads,
        store=rt.vector_store,
        document_id=document_id,
        sha256=sha256,
    )
