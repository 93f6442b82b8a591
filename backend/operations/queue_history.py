"""Queue depth over time: beat samples every queue into the database, the pages read it back.

Beat samples in its own process (`workers.celery_app.QueueSamplingScheduler`), not through a
task: a task waits on the worker it should watch, so a saturated worker would show no backlog
until it had worked through it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from celery import Celery
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from backend.accounts.users import require_admin
from backend.models import QueueDepthSample, User, utcnow
from backend.operations.broker import queue_depths


@dataclass(frozen=True)
class DepthPoint:
    sampled_at: datetime
    queue: str
    messages: int


def record_sample(*, session: Session, celery: Celery) -> int:
    """Store the current depth of every queue; nothing is stored when the broker is away."""
    report = queue_depths(celery=celery)
    if not report.ok:
        return 0
    now = utcnow()
    session.add_all(
        QueueDepthSample(sampled_at=now, queue=q.name, messages=q.messages) for q in report.queues
    )
    session.flush()
    return len(report.queues)


def prune_samples(*, session: Session, keep_days: int) -> int:
    """Delete samples older than `keep_days`; returns how many went."""
    cutoff = utcnow() - timedelta(days=keep_days)
    result = session.execute(delete(QueueDepthSample).where(QueueDepthSample.sampled_at < cutoff))
    return int(getattr(result, "rowcount", 0) or 0)


def sample_and_prune(*, session: Session, celery: Celery, keep_days: int) -> int:
    """One round of beat's sampling: store every queue's depth now and delete samples older
    than `keep_days`; returns how many depths were stored."""
    stored = record_sample(session=session, celery=celery)
    prune_samples(session=session, keep_days=keep_days)
    return stored


def depth_history(*, session: Session, user: User, minutes: int = 60) -> list[DepthPoint]:
    """Every sample of the last `minutes`, oldest first (admins only)."""
    require_admin(user)
    since = utcnow() - timedelta(minutes=minutes)
    rows = session.execute(
        select(QueueDepthSample.sampled_at, QueueDepthSample.queue, QueueDepthSample.messages)
        .where(QueueDepthSample.sampled_at >= since)
        .order_by(QueueDepthSample.sampled_at, QueueDepthSample.queue)
    )
    return [DepthPoint(at, queue, messages) for at, queue, messages in rows]
