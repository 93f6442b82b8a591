"""Celery tasks, one module per queue; each takes ids and small JSON and calls one service."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import redis.exceptions
from qdrant_client.http.exceptions import ResponseHandlingException
from sqlalchemy.exc import OperationalError

from backend.accounts.users import check_task_user
from workers.runtime import get_runtime
from workers.tasks.base import LedgerTask

# Only failures that go away by themselves are retried: a database or Redis restart, or the
# Qdrant server being briefly out of reach. A bad file or a missing document is never retried.
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    OperationalError,
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    ResponseHandlingException,
    httpx.TransportError,
)
RETRY_OPTIONS: dict[str, Any] = {
    "base": LedgerTask,
    "autoretry_for": TRANSIENT_ERRORS,
    "retry_backoff": 2,
    "retry_backoff_max": 60,
    "retry_jitter": True,
    "max_retries": 4,
}


def secure_user(user_id: int) -> None:
    """Refuse to act for a user who no longer exists or was deactivated."""
    with get_runtime().session() as session:
        check_task_user(session=session, user_id=user_id)


def progress_reporter(task: Any) -> Callable[[str, int], None]:
    """A callback that publishes the task's stage and percent (state PROGRESS)."""

    def report(stage: str, percent: int) -> None:
        if task.request.id and not task.request.called_directly:
            task.update_state(state="PROGRESS", meta={"stage": stage, "percent": percent})

    return report
