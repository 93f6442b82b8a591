"""The task ledger: submit tasks, record their lifecycle, and let users see and steer them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from celery import Celery
from celery.result import AsyncResult
from kombu.exceptions import OperationalError as BrokerError
from redis.exceptions import RedisError
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from backend.errors import InvalidInput, NotFound, ServiceUnavailable, TaskTimeout
from backend.ledger.catalog import task_spec
from backend.ledger.results import wait_for_result
from backend.ledger.routing import urgent_priority
from backend.ledger.transitions import FINISHED_STATES, Event, summarise_args, transition
from backend.models import TaskRecord, User, utcnow
from backend.stats import percentile

RETRYABLE_STATES = {"FAILURE", "REVOKED", "STUCK"}  # STUCK: flagged by maintenance
BROKER_DOWN = "The task queue is not answering right now; nothing was queued. Try again shortly."


@dataclass(frozen=True)
class TaskRef:
    task_id: str
    name: str
    queue: str


def submit_task(
    *,
    session: Session,
    celery: Celery,
    name: str,
    kwargs: dict[str, Any],
    user_id: int | None,
    priority: int | None = None,
    retry_of: str | None = None,
    task_id: str | None = None,
) -> TaskRef:
    """Record the task in the ledger, then publish it; a broker outage raises a clear error.

    Whatever the caller changed in the session is committed with the ledger row, before the
    message leaves, so the worker finds both."""
    spec = task_spec(name)
    queue = spec.queue
    if priority is None and spec.urgent:
        priority = urgent_priority(celery)
    task_id = task_id or str(uuid.uuid4())
    record = TaskRecord(
        task_id=task_id,
        name=name,
        queue=queue,
        user_id=user_id,
        args=kwargs,
        args_summary=summarise_args(kwargs),
        state="PENDING",
        retry_of=retry_of,
        priority=priority,
    )
    session.add(record)
    # Commit before publishing so the worker always finds the row it updates.
    session.commit()
    try:
        celery.send_task(name, kwargs=kwargs, task_id=task_id, priority=priority)
    except (BrokerError, RedisError, OSError) as exc:
        session.delete(record)
        session.commit()
        raise ServiceUnavailable(BROKER_DOWN) from exc
    return TaskRef(task_id=task_id, name=name, queue=queue)


# --- what users and admins do with their tasks


def get_task(*, session: Session, user: User, task_id: str) -> TaskRecord:
    """The task if the user owns it (admins see all); others get 'not found'."""
    record = session.get(TaskRecord, task_id)
    if record is None or (record.user_id != user.id and not user.is_admin):
        raise NotFound("No such task.")
    return record


def list_tasks(
    *,
    session: Session,
    user: User,
    all_users: bool = False,
    state: str | None = None,
    queue: str | None = None,
    name: str | None = None,
    since: datetime | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[TaskRecord]:
    """The user's tasks, newest first; admins may ask for everyone's."""
    query: Select[tuple[TaskRecord]] = select(TaskRecord)
    if not (all_users and user.is_admin):
        query = query.where(TaskRecord.user_id == user.id)
    if state:
        query = query.where(TaskRecord.state == state.upper())
    if queue:
        query = query.where(TaskRecord.queue == queue)
    if name:
        query = query.where(TaskRecord.name.contains(name))
    if since:
        query = query.where(TaskRecord.queued_at >= since)
    query = query.order_by(TaskRecord.queued_at.desc()).limit(min(limit, 500)).offset(offset)
    return list(session.scalars(query))


def cancel_task(*, session: Session, celery: Celery, user: User, task_id: str) -> TaskRecord:
    """Revoke a task that has not finished; a running one is terminated where the pool allows."""
    record = get_task(session=session, user=user, task_id=task_id)
    if record.state in FINISHED_STATES:
        raise InvalidInput(f"This task already ended ({record.state}); there is nothing to cancel.")
    try:
        celery.control.revoke(task_id, terminate=record.state == "STARTED", signal="SIGTERM")
    except (BrokerError, RedisError, OSError) as exc:
        raise ServiceUnavailable(BROKER_DOWN) from exc
    transition(session, task_id=task_id, event=Event.CANCELLED, error=f"Cancelled by {user.email}.")
    session.commit()
    return record


def retry_task(*, session: Session, celery: Celery, user: User, task_id: str) -> TaskRef:
    """Run a failed or cancelled task again as a new task linked to the original."""
    record = get_task(session=session, user=user, task_id=task_id)
    if record.state not in RETRYABLE_STATES:
        raise InvalidInput(
            f"Only failed or cancelled tasks can be retried; this one is {record.state}."
        )
    if record.args is None:
        raise InvalidInput("This task's arguments were not recorded, so it cannot be retried.")
    if record.state == "STUCK" and record.started_at is not None:
        raise InvalidInput(
            f"It is still running on {record.worker or 'a worker'}, past its time limit; a "
            "retry would run it twice. Cancel it first, then retry it."
        )
    ref = submit_task(
        session=session,
        celery=celery,
        name=record.name,
        kwargs=dict(record.args),
        user_id=record.user_id,
        priority=record.priority,
        retry_of=record.task_id,
    )
    if record.state == "STUCK":
        # Its message may still arrive: a worker drops it (revoked), and the ledger says it
        # ended, so no worker runs it beside the retry.
        try:
            celery.control.revoke(task_id)
        except (BrokerError, RedisError, OSError):
            pass
        replaced = f"Replaced by {ref.task_id}."
        transition(session, task_id=task_id, event=Event.CANCELLED, error=replaced)
        session.commit()
    return ref


def task_status(*, session: Session, celery: Celery, user: User, task_id: str) -> dict[str, Any]:
    """State, progress, result and error of a task the user owns, in the seed's shape."""
    record = get_task(session=session, user=user, task_id=task_id)
    status, progress, result = record.state, None, None
    if record.state == "STARTED" and record.progress is not None:
        status, progress = "PROGRESS", {"stage": record.stage, "percent": record.progress}
    elif record.state == "SUCCESS":
        result = _stored_result(celery, task_id)
    return {
        "task_id": task_id,
        "name": record.name,
        "queue": record.queue,
        "status": status,
        "progress": progress,
        "result": result,
        "error": record.error if record.state in ("FAILURE", "REVOKED", "RETRY") else None,
        "queued_at": record.queued_at,
        "started_at": record.started_at,
        "finished_at": record.finished_at,
    }


