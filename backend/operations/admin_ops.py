"""Operations for administrators: queues, workers with last-seen, purging, system health.

Each call checks the role itself; the broker and workers being away is an answer, not an error.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import redis
from celery import Celery
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend.accounts import audit
from backend.accounts.users import require_admin
from backend.errors import InvalidInput, ServiceUnavailable
from backend.ledger.transitions import Event, transition
from backend.models import Document, TaskRecord, User, utcnow
from backend.operations.broker import (
    BROKER_TIMEOUT,
    QueuesReport,
    WorkersReport,
    WorkerStatus,
    queue_depths,
    queue_names,
    queue_overview,
    workers_status,
)
from backend.operations.health import health_report
from backend.operations.worker_registry import FORGET_AFTER, record_answering, running_workers
from backend.runtime import Runtime

DISK_FREE_MIN = 0.10


@dataclass(frozen=True)
class WorkerView:
    name: str
    answering: bool
    last_seen: datetime | None
    status: WorkerStatus | None  # None when it did not answer


@dataclass(frozen=True)
class WorkersOverview:
    report: WorkersReport
    workers: list[WorkerView]

    @property
    def none_answering(self) -> bool:
        return not any(w.answering for w in self.workers)


def queues(*, celery: Celery, user: User, cache: redis.Redis | None = None) -> QueuesReport:
    """Messages waiting per queue (with priority sub-queues) and their consumers.

    With the cache, consumers are counted as soon as every running worker answered."""
    require_admin(user)
    expected = len(running_workers(cache)) if cache is not None else 0
    return queue_overview(celery=celery, expected=expected)


def workers(
    *, celery: Celery, cache: redis.Redis, user: User, timeout: float = 1.0
) -> WorkersOverview:
    """The workers that answer now, and those seen within a day that stopped answering.

    The ping waits only for the workers known to be running (they register when they start,
    and beat's service check rediscovers them every minute), so a healthy cluster answers in
    milliseconds instead of the full timeout.
    """
    require_admin(user)
    running = running_workers(cache)
    report = workers_status(celery=celery, timeout=timeout, expected=len(running))
    answering = {w.name for w in report.workers}
    if running - answering and answering - running:
        # A worker nobody expected answered first and filled the count: ask again for all.
        report = workers_status(celery=celery, timeout=timeout, expected=len(running | answering))
        answering = {w.name for w in report.workers}
    now = time.time()
    seen = record_answering(cache, answering, now, lost=running - answering)
    views = [WorkerView(w.name, True, _moment(now), w) for w in report.workers]
    for name, moment in sorted(seen.items()):
        if name not in answering and now - moment <= FORGET_AFTER:
            views.append(WorkerView(name, False, _moment(moment), None))
    return WorkersOverview(report, views)


def _moment(unix: float) -> datetime:
    return datetime.fromtimestamp(unix, UTC)


def _check_queue(celery: Celery, queue: str) -> None:
    if queue not in queue_names(celery):
        raise InvalidInput(f"There is no queue named '{queue}'.")


def purge_preview(*, celery: Celery, user: User, queue: str) -> int:
    """How many messages a purge of the queue would remove right now."""
    require_admin(user)
    _check_queue(celery, queue)
    report = queue_depths(celery=celery)
    if not report.ok:
        raise ServiceUnavailable(report.detail)
    return next((q.messages for q in report.queues if q.name == queue), 0)


def purge_queue(*, session: Session, celery: Celery, user: User, queue: str) -> int:
    """Remove every waiting message (all priority levels) from one queue, and audit it."""
    require_admin(user)
    _check_queue(celery, queue)
    started = utcnow()
    try:
        with celery.connection_for_write() as conn:
            conn.ensure_connection(
                max_retries=1, interval_start=0, interval_step=0, timeout=BROKER_TIMEOUT
            )
            removed = int(conn.default_channel.queue_purge(queue) or 0)
    except Exception as exc:
        raise ServiceUnavailable(
            f"The broker did not purge '{queue}' ({type(exc).__name__}); nothing was removed."
        ) from exc
    # The purged messages' tasks end here, and so do the documents and questions they served.
    purged = list(
        session.scalars(
            select(TaskRecord.task_id).where(
                TaskRecord.queue == queue,
                TaskRecord.state.in_(("PENDING", "RETRY", "STUCK")),
                TaskRecord.queued_at <= started,
            )
        )
    )
    reason = f"Removed from the {queue} queue by an administrator ({user.email}) before it ran."
    for task_id in purged:
        transition(session, task_id=task_id, event=Event.PURGED, error=reason)
    audit.record(
        session,
        actor=user,
        action="purge_queue",
        target=queue,
        detail=f"Purged {removed} message{'s' if removed != 1 else ''} from {queue}.",
        data={"removed": removed, "ledger_rows": len(purged)},
    )
    return removed


def system_health(*, rt: Runtime, user: User) -> dict[str, Any]:
    """Every dependency green or red with its reason, plus Flower and the upload store's disk."""
    require_admin(user)
    report = health_report(rt=rt)
    checks = dict(report["checks"])
    for name, check in (("flower", check_flower), ("upload_store", check_upload_disk)):
        try:
            ok, detail = check(rt)
        except Exception as exc:  # a health check reports failures, it never raises them
            ok, detail = False, f"The check failed: {type(exc).__name__}: {str(exc)[:160]}"
        checks[name] = {"ok": ok, "detail": detail}
    return {
        "ok": all(c["ok"] for c in checks.values()),
        "checked_at": report["checked_at"],
        "checks": checks,
    }


def check_flower(rt: Runtime) -> tuple[bool, str]:
    """Flower's health endpoint answers at FLOWER_URL."""
    base = rt.settings.flower_url.strip().rstrip("/")
    if not base:
        return False, "FLOWER_URL is not set, so Flower links are off."
    auth = (rt.settings.flower_user, rt.settings.flower_secret)
    try:
        response = httpx.get(f"{base}/healthcheck", auth=auth, timeout=2.0)
    except httpx.HTTPError as exc:
        return False, f"Flower at {base} is not answering ({type(exc).__name__})."
    if response.status_code != 200:
        return False, f"Flower at {base} answered HTTP {response.status_code}."
    return True, f"Flower at {base} answers."


def check_upload_disk(rt: Runtime) -> tuple[bool, str]:
    """Free space on the upload store's disk, and how much the stored documents take."""
    root = rt.uploads.root
    root.mkdir(parents=True, exist_ok=True)
    usage = shutil.disk_usage(root)
    with rt.session() as session:
        stored = int(session.scalar(select(func.coalesce(func.sum(Document.size_bytes), 0))) or 0)
    free = usage.free / usage.total if usage.total else 0.0
    detail = (
        f"{_gb(usage.free)} free of {_gb(usage.total)} ({free:.0%}) at {root}; "
        f"documents take {stored / 1048576:.1f} MB."
    )
    if free < DISK_FREE_MIN:
        return False, f"Low disk space: {detail}"
    return True, detail


def _gb(size: int) -> str:
    return f"{size / 1024**3:.1f} GB"
