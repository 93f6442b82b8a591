"""user_management queue: reports on demand, deactivation and deletion of users."""

from __future__ import annotations

from typing import Any

from backend.operations import user_admin
from workers.celery_app import celery_app
from workers.runtime import get_runtime
from workers.tasks import RETRY_OPTIONS, progress_reporter


@celery_app.task(bind=True, name=user_admin.USER_REPORT, **RETRY_OPTIONS)
def generate_user_report(self: Any, *, user_id: int, days: int = 30) -> dict[str, Any]:
    """Build and store a user's usage report."""
    return user_admin.generate_report(rt=get_runtime(), user_id=user_id, days=days)


@celery_app.task(bind=True, name=user_admin.DEACTIVATE_USER, **RETRY_OPTIONS)
def deactivate_user(self: Any, *, target_user_id: int) -> dict[str, Any]:
    """Deactivate a user and revoke their unfinished tasks."""
    return user_admin.deactivate(rt=get_runtime(), user_id=target_user_id)


@celery_app.task(bind=True, name=user_admin.DELETE_USER, **RETRY_OPTIONS)
def delete_user(self: Any, *, target_user_id: int) -> dict[str, Any]:
    """Delete a user with all their documents, vectors and files."""
    return user_admin.delete_everything(
        rt=get_runtime(), user_id=target_user_id, progress=progress_reporter(self)
    )
