"""User management work run on the user_management queue: usage reports on demand,
deactivation (pending tasks revoked) and deletion of a user with all their data."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from celery import Celery
from kombu.exceptions import OperationalError as BrokerError
from redis.exceptions import RedisError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from backend.accounts import audit
from backend.accounts.rate_limits import RateLimiter
from backend.accounts.users import end_sign_ins, get_user, require_admin
from backend.db import SessionScope
from backend.documents.storage import UploadStore
from backend.errors import InvalidInput, PermissionDenied
from backend.ledger.catalog import DEACTIVATE_USER, DELETE_USER, USER_REPORT
from backend.ledger.task_records import TaskRef, submit_task
from backend.ledger.transitions import FINISHED_STATES, Event, transition
from backend.models import Document, TaskRecord, UsageReport, User, utcnow
from backend.reports import usage
from backend.retrieval.vector_store import VectorStore

log = logging.getLogger(__name__)
Progress = Callable[[str, int], None]



# --- sender side


def request_report(
    *, session: Session, celery: Celery, actor: User, user_id: int, days: int = 30
) -> TaskRef:
    """Queue a usage report of the user (their own, or anyone's for admins)."""
    if actor.id != user_id:
        require_admin(actor)
    if not 1 <= days <= usage.MAX_DAYS:
        raise InvalidInput(f"Reports cover 1 to {usage.MAX_DAYS} days.")
    target = get_user(session=session, user_id=user_id)
    ref = submit_task(
        session=session,
        celery=celery,
        name=USER_REPORT,
        kwargs={"user_id": user_id, "days": days},
        user_id=user_id,
    )
    if actor.id != user_id:
        audit.record(
            session,
            actor=actor,
            action="request_report",
            target=target.email,
            detail=f"Usage report over {days} days.",
            data={"task_id": ref.task_id},
        )
        session.commit()
    return ref


def deactivate_user(*, session: Session, celery: Celery, actor: User, user_id: int) -> TaskRef:
    """Stop the account at once (no sign-in, no new work) and queue revoking its tasks."""
    return _stop_and_queue(session, celery, actor, user_id, DEACTIVATE_USER)


def delete_user(*, session: Session, celery: Celery, actor: User, user_id: int) -> TaskRef:
    """Deactivate the account now and queue the removal of everything it owns."""
    return _stop_and_queue(session, celery, actor, user_id, DELETE_USER)


def _stop_and_queue(
    session: Session, celery: Celery, actor: User, user_id: int, task_name: str
) -> TaskRef:
    require_admin(actor)
    target = _other_user(session, actor, user_id)
    target.is_active = False
    end_sign_ins(session=session, user=target)  # reactivation does not revive them
    session.commit()
    ref = submit_task(
        session=session,
        celery=celery,
        name=task_name,
        kwargs={"target_user_id": user_id},
        user_id=actor.id,
    )
    deleting = task_name == DELETE_USER
    audit.record(
        session,
        actor=actor,
        action="delete_user" if deleting else "deactivate_user",
        target=target.email,
        detail=(
            "Deactivated; deleting every document, vector, file and row of the account."
            if deleting
            else "Deactivated; revoking the account's unfinished tasks."
        ),
        data={"task_id": ref.task_id},
    )
    session.commit()
    return ref


def _other_user(session: Session, actor: User, user_id: int) -> User:
    if actor.id == user_id:
        raise PermissionDenied("You cannot deactivate or delete your own account here.")
    return get_user(session=session, user_id=user_id)


# --- worker side


def generate_report(*, sessions: SessionScope, user_id: int, days: int) -> dict[str, Any]:
    """Build and store the user's report; returns it."""
    with sessions() as session:
        user = get_user(session=session, user_id=user_id)
        data = usage.user_report(session=session, user=user, days=days)
        report = UsageReport(
            user_id=user_id, day=utcnow().date(), kind="on_demand", days=days, data=data
        )
        session.add(report)
        session.flush()
        return {"report_id": report.id, "user_id": user_id, "days": days}


def revoke_pending(*, sessions: SessionScope, celery: Celery, user_id: int, reason: str) -> int:
    """Revoke the user's tasks that have not finished; how many."""
    with sessions() as session:
        ids = list(
            session.scalars(
                select(TaskRecord.task_id).where(
                    TaskRecord.user_id == user_id, TaskRecord.state.not_in(FINISHED_STATES)
                )
            )
        )
        if ids:
            try:
                celery.control.revoke(ids)
            except (BrokerError, RedisError, OSError):
                # Workers refuse the user's tasks anyway (check_task_user); the ledger says so.
                log.warning("could not broadcast the revocation of %d tasks", len(ids))
        for task_id in ids:
            transition(session, task_id=task_id, event=Event.CANCELLED, error=reason)
    return len(ids)


def deactivate(*, sessions: SessionScope, celery: Celery, user_id: int) -> dict[str, Any]:
    """Make sure the account is inactive and revoke its unfinished tasks."""
    with sessions() as session:
        get_user(session=session, user_id=user_id).is_active = False
    revoked = revoke_pending(
        sessions=sessions,
        celery=celery,
        user_id=user_id,
        reason="Cancelled: the account was deactivated.",
    )
    return {"user_id": user_id, "deactivated": True, "revoked_tasks": revoked}


def delete_everything(
    *,
    sessions: SessionScope,
    celery: Celery,
    store: VectorStore,
    uploads: UploadStore,
    limiter: RateLimiter,
    user_id: int,
    progress: Progress,
) -> dict[str, Any]:
    """Remove the user's vectors, files, rows and rate-limit counters (idempotent)."""
    with sessions() as session:
        user = session.get(User, user_id)
        if user is None:
            return {"user_id": user_id, "deleted": True, "documents": 0}
        user.is_active = False
        docs = session.execute(
            select(Document.id, Document.sha256).where(Document.owner_id == user_id)
        ).all()
    progress("revoking", 5)
    reason = "Cancelled: the account was deleted."
    revoke_pending(sessions=sessions, celery=celery, user_id=user_id, reason=reason)
    progress("vectors", 20)
    store.delete_user(user_id)
    for done, (document_id, _) in enumerate(docs, start=1):
        store.delete_document(document_id)  # points written without a user id
        progress("vectors", 20 + int(50 * done / max(1, len(docs))))
    with sessions() as session:
        session.execute(delete(TaskRecord).where(TaskRecord.user_id == user_id))
        user = session.get(User, user_id)
        if user is not None:
            session.delete(user)  # documents, chunks, questions, tokens... cascade
    progress("files", 85)
    hashes = {sha for _, sha in docs}
    with sessions() as session:
        shared = set(session.scalars(select(Document.sha256).where(Document.sha256.in_(hashes))))
    for sha in hashes - shared:
        uploads.delete(sha)
    limiter.forget(user_id)
    progress("done", 100)
    return {"user_id": user_id, "deleted": True, "documents": len(docs)}
