"""Task ledger rows as their owner reads them: what the task was and what can be done with it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from backend.ledger.routing import (
    ANSWER_QUESTION,
    BEAT_HEARTBEAT,
    DELETE_DOCUMENT,
    PRIORITY_QUESTION,
    PROCESS_DOCUMENT,
)
from backend.ledger.task_records import FINISHED_STATES, RETRYABLE_STATES
from backend.models import TaskRecord

TASK_TYPES = {
    PROCESS_DOCUMENT: "Process document",
    DELETE_DOCUMENT: "Delete document",
    ANSWER_QUESTION: "Answer question",
    PRIORITY_QUESTION: "Urgent question",
    BEAT_HEARTBEAT: "Scheduler heartbeat",
}
STATE_LABELS = {
    "PENDING": "queued",
    "STARTED": "running",
    "RETRY": "retrying",
    "SUCCESS": "succeeded",
    "FAILURE": "failed",
    "REVOKED": "cancelled",
}


def task_type(name: str) -> str:
    """A readable name for a task, e.g. 'Process document'."""
    if name in TASK_TYPES:
        return TASK_TYPES[name]
    return name.rsplit(".", 1)[-1].replace("_", " ").capitalize()


@dataclass(frozen=True)
class TaskRow:
    """One ledger record with the actions its owner may take."""

    task_id: str
    type: str
    queue: str | None
    state: str
    state_label: str
    queued_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    runtime_s: float | None
    retries: int
    error: str | None
    retry_of: str | None
    can_cancel: bool
    can_retry: bool

    @property
    def short_id(self) -> str:
        return self.task_id[:8]


def task_row(record: TaskRecord) -> TaskRow:
    """The owner's view of one ledger record."""
    return TaskRow(
        task_id=record.task_id,
        type=task_type(record.name),
        queue=record.queue,
        state=record.state,
        state_label=STATE_LABELS.get(record.state, record.state.lower()),
        queued_at=record.queued_at,
        started_at=record.started_at,
        finished_at=record.finished_at,
        runtime_s=round(record.runtime_ms / 1000, 2) if record.runtime_ms is not None else None,
        retries=record.retries or 0,
        error=record.error,
        retry_of=record.retry_of,
        can_cancel=record.state not in FINISHED_STATES,
        can_retry=record.state in RETRYABLE_STATES and record.args is not None,
    )


def task_type_filters() -> dict[str, str]:
    """Readable task types a user can filter by, mapped to the task name."""
    return {label: name for name, label in TASK_TYPES.items() if name != BEAT_HEARTBEAT}