def _stored_result(celery: Celery, task_id: str) -> Any:
    try:
        return AsyncResult(task_id, app=celery).result
    except (RedisError, OSError):
        return None


def wait_for_task(*, celery: Celery, task_id: str, timeout: float) -> Any:
    """Block until the task ends and return its result; failures raise with their message."""
    try:
        meta = wait_for_result(celery.backend, task_id, timeout)
    except TimeoutError as exc:
        raise TaskTimeout(
            f"The task is still running after {timeout:.0f} seconds; check its status later."
        ) from exc
    except (RedisError, OSError) as exc:
        raise ServiceUnavailable("The result store is not answering right now.") from exc
    if meta["status"] == "SUCCESS":
        return meta.get("result")
    value = meta.get("result")
    if isinstance(value, BaseException):
        value = str(value)
    elif isinstance(value, dict) and "exc_message" in value:
        value = " ".join(str(part) for part in value.get("exc_message") or ())
    raise TaskFailed(str(value) if value else f"The task ended in state {meta['status']}.")


class TaskFailed(Exception):
    """A task ended in failure; the message is the recorded reason."""


def task_analytics(*, session: Session, user: User, days: int = 7) -> dict[str, Any]:
    """Counts by state and queue and runtime figures for the user's tasks over a period."""
    since = utcnow() - timedelta(days=days)
    base = select(TaskRecord).where(TaskRecord.user_id == user.id, TaskRecord.queued_at >= since)
    by_state = dict(
        session.execute(
            select(TaskRecord.state, func.count())
            .where(TaskRecord.user_id == user.id, TaskRecord.queued_at >= since)
            .group_by(TaskRecord.state)
        ).all()
    )
    by_queue = dict(
        session.execute(
            select(TaskRecord.queue, func.count())
            .where(TaskRecord.user_id == user.id, TaskRecord.queued_at >= since)
            .group_by(TaskRecord.queue)
        ).all()
    )
    runtimes = sorted(r.runtime_ms for r in session.scalars(base) if r.runtime_ms is not None)
    total = sum(by_state.values())
    return {
        "user_id": user.id,
        "days": days,
        "total": total,
        "by_state": by_state,
        "by_queue": by_queue,
        "failure_rate": (by_state.get("FAILURE", 0) / total) if total else 0.0,
        "runtime_ms_p50": percentile(runtimes, 50),
        "runtime_ms_p95": percentile(runtimes, 95),
    }
