"""Task lifecycle signals -> the task ledger, for what happens outside a task's own call:
retries, revocations, and failures the pool reports (a hard time limit, a lost worker)."""

from __future__ import annotations

from typing import Any

from celery import signals

from backend import tasks_ledger
from workers.tasks.base import LedgerTask, error_text, record


def _is_ledger_task(sender: Any) -> bool:
    return isinstance(sender, LedgerTask)


@signals.task_failure.connect
def on_failure(
    sender: Any = None, task_id: str = "", exception: BaseException | None = None, **_: Any
) -> None:
    if _is_ledger_task(sender):
        record(
            "failure",
            tasks_ledger.mark_finished,
            task_id=task_id,
            state="FAILURE",
            error=error_text(exception),
        )


@signals.task_retry.connect
def on_retry(sender: Any = None, request: Any = None, reason: Any = None, **_: Any) -> None:
    if _is_ledger_task(sender) and request is not None:
        text = error_text(reason) if isinstance(reason, BaseException) else str(reason)
        record("retry", tasks_ledger.mark_retrying, task_id=request.id, reason=text)


@signals.task_revoked.connect
def on_revoked(sender: Any = None, request: Any = None, expired: bool = False, **_: Any) -> None:
    if _is_ledger_task(sender) and request is not None:
        reason = "Expired before it ran." if expired else "Cancelled."
        record(
            "revoke", tasks_ledger.mark_finished, task_id=request.id, state="REVOKED", error=reason
        )
