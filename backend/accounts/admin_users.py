"""Accounts and usage for administrators: per-user figures, create, reset, role, active flag.

Every change is audited; every call checks the role itself.
"""

from __future__ import annotations

import secrets
from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import redis as redis_lib
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from backend.accounts import audit, login_throttle, users
from backend.accounts.users import require_admin
from backend.errors import InvalidInput, ServiceUnavailable
from backend.models import AuditEntry, Document, Question, Role, TaskRecord, User, utcnow
from backend.stats import percentile

RECENT_TASKS = 20


def usage_by_user(
    *, session: Session, user: User, days: int = 30, only: int | None = None
) -> list[dict[str, Any]]:
    """One row per account (or only the account `only`): documents, questions, tasks,
    failure rate, latency, activity."""
    require_admin(user)
    since = utcnow() - timedelta(days=days)

    def one(column: Any) -> list[Any]:
        return [] if only is None else [column == only]

    docs = dict(
        session.execute(
            select(Document.owner_id, func.count())
            .where(*one(Document.owner_id))
            .group_by(Document.owner_id)
        ).all()
    )
    asked = dict(
        session.execute(
            select(Question.user_id, func.count())
            .where(Question.created_at >= since, *one(Question.user_id))
            .group_by(Question.user_id)
        ).all()
    )
    tasks: dict[int, dict[str, Any]] = {}
    for user_id, total, failed, last in session.execute(
        select(
            TaskRecord.user_id,
            func.count(),
            func.sum(case((TaskRecord.state == "FAILURE", 1), else_=0)),
            func.max(TaskRecord.queued_at),
        )
        .where(TaskRecord.queued_at >= since, TaskRecord.user_id.is_not(None))
        .where(*one(TaskRecord.user_id))
        .group_by(TaskRecord.user_id)
    ):
        tasks[user_id] = {"total": total, "failed": int(failed or 0), "last": last}
    latencies: dict[int, list[float]] = defaultdict(list)
    for user_id, latency in session.execute(
        select(Question.user_id, Question.latency_ms)
        .where(Question.created_at >= since, Question.latency_ms.is_not(None))
        .where(*one(Question.user_id))
        .order_by(Question.latency_ms)
    ):
        latencies[user_id].append(float(latency or 0.0))
    rows = []
    for account in session.scalars(select(User).where(*one(User.id)).order_by(User.email)):
        t = tasks.get(account.id, {"total": 0, "failed": 0, "last": None})
        times = latencies.get(account.id, [])
        moments = [m for m in (account.last_login_at, t["last"]) if m is not None]
        rows.append(
            {
                "id": account.id,
                "email": account.email,
                "role": account.role,
                "active": account.is_active,
                "documents": docs.get(account.id, 0),
                "questions": asked.get(account.id, 0),
                "tasks": t["total"],
                "failed": t["failed"],
                "failure_rate": t["failed"] / t["total"] if t["total"] else 0.0,
                "latency_p50_ms": percentile(times, 50),
                "latency_p95_ms": percentile(times, 95),
                "last_active": max(moments, key=_utc) if moments else None,
            }
        )
    return rows


def accounts(*, session: Session, user: User) -> dict[int, str]:
    """Every account's id and email, by email (for pickers)."""
    require_admin(user)
    return dict(session.execute(select(User.id, User.email).order_by(User.email)).tuples().all())


def _utc(moment: Any) -> Any:
    return moment if moment.tzinfo else moment.replace(tzinfo=utcnow().tzinfo)


def tasks_per_day(
    *, session: Session, user: User, days: int = 30, only: int | None = None
) -> list[dict[str, Any]]:
    """Tasks of every user (or only the account `only`) per day and state, for the charts."""
    require_admin(user)
    since = utcnow() - timedelta(days=days)
    dialect = session.get_bind().dialect.name
    day = (
        func.date(func.timezone("UTC", TaskRecord.queued_at))
        if dialect == "postgresql"
        else func.date(TaskRecord.queued_at)
    )
    return [
        {"date": str(d), "state": state, "count": count}
        for d, state, count in session.execute(
            select(day, TaskRecord.state, func.count())
            .where(TaskRecord.queued_at >= since)
            .where(*([] if only is None else [TaskRecord.user_id == only]))
            .group_by(day, TaskRecord.state)
            .order_by(day)
        )
    ]


def create_account(
    *, session: Session, user: User, email: str, password: str, role: str = "user"
) -> User:
    """A new account made by an admin, audited."""
    require_admin(user)
    created = users.create_user(session=session, email=email, password=password, role=role)
    audit.record(
        session, actor=user, action="create_user", target=created.email, detail=f"Role {role}."
    )
    return created


