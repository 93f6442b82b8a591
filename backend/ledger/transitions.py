"""The one write path for task state.

Every change of a task's state (queued, started, progress, succeeded, failed, retried, cancelled,
purged, revoked, lost, stuck) is a call to `transition`, which updates the ledger row and, in the
same transaction, the document or question the task serves: a cancelled or purged upload ends
FAILED with the reason (and can be reprocessed), a cancelled question says why it has no answer.
"""

from __future__ import annotations

import json
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy.orm import Session

from backend.ledger.catalog import find_task
from backend.models import Document, DocumentStatus, Question, TaskRecord, utcnow


class Event(StrEnum):
    STARTED = "started"
    PROGRESS = "progress"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    RETRYING = "retrying"
    CANCELLED = "cancelled"  # by its owner or an admin
    PURGED = "purged"  # its message was removed from the queue
    REVOKED = "revoked"  # the worker dropped it (a revoke, an expiry)
    LOST = "lost"  # the worker running it is gone; it will run again
    STUCK = "stuck"  # flagged by the stuck-task rules


STATE_OF = {
    Event.STARTED: "STARTED",
    Event.PROGRESS: "STARTED",
    Event.SUCCEEDED: "SUCCESS",
    Event.FAILED: "FAILURE",
    Event.RETRYING: "RETRY",
    Event.CANCELLED: "REVOKED",
    Event.PURGED: "REVOKED",
    Event.REVOKED: "REVOKED",
    Event.LOST: "PENDING",
    Event.STUCK: "STUCK",
}
FINISHED_STATES = {"SUCCESS", "FAILURE", "REVOKED"}
ENDING = {Event.SUCCEEDED, Event.FAILED, Event.CANCELLED, Event.PURGED, Event.REVOKED}


def summarise_args(kwargs: dict[str, Any]) -> str:
    """A short, log-safe summary of a task's arguments."""
    text = json.dumps(kwargs, sort_keys=True, default=str)
    return text if len(text) <= 200 else text[:197] + "..."


def transition(
    session: Session,
    *,
    task_id: str,
    event: Event,
    error: str | None = None,
    reason: str | None = None,
    name: str | None = None,
    worker: str | None = None,
    kwargs: dict[str, Any] | None = None,
    stage: str | None = None,
    percent: int | None = None,
) -> TaskRecord | None:
    """Apply one event to a task and to what it serves; the row, or None when it is gone.

    `error` is what the ledger records (for admins); `reason` is what the owner reads on the
    document or question (the error when not given). An ending recorded twice is a no-op, and
    a finished task is never reopened by a late event."""
    record = session.get(TaskRecord, task_id)
    if record is None and name is not None and event is Event.STARTED:
        # Published without going through submit_task (beat, an external client).
        spec = find_task(name)
        record = TaskRecord(
            task_id=task_id, name=name, state="PENDING", queue=spec.queue if spec else None
        )
        session.add(record)
    if record is None:
        return None  # removed meanwhile (retention, a deleted user): not brought back
    if record.state in FINISHED_STATES:
        return record  # a finished task is never reopened, nor ended a second time
    _apply(record, event, error=error, worker=worker, kwargs=kwargs, stage=stage, percent=percent)
    _update_served(session, record, event, reason or error)
    return record


def _apply(
    record: TaskRecord,
    event: Event,
    *,
    error: str | None,
    worker: str | None,
    kwargs: dict[str, Any] | None,
    stage: str | None,
    percent: int | None,
) -> None:
    now = utcnow()
    if event is Event.STARTED:
        if record.args is None and kwargs is not None:
            record.args = kwargs
            record.args_summary = summarise_args(kwargs)
            record.user_id = record.user_id or kwargs.get("user_id")
        record.started_at, record.worker, record.error = now, worker, None
        record.stage, record.progress = None, None
    elif event is Event.PROGRESS:
        record.stage, record.progress = stage, percent
    elif event is Event.RETRYING:
        record.retries = (record.retries or 0) + 1
    elif event is Event.LOST:
        record.started_at, record.worker, record.stage, record.progress = None, None, None, None
    if event in ENDING:
        record.finished_at = now
        if record.started_at is not None:
            record.runtime_ms = (now - _aware(record.started_at)).total_seconds() * 1000
    if error is not None and not (event is Event.REVOKED and record.error):
        # A cancellation's reason (who cancelled) outranks the worker's generic one.
        record.error = error[:2000]
    if event is not Event.PROGRESS:
        record.state = STATE_OF[event]


def _update_served(session: Session, record: TaskRecord, event: Event, reason: str | None) -> None:
    spec = find_task(record.name)
    args = record.args or {}
    if spec is None or spec.serves is None:
        return
    if spec.serves == "document" and isinstance(args.get("document_id"), int):
        document = session.get(Document, args["document_id"])
        if document is not None and document.processing_task_id in (None, record.task_id):
            _update_document(document, event, reason, record)
    elif spec.serves == "question" and isinstance(args.get("question_id"), int):
        question = session.get(Question, args["question_id"])
        if question is not None and question.answered_at is None:
            _update_question(question, event, reason)


def _update_document(
    document: Document, event: Event, reason: str | None, record: TaskRecord
) -> None:
    if event is Event.STARTED:
        document.processing_status = DocumentStatus.PROCESSING.value
        document.processing_error = None
    elif event is Event.PROGRESS:
        document.processing_stage = record.stage
        document.processing_progress = record.progress or 0
    elif event in (Event.RETRYING, Event.LOST):
        # It will run again: queued, not failed.
        document.processing_status = DocumentStatus.PENDING.value
        document.processing_stage = "queued"
    elif event in (Event.FAILED, Event.CANCELLED, Event.PURGED, Event.REVOKED):
        if document.processing_status == DocumentStatus.READY.value:
            return
        document.processing_status = DocumentStatus.FAILED.value
        document.processing_stage = "failed"
        document.processing_error = (reason or "Processing stopped.")[:2000]


def _update_question(question: Question, event: Event, reason: str | None) -> None:
    if event in (Event.FAILED, Event.CANCELLED, Event.PURGED, Event.REVOKED):
        question.error = (reason or "The question was not answered.")[:2000]
    elif event in (Event.STARTED, Event.RETRYING, Event.LOST):
        question.error = None


def _aware(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes; every stored time is UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=utcnow().tzinfo)
