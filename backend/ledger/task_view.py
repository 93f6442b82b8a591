"""Task ledger rows as their owner reads them: what the task was and what can be done with it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from backend.ledger.catalog import owner_task_types, task_label
from backend.ledger.task_records import FINISHED_STATES, RETRYABLE_STATES
from backend.models import TaskRecord

STATE_LABELS = {
    "PENDING": "queued",
    "STARTED": "running",
    "RETRY": "retrying",
    "SUCCESS": "succeeded",
    "FAILURE": "failed",
    "REVOKED": "cancelled",
}


@dataclass(frozen=True)
class TaskRow:
    """One ledger record as every door shows it (API, CLI, dashboard): what the task was,
    where it stands, and the actions its owner may take."""

    task_id: str
    name: str
    type: str
    queue: str | None
    user_id: int | None
    args_summary: str | None
    state: str
    state_label: str
    stage: str | None
    progress: int | None
    queued_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    runtime_ms: float | None
    retries: int
    error: str | None
    worker: str | None
    retry_of: str | None
    can_cancel: bool
    can_retry: bool

    @property
    def runtime_s(self) -> float | None:
        return round(self.runtime_ms / 1000, 2) if self.runtime_ms is not None else None

    @property
    def short_id(self) -> str:
        return self.task_id[:8]


def task_row(record: TaskRecord) -> TaskRow:
    """The owner's view of one ledger record."""
    return TaskRow(
        task_id=record.task_id,
        name=record.name,
        type=task_label(record.name),
        queue=record.queue,
        user_id=record.user_id,
        args_summary=record.args_summary,
        state=record.state,
        state_label=STATE_LABELS.get(record.state, record.state.lower()),
        stage=record.stage,
        progress=record.progress,
        queued_at=record.queued_at,
        started_at=record.started_at,
        finished_at=record.finished_at,
        runtime_ms=record.runtime_ms,
        retries=record.retries or 0,
        error=record.error,
        worker=record.worker,
        retry_of=record.retry_of,
        can_cancel=record.state not in FINISHED_STATES,
        # A stuck task that is still running (past its limit) is cancelled before a retry.
        can_retry=record.state in RETRYABLE_STATES
        and record.args is not None
        and not (record.state == "STUCK" and record.started_at is not None),
    )


def task_dict(record: TaskRecord) -> dict[str, Any]:
    """A ledger row as plain JSON-friendly values (the CLI and the seed's task monitor)."""
    row = task_row(record)
    return {
        "task_id": row.task_id,
        "name": row.name,
        "type": row.type,
        "queue": row.queue,
        "user_id": row.user_id,
        "state": row.state,
        "args": row.args_summary,
        "queued_at": _iso(row.queued_at),
        "started_at": _iso(row.started_at),
        "finished_at": _iso(row.finished_at),
        "runtime_ms": row.runtime_ms,
        "retries": row.retries,
        "error": row.error,
        "worker": row.worker,
        "retry_of": row.retry_of,
    }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def task_type_filters() -> dict[str, str]:
    """Readable task types a user can filter by, mapped to the task name."""
    return owner_task_types()
