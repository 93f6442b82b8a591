"""The stuck-task rules, shared by the admins' stuck view and beat's flagging job.

A task is stuck when it was queued longer than `STUCK_PENDING_SECONDS` without starting, or
has been running longer than its time limit plus `STUCK_GRACE_SECONDS`; a task already
flagged STUCK stays in the view until it runs, is retried or is cancelled.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, or_

from backend.config import Settings
from backend.ledger.catalog import TASKS, find_task
from backend.models import TaskRecord, utcnow


def _overrun_after(settings: Settings, name: str) -> int:
    spec = find_task(name)
    limit = spec.overrun_after(settings) if spec else max(
        settings.document_time_limit, settings.question_time_limit
    )
    return limit + settings.stuck_grace_seconds


def newly_stuck(settings: Settings, now: datetime) -> ColumnElement[bool]:
    """Rows that the rules call stuck and that are not flagged yet."""
    waited = now - timedelta(seconds=settings.stuck_pending_seconds)
    overdue = [
        and_(
            TaskRecord.name == task.name,
            TaskRecord.started_at < now - timedelta(seconds=_overrun_after(settings, task.name)),
        )
        for task in TASKS
        if task.recorded
    ]
    return or_(
        and_(TaskRecord.state == "PENDING", TaskRecord.queued_at < waited),
        and_(TaskRecord.state == "STARTED", TaskRecord.started_at.is_not(None), or_(*overdue)),
    )


def stuck(settings: Settings, now: datetime) -> ColumnElement[bool]:
    """Rows the stuck view lists: flagged already, or stuck by the rules now."""
    return or_(TaskRecord.state == "STUCK", newly_stuck(settings, now))


def why_stuck(record: TaskRecord, settings: Settings, now: datetime | None = None) -> str:
    """One sentence on why the task counts as stuck."""
    now = now or utcnow()
    if record.state == "STARTED" and record.started_at is not None:
        running = (now - _aware(record.started_at)).total_seconds()
        limit = _overrun_after(settings, record.name) - settings.stuck_grace_seconds
        return f"Running {running:.0f} s, past its {limit} s time limit."
    if record.state == "PENDING":
        minutes = (now - _aware(record.queued_at)).total_seconds() / 60
        return f"Queued {minutes:.0f} min ago and not started."
    return record.error or "Flagged as stuck."


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=utcnow().tzinfo)
