"""The Celery app the workers and beat run:
`celery -A workers.celery_app:celery_app worker --queues=... --hostname=...`."""

from __future__ import annotations

import logging
import time
from datetime import timedelta
from typing import Any

from celery.beat import PersistentScheduler
from celery.schedules import crontab

from backend.config import get_settings
from backend.ledger import catalog
from backend.operations.queue_history import sample_and_prune
from workers.app import WorkerApp

log = logging.getLogger(__name__)

celery_app = WorkerApp()
celery_app.conf.include = [
    "workers.tasks.documents",
    "workers.tasks.questions",
    "workers.tasks.maintenance",
    "workers.tasks.users",
    "workers.tasks.webhooks",
]
celery_app.conf.beat_schedule = {
    "beat-heartbeat": {"task": catalog.BEAT_HEARTBEAT, "schedule": timedelta(seconds=30)},
    "flag-stuck-tasks": {"task": catalog.FLAG_STUCK_TASKS, "schedule": timedelta(minutes=5)},
    "check-service": {"task": catalog.CHECK_SERVICE, "schedule": timedelta(minutes=1)},
    "purge-expired": {"task": catalog.PURGE_EXPIRED, "schedule": crontab(hour=3, minute=0)},
    "remove-orphans": {"task": catalog.REMOVE_ORPHANS, "schedule": crontab(hour=3, minute=30)},
    "daily-usage-reports": {
        "task": catalog.DAILY_USAGE_REPORTS,
        "schedule": crontab(hour=0, minute=10),
    },
}
celery_app.conf.beat_scheduler = "workers.celery_app:QueueSamplingScheduler"


class QueueSamplingScheduler(PersistentScheduler):
    """Beat's scheduler, which also stores every queue's depth each QUEUE_SAMPLE_SECONDS
    itself, between sending the scheduled tasks.

    Not a task: a task waits on the worker it should watch, so with that worker saturated the
    chart stayed flat while messages piled up, and then showed the sampler's own backlog.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.sample_every = float(max(1, get_settings().queue_sample_seconds))
        self.next_sample = 0.0  # time.monotonic() of the next sample; the first tick samples
        super().__init__(*args, **kwargs)

    def tick(self, *args: Any, **kwargs: Any) -> float:
        until_sample = self.sample_if_due()
        return min(float(super().tick(*args, **kwargs)), until_sample)

    def sample_if_due(self, now: float | None = None) -> float:
        """Sample when it is time; the seconds until the next sample."""
        now = time.monotonic() if now is None else now
        if now >= self.next_sample:
            self.sample_queues()
            self.next_sample = now + self.sample_every
        return max(0.0, self.next_sample - now)

    def sample_queues(self) -> int:
        """Store every queue's depth now (nothing while the broker is away); a database error
        is logged and the next sample comes on time."""
        runtime = self.app.runtime
        try:
            with runtime.session() as session:
                return sample_and_prune(
                    session=session,
                    celery=self.app,
                    keep_days=runtime.settings.queue_history_days,
                )
        except Exception:
            log.warning(
                "Could not store the queue depths; next sample in %.0f s.",
                self.sample_every,
                exc_info=True,
            )
            return 0


import workers.signals  # noqa: E402,F401  (connects the task ledger)
