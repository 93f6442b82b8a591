"""The task class every user-facing task uses: it writes its own ledger row as it runs.

Celery stores a task's result before it sends task_success/task_failure, so a client that
waited on the result could read a stale ledger; recording inside the call closes that gap.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import Task
from celery.exceptions import Ignore, Reject, Retry
from sqlalchemy.exc import SQLAlchemyError

from backend.errors import ServiceError
from backend.ledger import task_records, webhooks
from workers.runtime import get_runtime

log = logging.getLogger(__name__)


def error_text(exc: BaseException | None) -> str:
    """The sentence to record for a failure (our own messages as they are)."""
    if exc is None:
        return "The task failed."
    if isinstance(exc, ServiceError):
        return exc.message
    if type(exc).__name__ in ("SoftTimeLimitExceeded", "TimeLimitExceeded"):
        return "The task took longer than its time limit and was stopped."
    return f"{type(exc).__name__}: {exc}"[:2000]


def record(action: str, fn: Any, **kwargs: Any) -> None:
    """Apply one ledger update; a database hiccup is logged, never raised into the task."""
    try:
        with get_runtime().session() as session:
            fn(session, **kwargs)
    except SQLAlchemyError:
        log.exception("task ledger: could not record %s", action)


class LedgerTask(Task):
    """A task whose start and end are written to the task ledger."""

    abstract = True

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        task_id = self.request.id
        if not task_id or self.request.called_directly:
            return super().__call__(*args, **kwargs)
        record(
            "start",
            task_records.mark_started,
            task_id=task_id,
            name=self.name,
            worker=self.request.hostname,
            kwargs=kwargs,
        )
        try:
            result = super().__call__(*args, **kwargs)
        except (Retry, Ignore, Reject):
            raise  # the retry and revoke signals record these
        except BaseException as exc:
            record(
                "failure",
                task_records.mark_finished,
                task_id=task_id,
                state="FAILURE",
                error=error_text(exc),
            )
            self._notify(task_id, kwargs, failed=True, result={"error": error_text(exc)})
            raise
        record("success", task_records.mark_finished, task_id=task_id, state="SUCCESS")
        self._notify(task_id, kwargs, failed=False, result=result)
        return result

    def _notify(self, task_id: str, kwargs: dict[str, Any], *, failed: bool, result: Any) -> None:
        """Queue the owner's completion webhook; never fails the task itself."""
        events = webhooks.EVENTS.get(self.name)
        user_id = kwargs.get("user_id")
        if events is None or not isinstance(user_id, int):
            return
        try:
            rt = get_runtime()
            with rt.session() as session:
                webhooks.queue_completion(
                    session=session,
                    celery=rt.celery,
                    user_id=user_id,
                    event=events[1] if failed else events[0],
                    task_id=task_id,
                    result=result if isinstance(result, dict) else {"value": result},
                )
        except Exception:
            log.exception("webhooks: could not queue the completion webhook of %s", task_id)
