"""user_management queue: reports on demand, deactivation and deletion of users."""

from __future__ import annotations

from typing import Any

from backend.ledger import catalog
from backend.operations import user_admin
from workers.celery_app import celery_app
from workers.tasks import task_options


@celery_app.task(**task_options(catalog.USER_REPORT))
def generate_user_report(self: Any, *, user_id: int, days: int = 30) -> dict[str, Any]:
    """Build and store a user's usage report."""
    rt = self.app.runtime
    return user_admin.generate_report(sessions=rt.session, user_id=user_id, days=days)


@celery_app.task(**task_options(catalog.DEACTIVATE_USER))
def deactivate_user(self: Any, *, target_user_id: int) -> dict[str, Any]:
    """Deactivate a user and revoke their unfinished tasks."""
    rt = self.app.runtime
    return user_admin.deactivate(sessions=rt.session, celery=rt.celery, user_id=target_user_id)


@celery_app.task(**task_options(catalog.DELETE_USER))
def delete_user(self: Any, *, target_user_id: int) -> dict[str, Any]:
    """Delete a user with all their documents, vectors and files."""
    rt = self.app.runtime
    return user_admin.delete_everything(
        sessions=rt.session,
        celery=rt.celery,
        store=rt.vector_store,
        uploads=rt.uploads,
        limiter=rt.rate_limiter,
        user_id=target_user_id,
        progress=self.report_progress,
    )