def reset_password(
    *, session: Session, user: User, user_id: int, new_password: str | None = None
) -> str:
    """Set another account's password (generated when not given); returns it to show once."""
    require_admin(user)
    target = users.get_user(session=session, user_id=user_id)
    password = new_password or secrets.token_urlsafe(12)
    if len(password) < users.MIN_PASSWORD_LENGTH:
        raise InvalidInput(
            f"The password must be at least {users.MIN_PASSWORD_LENGTH} characters long."
        )
    target.password_hash = users.hash_password(password)
    revoked = users.end_sign_ins(session=session, user=target)
    audit.record(
        session,
        actor=user,
        action="reset_password",
        target=target.email,
        detail=f"Signed out everywhere; {revoked} tokens revoked.",
    )
    return password


def unlock_sign_in(
    *, session: Session, redis: redis_lib.Redis, user: User, user_id: int
) -> tuple[User, int]:
    """Clear an account's failed sign-ins and back-offs from every client, audited; returns
    the account and how many clients had failed at it."""
    require_admin(user)
    target = users.get_user(session=session, user_id=user_id)
    try:
        cleared = login_throttle.unlock(redis, target.email)
    except redis_lib.RedisError:
        raise ServiceUnavailable(
            "Redis is not answering, so the sign-in back-off cannot be cleared; try again shortly."
        ) from None
    audit.record(
        session,
        actor=user,
        action="unlock_sign_in",
        target=target.email,
        detail=f"Sign-in back-off cleared for {cleared} client{'s' if cleared != 1 else ''}.",
    )
    return target, cleared


def set_role(*, session: Session, user: User, user_id: int, role: str) -> User:
    """Make an account user, premium or admin; an admin cannot demote themself."""
    require_admin(user)
    target = users.get_user(session=session, user_id=user_id)
    try:
        role = Role(role).value
    except ValueError:
        raise InvalidInput(f"Unknown role '{role}'.") from None
    if target.id == user.id and role != Role.ADMIN.value:
        raise InvalidInput("You cannot remove your own admin role; ask another admin.")
    before, target.role = target.role, role
    audit.record(
        session, actor=user, action="set_role", target=target.email, detail=f"{before} -> {role}"
    )
    return target


def set_active(*, session: Session, user: User, user_id: int, active: bool) -> User:
    """Reactivate an account. Deactivation has one path, `user_admin.deactivate_user`, which
    also revokes the account's unfinished tasks; `active=False` is refused here."""
    require_admin(user)
    target = users.get_user(session=session, user_id=user_id)
    if target.id == user.id and not active:
        raise InvalidInput("You cannot deactivate your own account.")
    if not active:
        raise InvalidInput(
            "Deactivate the account with its Deactivate action, which also revokes its "
            "unfinished tasks."
        )
    target.is_active = active
    audit.record(
        session,
        actor=user,
        action="activate_user",
        target=target.email,
    )
    return target


@dataclass(frozen=True)
class UserDetail:
    """Everything the user detail page shows about one account."""

    account: User
    usage: dict[str, Any]  # the account's row of `usage_by_user`
    tasks_by_state: dict[str, int]  # over the period
    per_day: list[dict[str, Any]]
    recent_tasks: list[TaskRecord]
    documents: list[Document]
    audit: list[AuditEntry]  # actions taken on this account


def user_detail(*, session: Session, user: User, user_id: int, days: int = 30) -> UserDetail:
    """One account's usage, recent tasks, documents and the admin actions taken on it."""
    require_admin(user)
    account = users.get_user(session=session, user_id=user_id)
    since = utcnow() - timedelta(days=days)
    (usage,) = usage_by_user(session=session, user=user, days=days, only=user_id)
    by_state = dict(
        session.execute(
            select(TaskRecord.state, func.count())
            .where(TaskRecord.user_id == user_id, TaskRecord.queued_at >= since)
            .group_by(TaskRecord.state)
        ).all()
    )
    recent = session.scalars(
        select(TaskRecord)
        .where(TaskRecord.user_id == user_id)
        .order_by(TaskRecord.queued_at.desc())
        .limit(RECENT_TASKS)
    )
    documents = session.scalars(
        select(Document).where(Document.owner_id == user_id).order_by(Document.created_at.desc())
    )
    entries = audit.browse_entries(
        session=session, user=user, filters=audit.AuditFilters(target=account.email), page_size=20
    )
    return UserDetail(
        account=account,
        usage=usage,
        tasks_by_state={str(k): int(v) for k, v in by_state.items()},
        per_day=tasks_per_day(session=session, user=user, days=days, only=user_id),
        recent_tasks=list(recent),
        documents=list(documents),
        audit=entries.rows,
    )
