"""The task class every recorded task uses: its state goes to the ledger as it runs.

Celery stores a task's result before it sends task_success/task_failure, so a client that
waited on the result could read a stale ledger; recording inside the call closes that gap.
Every write goes through the ledger's one write path (`backend.ledger.transitions`), which
keeps the document or question the task serves in step.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from celery import Task
from celery.exceptions import Ignore, Reject, Retry
from redis.exceptions import RedisError
from sqlalchemy.exc import InterfaceError, OperationalError, SQLAlchemyError

from backend.errors import ServiceError
from backend.ledger import webhooks
from backend.ledger.transitions import FINISHED_STATES, Event, transition
from backend.models import TaskRecord
from backend.operations import recovery
from backend.runtime import Runtime
from workers.app import runtime_of

log = logging.getLogger(__name__)
RECORDED = "_qa_ledger_recorded"  # set on an exception whose failure the task recorded itself


def error_text(exc: BaseException | None) -> str:
    """The sentence the ledger records for a failure (our own messages as they are)."""
    if exc is None:
        return "The task failed."
    if isinstance(exc, ServiceError):
        return exc.message
    if type(exc).__name__ in ("SoftTimeLimitExceeded", "TimeLimitExceeded"):
        return "The task took longer than its time limit and was stopped."
    return f"{type(exc).__name__}: {exc}"[:2000]


def owner_reason(exc: BaseException | None) -> str:
    """What the owner reads on the document or question: never a stack trace."""
    if isinstance(exc, ServiceError):
        return exc.message
    if exc is not None and type(exc).__name__ in ("SoftTimeLimitExceeded", "TimeLimitExceeded"):
        return "It took longer than its time limit and was stopped."
    return "It failed because of an internal error; try again, or ask an administrator."


# A write that meets a dropped connection is tried again on a fresh one (the pool replaces
# it): the ledger's last word on a task must not be lost to a database restart.
RECORD_PAUSES = (0.2, 1.0, 3.0)


def record(rt: Runtime, task_id: str, event: Event, **details: Any) -> None:
    """Apply one ledger event; a database hiccup is retried, then logged, never raised."""
    for attempt, pause in enumerate((*RECORD_PAUSES, None)):
        try:
            with rt.session() as session:
                transition(session, task_id=task_id, event=event, **details)
            return
        except (OperationalError, InterfaceError) as exc:
            if pause is None:
                log.error(
                    "task ledger: could not record %s of %s after %d attempts: %s",
                    event.value,
                    task_id,
                    attempt + 1,
                    type(exc).__name__,
                )
                return
            log.warning(
                "task ledger: the database dropped the write of %s of %s; again in %.1f s",
                event.value,
                task_id,
                pause,
            )
            time.sleep(pause)
        except SQLAlchemyError:
            log.exception("task ledger: could not record %s of %s", event.value, task_id)
            return


class LedgerTask(Task):
    """A task whose start, progress and end are written to the task ledger."""

    abstract = True

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        task_id = self.request.id
        if not task_id or self.request.called_directly:
            return super().__call__(*args, **kwargs)
        rt = runtime_of(self)
        if self._runs_elsewhere_or_ended(rt, task_id):
            raise Ignore()
        record(
            rt, task_id, Event.STARTED, name=self.name, worker=self.request.hostname, kwargs=kwargs
        )
        try:
            result = super().__call__(*args, **kwargs)
        except (Retry, Ignore, Reject):
            raise  # the retry and revoke signals record these
        except BaseException as exc:
            record(rt, task_id, Event.FAILED, error=error_text(exc), reason=owner_reason(exc))
            setattr(exc, RECORDED, True)
            self._notify(rt, task_id, kwargs, failed=True, result={"error": error_text(exc)})
            raise
        record(rt, task_id, Event.SUCCEEDED)
        self._notify(rt, task_id, kwargs, failed=False, result=result)
        return result

    def retry(self, *args: Any, **kwargs: Any) -> Any:
        """Record the retry before its message is published: a copy that starts at once
        (countdown 0, another pool thread) must find RETRY, not a run of its own in progress,
        or it would be taken for a duplicate and dropped."""
        request = self.request
        task_id = request.id
        if not task_id or request.called_directly or request.is_eager:
            return super().retry(*args, **kwargs)
        limit = kwargs.get("max_retries")
        limit = self.max_retries if limit is None else limit
        exc = kwargs.get("exc")
        rt = runtime_of(self)
        if limit is None or request.retries + 1 <= limit:
            text = error_text(exc) if isinstance(exc, BaseException) else "Retrying."
            record(rt, task_id, Event.RETRYING, error=text)
        try:
            return super().retry(*args, **kwargs)
        except Reject as rejected:
            # The retry could not be queued (the broker is unreachable): the run ends here.
            sentence = "It could not be queued again to retry (the broker was unreachable)."
            record(rt, task_id, Event.FAILED, error=sentence, reason=sentence)
            setattr(rejected, RECORDED, True)
            raise

    @staticmethod
    def _runs_elsewhere_or_ended(rt: Runtime, task_id: str) -> bool:
        """A second copy of the message (a broker restart, a recovered task) is not run again
        when the task already ended or a live worker is running it now."""
        try:
            with rt.session() as session:
                row = session.get(TaskRecord, task_id)
                if row is None:
                    return False
                if row.state in FINISHED_STATES:
                    log.info("task %s already ended (%s); not run again", task_id, row.state)
                    return True
                if row.state == "STARTED" and row.worker:
                    alive = recovery.alive_since(rt.redis, row.worker)
                    if alive is not None and recovery.held_by_a_live_run(row, {row.worker: alive}):
                        log.info("task %s is running on %s; not run twice", task_id, row.worker)
                        return True
        except (SQLAlchemyError, RedisError):
            return False  # cannot tell: running it is safe (every task is idempotent)
        return False

    def report_progress(self, stage: str, percent: int) -> None:
        """Record the running task's stage and percent done (the ledger, not the broker)."""
        if self.request.id and not self.request.called_directly:
            record(runtime_of(self), self.request.id, Event.PROGRESS, stage=stage, percent=percent)

    def _notify(
        self, rt: Runtime, task_id: str, kwargs: dict[str, Any], *, failed: bool, result: Any
    ) -> None:
        """Queue the owner's completion webhook; never fails the task itself."""
        event = webhooks.completion_event(self.name, failed=failed)
        user_id = kwargs.get("user_id")
        if event is None or not isinstance(user_id, int):
            return
        try:
            with rt.session() as session:
                webhooks.queue_completion(
                    session=session,
                    celery=rt.celery,
                    user_id=user_id,
                    event=event,
                    task_id=task_id,
                    result=result if isinstance(result, dict) else {"value": result},
                )
        except Exception:
            log.exception("webhooks: could not queue the completion webhook of %s", task_id)
