"""The audit log: every administrative action, with the admin who took it and when."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.models import User
from backend.models_admin import AuditEntry
from backend.users import require_admin


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
