"""The audit log: every administrative action, with the admin who took it and when."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from backend.accounts.users import require_admin
from backend.models import AuditEntry, User


def record(
    session: Session,
    *,
    actor: User,
    action: str,
    target: str | None = None,
    detail: str | None = None,
    data: dict[str, Any] | None = None,
) -> AuditEntry:
    """Write one audit row in the caller's unit of work."""
    entry = AuditEntry(
        actor_id=actor.id,
        actor_email=actor.email,
        action=action,
        target=target,
        detail=detail,
        data=data,
    )
    session.add(entry)
    session.flush()
    return entry


def recent_entries(
    *, session: Session, user: User, action: str | None = None, limit: int = 50
) -> list[AuditEntry]:
    """The newest audit rows, optionally of one action (admins only)."""
    require_admin(user)
    query = select(AuditEntry)
    if action:
        query = query.where(AuditEntry.action == action)
    query = query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(min(limit, 500))
    return list(session.scalars(query))


@dataclass(frozen=True)
class AuditFilters:
    action: str | None = None
    actor: str | None = None  # part of the acting admin's email
    target: str | None = None  # the exact target (a queue, an email, a task id)
    text: str | None = None  # in the target or the detail
    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True)
class AuditPage:
    rows: list[AuditEntry]
    total: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


def browse_entries(
    *, session: Session, user: User, filters: AuditFilters, page: int = 1, page_size: int = 50
) -> AuditPage:
    """One page of the audit log matching the filters, newest first, and the total (admins)."""
    require_admin(user)
    page_size = max(1, min(page_size, 500))
    page = max(1, page)
    where: list[Any] = []
    if filters.action:
        where.append(AuditEntry.action == filters.action)
    if filters.actor and filters.actor.strip():
        where.append(AuditEntry.actor_email.contains(filters.actor.strip().lower()))
    if filters.target:
        where.append(AuditEntry.target == filters.target)
    if filters.text and filters.text.strip():
        pattern = f"%{filters.text.strip()}%"
        where.append(or_(AuditEntry.target.ilike(pattern), AuditEntry.detail.ilike(pattern)))
    if filters.since:
        where.append(AuditEntry.at >= filters.since)
    if filters.until:
        where.append(AuditEntry.at < filters.until)
    total = int(session.scalar(select(func.count()).select_from(AuditEntry).where(*where)) or 0)
    rows = session.scalars(
        select(AuditEntry)
        .where(*where)
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .limit(page_size)
        .offset((page - 1) * page_size)
    )
    return AuditPage(list(rows), total, page, page_size)


def actions(*, session: Session, user: User) -> list[str]:
    """Every action name in the log, for the filter."""
    require_admin(user)
    return list(session.scalars(select(AuditEntry.action).distinct().order_by(AuditEntry.action)))
