"""Beat-driven maintenance (user_management queue)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from backend.ledger import catalog
from backend.operations import maintenance, vectors
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


@celery_app.task(**task_options(catalog.REINDEX_VECTORS))
def reindex_vectors(self: Any, *, target_user_id: int | None = None) -> dict[str, Any]:
    """Rebuild the vectors of one user's documents, or of everyone's, from the passages."""
    rt = self.app.runtime

    def progress(done: int, total: int, _chunks: int) -> None:
        self.report_progress("documents", int(100 * done / max(1, total)))

    summary = vectors.reindex(
        sessions=rt.session,
        embedder=rt.embedder,
        store=rt.vector_store,
        user_id=target_user_id,
        progress=progress,
    )
    return summary.as_dict()


@celery_app.task(**task_options(catalog.BACKUP_VECTORS))
def backup_vectors(self: Any, *, destination: str) -> dict[str, Any]:
    """Copy the embedded shard (flushed, no write in between) into an empty folder."""
    return vectors.copy_shard(self.app.runtime.vector_store, Path(destination))


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

