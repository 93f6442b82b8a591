"""Task ledger rows as their owner reads them: what the task was and what can be done with it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from backend.ledger.catalog import REINDEX_VECTORS, owner_task_types, task_label
from backend.ledger.task_records import FINISHED_STATES, RETRYABLE_STATES
from backend.ledger.task_subjects import Subject, SubjectRef, subject_ref, task_subjects
from backend.models import TaskRecord

# The one vocabulary of task states: tables, filters, buttons, messages and charts say these.
STATE_LABELS = {
    "PENDING": "queued",
    "STARTED": "running",
    "RETRY": "retrying",
    "STUCK": "stuck",
    "SUCCESS": "succeeded",
    "FAILURE": "failed",
    "REVOKED": "cancelled",
}
QUESTION_CHARS = 60  # a question's text in a task row; the whole text is on the question


def state_label(state: str) -> str:
    """How a ledger state reads everywhere, e.g. PENDING -> "queued"."""
    return STATE_LABELS.get(state, state.lower())


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
    subject: str = ""  # what it was for: a file name, a question, an account's email

    @property
    def described(self) -> str:
        """The task in a few words, e.g. "process document 9c8a41b3 (bees.txt)"."""
        what = f" ({self.subject})" if self.subject else ""
        return f"{self.type.lower()} {self.short_id}{what}"

    @property
    def runtime_s(self) -> float | None:
        return round(self.runtime_ms / 1000, 2) if self.runtime_ms is not None else None

    @property
    def short_id(self) -> str:
        return self.task_id[:8]


def task_row(record: TaskRecord, subject: str = "") -> TaskRow:
    """The owner's view of one ledger record."""
    return TaskRow(
        task_id=record.task_id,
        name=record.name,
        type=task_label(record.name),
        queue=record.queue,
        user_id=record.user_id,
        args_summary=record.args_summary,
        state=record.state,
        state_label=state_label(record.state),
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
        subject=subject,
    )


def task_rows(*, session: Session, records: Sequence[TaskRecord]) -> list[TaskRow]:
    """The rows of a page of tasks, each saying what it was for; one query for them all."""
    found = task_subjects(session=session, records=records)
    return [task_row(record, describe(record, found)) for record in records]


def describe(record: TaskRecord, found: Mapping[SubjectRef, Subject]) -> str:
    """What the task was for: the file name of a document task, the (shortened) question of
    a question task, the target account's email of an account task."""
    ref = subject_ref(record)
    if ref is None:
        return _other_subject(record)
    kind, ident = ref
    subject = found.get(ref)
    if subject is not None and (kind == "account" or record.user_id in (None, subject.owner_id)):
        return shorten(subject.text, QUESTION_CHARS) if kind == "question" else subject.text
    return f"deleted {kind} {ident}"


def _other_subject(record: TaskRecord) -> str:
    args = record.args if isinstance(record.args, dict) else {}
    if args.get("destination"):
        return f"to {args['destination']}"
    if record.name == REINDEX_VECTORS:
        return "every account"
    return ""


def shorten(text: str, limit: int) -> str:
    """The text on one line, cut at a word to at most `limit` characters (with "…")."""
    line = " ".join(text.split())
    if len(line) <= limit:
        return line
    cut = line[: limit - 1]
    if " " in cut[limit // 2 :]:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,.;:") + "…"


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
