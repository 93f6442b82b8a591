"""Beat-driven maintenance (user_management queue)."""

from __future__ import annotations

import time

from backend.queueing import BEAT_HEARTBEAT_KEY
from workers.celery_app import celery_app
from workers.runtime import get_runtime


@celery_app.task(name="workers.tasks.maintenance.beat_heartbeat", ignore_result=True)
def beat_heartbeat() -> float:
    """Record that beat is alive and a worker consumed its message (for health checks)."""
    now = time.time()
    get_runtime().redis.set(BEAT_HEARTBEAT_KEY, now)
    return now
