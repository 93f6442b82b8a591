"""Beat-driven maintenance (user_management queue)."""

from __future__ import annotations

import time
from typing import Any

from backend.ledger.routing import BEAT_HEARTBEAT_KEY
from backend.operations import maintenance
from workers.celery_app import celery_app
from workers.runtime import get_runtime


@celery_app.task(name="workers.tasks.maintenance.beat_heartbeat", ignore_result=True)
def beat_heartbeat() -> float:
    """Record that beat is alive and a worker consumed its message (for health checks)."""
    now = time.time()
    get_runtime().redis.set(BEAT_HEARTBEAT_KEY, now)
    return now


@celery_app.task(name="workers.tasks.maintenance.flag_stuck_tasks")
def flag_stuck_tasks() -> list[str]:
    """Mark tasks that never started or overran their time limit as STUCK."""
    rt = get_runtime()
    with rt.session() as session:
        return maintenance.flag_stuck_tasks(session=session, settings=rt.settings)


@celery_app.task(name="workers.tasks.maintenance.purge_expired")
def purge_expired() -> dict[str, int]:
    """Delete task records and webhook deliveries older than the retention."""
    rt = get_runtime()
    with rt.session() as session:
        return maintenance.purge_expired(session=session, settings=rt.settings)


@celery_app.task(name="workers.tasks.maintenance.remove_orphans")
def remove_orphans() -> dict[str, int]:
    """Delete upload files and vectors that no document refers to."""
    return maintenance.remove_orphans(rt=get_runtime())


@celery_app.task(name="workers.tasks.maintenance.daily_usage_reports")
def daily_usage_reports() -> int:
    """Store yesterday's usage report of every active user."""
    with get_runtime().session() as session:
        return maintenance.store_daily_reports(session=session)


@celery_app.task(name="workers.tasks.maintenance.check_service")
def check_service() -> dict[str, Any]:
    """Notify admins when no worker answers or a queue stays backed up."""
    rt = get_runtime()
    with rt.session() as session:
        return maintenance.check_service(
            session=session, settings=rt.settings, celery=rt.celery, redis=rt.redis
        )
