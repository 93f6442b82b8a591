"""Beat-driven maintenance (user_management queue)."""

from __future__ import annotations

import time
from typing import Any

from backend.ledger import catalog
from backend.operations import maintenance
from backend.operations.health import BEAT_HEARTBEAT_KEY
from workers.celery_app import celery_app
from workers.tasks import task_options


@celery_app.task(**task_options(catalog.BEAT_HEARTBEAT))
def beat_heartbeat(self: Any) -> float:
    """Record that beat is alive and a worker consumed its message (for health checks)."""
    now = time.time()
    self.app.runtime.redis.set(BEAT_HEARTBEAT_KEY, now)
    return now


@celery_app.task(**task_options(catalog.FLAG_STUCK_TASKS))
def flag_stuck_tasks(self: Any) -> list[str]:
    """Mark tasks that never started or overran their time limit as STUCK."""
    rt = self.app.runtime
    with rt.session() as session:
        return maintenance.flag_stuck_tasks(session=session, settings=rt.settings)


@celery_app.task(**task_options(catalog.PURGE_EXPIRED))
def purge_expired(self: Any) -> dict[str, int]:
    """Delete task records and webhook deliveries older than the retention."""
    rt = self.app.runtime
    with rt.session() as session:
        return maintenance.purge_expired(session=session, settings=rt.settings)


@celery_app.task(**task_options(catalog.REMOVE_ORPHANS))
def remove_orphans(self: Any) -> dict[str, int]:
    """Delete upload files and vectors that no document refers to."""
    rt = self.app.runtime
    return maintenance.remove_orphans(
        sessions=rt.session, settings=rt.settings, uploads=rt.uploads, store=rt.vector_store
    )


@celery_app.task(**task_options(catalog.DAILY_USAGE_REPORTS))
def daily_usage_reports(self: Any) -> int:
    """Store yesterday's usage report of every active user."""
    with self.app.runtime.session() as session:
        return maintenance.store_daily_reports(session=session)


@celery_app.task(**task_options(catalog.CHECK_SERVICE))
def check_service(self: Any) -> dict[str, Any]:
    """Notify admins when no worker answers or a queue stays backed up."""
    rt = self.app.runtime
    with rt.session() as session:
        return maintenance.check_service(
            session=session, settings=rt.settings, celery=rt.celery, redis=rt.redis
        )

