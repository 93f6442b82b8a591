"""A user's questions with where each one stands: answered, still waiting, or failed."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.errors import NotFound
from backend.models import Question, TaskRecord, User, utcnow

ANSWERED, WAITING, FAILED = "answered", "waiting", "failed"
NOT_QUEUED = "This question was never queued because the task queue was not answering."
# The question row is committed a moment before its task id is written back.
QUEUEING_GRACE = timedelta(seconds=30)
WAITING_LABELS = {
    "PENDING": "Queued, waiting for a worker",
    "STARTED": "Searching your documents",
    "RETRY": "Retrying after a temporary problem",
}


@dataclass(frozen=True)
class Exchange:
    """One question and, when there is one, its answer with citations."""

    question_id: int
    question: str
    asked_at: datetime
    urgent: bool
    document_ids: list[int] | None
    state: str
    task_id: str | None
    task_state: str | None
    queue: str | None
    answer: str | None = None
    found: bool | None = None
    sources: list[dict[str, Any]] = field(default_factory=list)
    closest: list[dict[str, Any]] = field(default_factory=list)  # no answer: nearest passages
    missing_names: list[str] = field(default_factory=list)  # named, but in no passage searched
    ungiven: str | None = None  # the kind of answer asked for that the answer gives none of
    latency_ms: float | None = None
    confidence: str | None = None
    error: str | None = None

    @property
    def waiting_label(self) -> str:
        return WAITING_LABELS.get(self.task_state or "PENDING", "Waiting")


def conversation(
    *, session: Session, user: User, limit: int = 20, since: datetime | None = None
) -> list[Exchange]:
    """The user's latest questions, oldest first, as a chat reads; with `since`, only those
    asked after that moment (a new chat)."""
    query = select(Question).where(Question.user_id == user.id)
    if since is not None:
        query = query.where(Question.created_at > since)
    records = list(
        session.scalars(query.order_by(Question.created_at.desc(), Question.id.desc()).limit(limit))
    )
    tasks = _tasks(session, [r.task_id for r in records if r.task_id])
    return [_exchange(r, tasks.get(r.task_id or "")) for r in reversed(records)]


def get_exchange(*, session: Session, user: User, question_id: int) -> Exchange:
    """One of the user's questions; other people's are 'not found'."""
    record = session.get(Question, question_id)
    if record is None or record.user_id != user.id:
        raise NotFound("No such question.")
    task = session.get(TaskRecord, record.task_id) if record.task_id else None
    return _exchange(record, task)


def _tasks(session: Session, task_ids: list[str]) -> dict[str, TaskRecord]:
    if not task_ids:
        return {}
    rows = session.scalars(select(TaskRecord).where(TaskRecord.task_id.in_(task_ids)))
    return {row.task_id: row for row in rows}


def _exchange(record: Question, task: TaskRecord | None) -> Exchange:
    state, error = _state(record, task)
    return Exchange(
        question_id=record.id,
        question=record.text,
        asked_at=record.created_at,
        urgent=record.priority,
        document_ids=record.document_ids,
        state=state,
        task_id=record.task_id,
        task_state=task.state if task else None,
        queue=task.queue if task else None,
        answer=record.answer,
        found=record.found,
        sources=list(record.sources or []),
        closest=list(record.closest or []),
        missing_names=list(record.missing_names or []),
        ungiven=record.ungiven,
        latency_ms=record.latency_ms,
        confidence=record.confidence,
        error=error,
    )


def _state(record: Question, task: TaskRecord | None) -> tuple[str, str | None]:
    if record.answered_at is not None:
        return ANSWERED, None
    if record.error:
        return FAILED, record.error
    if task is None:
        return (WAITING, None) if _recent(record.created_at) else (FAILED, NOT_QUEUED)
    if task.state == "FAILURE":
        return FAILED, task.error or "Answering failed; try asking again."
    if task.state == "REVOKED":
        return FAILED, task.error or "The question was cancelled."
    if task.state == "SUCCESS":
        return FAILED, "The answer was not recorded; try asking again."
    return WAITING, None


def _recent(moment: datetime | None) -> bool:
    if moment is None:
        return False
    if moment.tzinfo is None:  # SQLite returns naive UTC times
        moment = moment.replace(tzinfo=UTC)
    return utcnow() - moment < QUEUEING_GRACE
