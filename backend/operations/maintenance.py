"""Beat-driven maintenance: stuck tasks, retention clean-up, orphaned files and vectors,
daily usage reports, and admin notices when workers vanish or a queue backs up."""

from __future__ import annotations

import logging
import time
from datetime import date, datetime, timedelta
from typing import Any

import httpx
import redis as redis_lib
from celery import Celery
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from backend.config import Settings
from backend.db import SessionScope
from backend.documents.storage import UploadStore
from backend.ledger.stuck import newly_stuck, why_stuck
from backend.ledger.transitions import FINISHED_STATES, Event, transition
from backend.models import (
    AdminNotice,
    Document,
    Question,
    TaskFlag,
    TaskRecord,
    UsageReport,
    User,
    WebhookDelivery,
    utcnow,
)
from backend.operations import broker, worker_registry
from backend.retrieval.vector_store import VectorStore

log = logging.getLogger(__name__)
QUEUE_HIGH_KEY = "qa:maintenance:queue_high_since:"


def flag_stuck_tasks(
    *, session: Session, settings: Settings, now: datetime | None = None
) -> list[str]:
    """Mark tasks the stuck rules catch (`ledger.stuck`) as STUCK, through the ledger's write
    path; admins see them in the stuck view. The ids flagged."""
    now = now or utcnow()
    flagged: list[str] = []
    for record in session.scalars(select(TaskRecord).where(newly_stuck(settings, now))):
        if record.state == "PENDING":
            kind, detail = "never_started", why_stuck(record, settings, now)
            detail += " It never started; its message may be lost."
        else:
            kind = "overran"
            detail = f"Started on {record.worker or 'a worker'}: {why_stuck(record, settings, now)}"
        error = f"Stuck: {detail} Retry it or cancel it."
        transition(session, task_id=record.task_id, event=Event.STUCK, error=error)
        session.merge(TaskFlag(task_id=record.task_id, kind=kind, detail=detail, detected_at=now))
        flagged.append(record.task_id)
    if flagged:
        log.warning("maintenance: %d stuck task(s) flagged", len(flagged))
    return flagged


def purge_expired(*, session: Session, settings: Settings) -> dict[str, int]:
    """Delete finished task records and webhook deliveries older than the retention."""
    cutoff = utcnow() - timedelta(days=settings.task_retention_days)
    ended = FINISHED_STATES | {"STUCK"}
    tasks = session.execute(
        delete(TaskRecord).where(TaskRecord.state.in_(ended), TaskRecord.queued_at < cutoff)
    )
    deliveries = session.execute(delete(WebhookDelivery).where(WebhookDelivery.created_at < cutoff))
    flags = session.execute(
        delete(TaskFlag).where(TaskFlag.task_id.not_in(select(TaskRecord.task_id)))
    )
    return {
        "task_records": int(getattr(tasks, "rowcount", 0) or 0),
        "webhook_deliveries": int(getattr(deliveries, "rowcount", 0) or 0),
        "task_flags": int(getattr(flags, "rowcount", 0) or 0),
    }


def remove_orphans(
    *, sessions: SessionScope, settings: Settings, uploads: UploadStore, store: VectorStore
) -> dict[str, int]:
    """Delete upload files no document refers to, and vectors of documents that are gone."""
    with sessions() as session:
        hashes = set(session.scalars(select(Document.sha256).distinct()))
        doc_ids = set(session.scalars(select(Document.id)))
    cutoff = time.time() - settings.orphan_grace_seconds
    files = 0
    root = uploads.root
    if root.exists():
        for path in root.glob("*/*"):
            # Young files may belong to an upload still being recorded.
            if path.is_file() and path.name not in hashes and path.stat().st_mtime < cutoff:
                path.unlink(missing_ok=True)
                files += 1
        for path in root.glob(".incoming-*"):
            if path.stat().st_mtime < cutoff:
                path.unlink(missing_ok=True)
                files += 1
    vectors = 0
    for document_id in store.document_ids() - doc_ids:
        store.delete_document(document_id)
        vectors += 1
    return {"files": files, "documents_with_vectors": vectors}


