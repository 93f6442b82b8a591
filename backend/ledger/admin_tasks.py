"""The task ledger of every user, for administrators: browse, cancel, retry, bulk retry, stuck.

Queries are paginated in SQL (ordered by the indexed queue time); each call checks the role.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from celery import Celery
from sqlalchemy import ColumnElement, exists, func, or_, select
from sqlalchemy.orm import Session, aliased

from backend.accounts import audit
from backend.accounts.users import require_admin
from backend.config import Settings
from backend.errors import InvalidInput
from backend.ledger import task_records
from backend.ledger.stuck import stuck, why_stuck
from backend.models import TaskRecord, User, utcnow

PAGE_SIZE = 50
BULK_RETRY_MAX = 500


@dataclass(frozen=True)
class TaskFilters:
    state: str | None = None
    queue: str | None = None
    name: str | None = None
    user_email: str | None = None
    since: datetime | None = None
    text: str | None = None  # in the task id, arguments or error


@dataclass(frozen=True)
class AdminTaskRow:
    record: TaskRecord
    user_email: str | None


@dataclass(frozen=True)
class TaskPage:
    rows: list[AdminTaskRow]
    total: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


def _conditions(filters: TaskFilters) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if filters.state:
        where.append(TaskRecord.state == filters.state.upper())
    if filters.queue:
        where.append(TaskRecord.queue == filters.queue)
    if filters.name:
        where.append(TaskRecord.name == filters.name)
    if filters.user_email:
        where.append(User.email.contains(filters.user_email.strip().lower()))
    if filters.since:
        where.append(TaskRecord.queued_at >= filters.since)
    if filters.text and filters.text.strip():
        pattern = f"%{filters.text.strip()}%"
        where.append(
            or_(
                TaskRecord.task_id.ilike(pattern),
                TaskRecord.args_summary.ilike(pattern),
                TaskRecord.error.ilike(pattern),
            )
        )
    return where


def browse_tasks(
    *, session: Session, user: User, filters: TaskFilters, page: int = 1, page_size: int = PAGE_SIZE
) -> TaskPage:
    """One page of every user's tasks matching the filters, newest first, and the total."""
    require_admin(user)
    page_size = max(1, min(page_size, 200))
    page = max(1, page)
    where = _conditions(filters)
    base = select(TaskRecord, User.email).outerjoin(User, User.id == TaskRecord.user_id)
    counted = select(func.count()).select_from(TaskRecord)
    if filters.user_email:
        counted = counted.join(User, User.id == TaskRecord.user_id)
    total = int(session.scalar(counted.where(*where)) or 0)
    rows = session.execute(
        base.where(*where)
        .order_by(TaskRecord.queued_at.desc(), TaskRecord.task_id)
        .limit(page_size)
        .offset((page - 1) * page_size)
    ).all()
    return TaskPage([AdminTaskRow(r, e) for r, e in rows], total, page, page_size)


def task_names(*, session: Session, user: User) -> list[str]:
    """Every task name in the ledger, for the name filter."""
    require_admin(user)
    return list(session.scalars(select(TaskRecord.name).distinct().order_by(TaskRecord.name)))


def cancel_task(*, session: Session, celery: Celery, user: User, task_id: str) -> TaskRecord:
    """Revoke any user's task (terminating it when running), and audit it."""
    require_admin(user)
    before = task_records.get_task(session=session, user=user, task_id=task_id).state
    record = task_records.cancel_task(session=session, celery=celery, user=user, task_id=task_id)
    action = "terminate_task" if before == "STARTED" else "cancel_task"
    audit.record(
        session, actor=user, action=action, target=task_id, detail=f"{record.name} was {before}."
    )
    return record


def retry_task(
    *, session: Session, celery: Celery, user: User, task_id: str
) -> task_records.TaskRef:
    """Run any user's failed or cancelled task again as a linked task, and audit it."""
    require_admin(user)
    ref = task_records.retry_task(session=session, celery=celery, user=user, task_id=task_id)
    audit.record(
        session, actor=user, action="retry_task", target=task_id, detail=f"New task {ref.task_id}."
    )
    return ref


def _failed(filters: TaskFilters) -> list[ColumnElement[bool]]:
    """Failed, retryable and not retried already (a retry links back with retry_of)."""
    retry = aliased(TaskRecord)
    already = exists().where(retry.retry_of == TaskRecord.task_id)
    return [
        *_conditions(filters),
        TaskRecord.state == "FAILURE",
        TaskRecord.args.is_not(None),
        ~already,
    ]


def count_failed(*, session: Session, user: User, filters: TaskFilters) -> int:
    """How many failed, retryable tasks match the filters (whatever their state filter)."""
    require_admin(user)
    chosen = TaskFilters(**{**filters.__dict__, "state": None})
    query = select(func.count()).select_from(TaskRecord)
    if chosen.user_email:
        query = query.join(User, User.id == TaskRecord.user_id)
    return int(session.scalar(query.where(*_failed(chosen))) or 0)


def retry_failed(
    *, session: Session, celery: Celery, user: User, filters: TaskFilters, expected: int
) -> list[task_records.TaskRef]:
    """Retry every failed task matching the filters; `expected` is the count the admin confirmed."""
    require_admin(user)
    chosen = TaskFilters(**{**filters.__dict__, "state": None})
    if expected > BULK_RETRY_MAX:
        raise InvalidInput(f"Retry at most {BULK_RETRY_MAX} tasks at once; narrow the filters.")
    query = select(TaskRecord.task_id).outerjoin(User, User.id == TaskRecord.user_id)
    ids = list(
        session.scalars(
            query.where(*_failed(chosen)).order_by(TaskRecord.queued_at).limit(expected + 1)
        )
    )
    if len(ids) != expected:
        raise InvalidInput(
            f"{len(ids)} failed tasks match now, not the {expected} you confirmed; check again."
        )
    refs = [
        task_records.retry_task(session=session, celery=celery, user=user, task_id=task_id)
        for task_id in ids
    ]
    audit.record(
        session,
        actor=user,
        action="bulk_retry",
        target=f"{len(refs)} tasks",
        detail=f"Retried {len(refs)} failed tasks.",
        data={"filters": _describe(chosen), "task_ids": ids},
    )
    return refs


def _describe(filters: TaskFilters) -> dict[str, Any]:
    values = {k: v for k, v in filters.__dict__.items() if v}
    if "since" in values:
        values["since"] = values["since"].isoformat()
    return values


def stuck_tasks(
    *, session: Session, user: User, settings: Settings, limit: int = 200
) -> list[tuple[AdminTaskRow, str]]:
    """Tasks the stuck rules catch (`ledger.stuck`, the same rules as beat's flagging job):
    flagged STUCK, queued but not started past the threshold, or running past their limit."""
    require_admin(user)
    now = utcnow()
    rows = session.execute(
        select(TaskRecord, User.email)
        .outerjoin(User, User.id == TaskRecord.user_id)
        .where(stuck(settings, now))
        .order_by(TaskRecord.queued_at)
        .limit(limit)
    ).all()
    return [(AdminTaskRow(r, e), why_stuck(r, settings, now)) for r, e in rows]
