"""Celery tasks, one module per queue; each takes ids and small JSON and calls one service.

A task's name, queue, time limits and retry policy come from the task table
(`backend.ledger.catalog`) through `task_options`.
"""

from __future__ import annotations

from typing import Any

import httpx
import redis.exceptions
from qdrant_client.http.exceptions import ResponseHandlingException
from sqlalchemy.exc import OperationalError

from backend.accounts.users import check_task_user
from backend.config import get_settings
from backend.ledger.catalog import Retry, task_spec
from backend.runtime import Runtime
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
TRANSIENT_RETRY: dict[str, Any] = {
    "autoretry_for": TRANSIENT_ERRORS,
    "retry_backoff": 2,
    "retry_backoff_max": 60,
    "retry_jitter": True,
    "max_retries": 4,
}


def task_options(name: str) -> dict[str, Any]:
    """The `@celery_app.task(...)` options of a declared task."""
    spec = task_spec(name)
    options: dict[str, Any] = {"name": spec.name, "bind": True}
    if spec.recorded:
        options["base"] = LedgerTask
    if spec.ignore_result:
        options["ignore_result"] = True
    limits = spec.time_limits(get_settings())
    if limits is not None:
        options["soft_time_limit"], options["time_limit"] = limits
    if spec.retry is Retry.TRANSIENT:
        options.update(TRANSIENT_RETRY)
    elif spec.retry is Retry.WEBHOOK:
        options["max_retries"] = None  # the task counts its attempts against the settings
    return options


def secure_user(rt: Runtime, user_id: int) -> None:
    """Refuse to act for a user who no longer exists or was deactivated."""
    with rt.session() as session:
        check_task_user(session=session, user_id=user_id)