def daily_summary(session: Session, user_id: int, day: date) -> dict[str, Any]:
    """What one user did on one UTC day."""
    start = datetime.combine(day, datetime.min.time(), tzinfo=utcnow().tzinfo)
    end = start + timedelta(days=1)

    def count(column: Any, *where: Any) -> int:
        return int(
            session.scalar(select(func.count()).select_from(column.table).where(*where)) or 0
        )

    asked = (Question.user_id == user_id, Question.created_at >= start, Question.created_at < end)
    tasks = (
        TaskRecord.user_id == user_id,
        TaskRecord.queued_at >= start,
        TaskRecord.queued_at < end,
    )
    latency = session.scalar(select(func.avg(Question.latency_ms)).where(*asked))
    return {
        "day": day.isoformat(),
        "questions": count(Question.id, *asked),
        "answered": count(Question.id, *asked, Question.found.is_(True)),
        "documents_uploaded": count(
            Document.id,
            Document.owner_id == user_id,
            Document.created_at >= start,
            Document.created_at < end,
        ),
        "tasks": count(TaskRecord.task_id, *tasks),
        "failed_tasks": count(TaskRecord.task_id, *tasks, TaskRecord.state == "FAILURE"),
        "avg_latency_ms": round(float(latency), 1) if latency is not None else None,
    }


def store_daily_reports(*, session: Session, day: date | None = None) -> int:
    """Store each active user's report of `day` (yesterday by default); reruns replace them."""
    day = day or (utcnow().date() - timedelta(days=1))
    count = 0
    for user_id in session.scalars(select(User.id).where(User.is_active.is_(True))):
        session.execute(
            delete(UsageReport).where(
                UsageReport.user_id == user_id, UsageReport.day == day, UsageReport.kind == "daily"
            )
        )
        data = daily_summary(session, user_id, day)
        session.add(UsageReport(user_id=user_id, day=day, kind="daily", days=1, data=data))
        count += 1
    return count


def stored_reports(*, session: Session, user: User, limit: int = 30) -> list[UsageReport]:
    """The user's stored reports (daily and on demand), newest first."""
    query = select(UsageReport).where(UsageReport.user_id == user.id)
    order = (UsageReport.day.desc(), UsageReport.id.desc())
    return list(session.scalars(query.order_by(*order).limit(limit)))


# --- admin notices


def notify_admins(*, session: Session, settings: Settings, kind: str, message: str) -> bool:
    """Open a notice (log, dashboard banner, optional webhook) unless one is already open."""
    open_notice = session.scalar(
        select(AdminNotice).where(AdminNotice.kind == kind, AdminNotice.resolved_at.is_(None))
    )
    if open_notice is not None:
        return False
    session.add(AdminNotice(kind=kind, message=message))
    log.warning("admin notice (%s): %s", kind, message)
    if settings.admin_webhook_url:
        try:
            httpx.post(
                settings.admin_webhook_url,
                json={"event": "admin.notice", "kind": kind, "message": message},
                timeout=settings.webhook_timeout_seconds,
            )
        except httpx.HTTPError as exc:
            log.warning("admin notice webhook failed: %s", exc)
    return True


def resolve_notice(*, session: Session, kind: str) -> None:
    """Close the open notice of this kind (the condition is over)."""
    for notice in session.scalars(
        select(AdminNotice).where(AdminNotice.kind == kind, AdminNotice.resolved_at.is_(None))
    ):
        notice.resolved_at = utcnow()


def open_notices(*, session: Session) -> list[AdminNotice]:
    """Notices not yet resolved, newest first (the admin banner)."""
    query = select(AdminNotice).where(AdminNotice.resolved_at.is_(None))
    return list(session.scalars(query.order_by(AdminNotice.created_at.desc())))


def check_service(
    *, session: Session, settings: Settings, celery: Celery, redis: redis_lib.Redis
) -> dict[str, Any]:
    """Notify admins when no worker answers, or a queue stays above the alert threshold."""
    names, error = broker.ping_workers(celery=celery, timeout=2.0)
    if not error:  # a full-length ping: it also tells the Operations page whom to expect
        worker_registry.record_answering(redis, names, time.time(), complete=True)
    if not names:
        notify_admins(
            session=session,
            settings=settings,
            kind="no_workers",
            message=error or "No Celery worker answered a ping; queued work is not being done.",
        )
    else:
        resolve_notice(session=session, kind="no_workers")
    report = broker.queue_depths(celery=celery)
    now = time.time()
    high: list[str] = []
    for queue in report.queues:
        kind, key = f"queue_high:{queue.name}", QUEUE_HIGH_KEY + queue.name
        if queue.messages <= settings.queue_alert_threshold:
            redis.delete(key)
            resolve_notice(session=session, kind=kind)
            continue
        redis.set(key, now, nx=True)
        since = float(redis.get(key) or now)
        if now - since >= settings.queue_alert_minutes * 60:
            high.append(queue.name)
            notify_admins(
                session=session,
                settings=settings,
                kind=kind,
                message=(
                    f"Queue {queue.name} has held more than {settings.queue_alert_threshold} "
                    f"messages for {settings.queue_alert_minutes} minutes "
                    f"({queue.messages} now); add workers or look for a stuck one."
                ),
            )
    return {"workers": names, "queues_high": high}
