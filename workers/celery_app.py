"""The Celery app the workers and beat run:
`celery -A workers.celery_app:celery_app worker --queues=... --hostname=...`."""

from __future__ import annotations

from datetime import timedelta

from celery.schedules import crontab

from backend.config import get_settings
from backend.ledger import catalog
from workers.app import WorkerApp

celery_app = WorkerApp()
celery_app.conf.include = [
    "workers.tasks.documents",
    "workers.tasks.questions",
    "workers.tasks.maintenance",
    "workers.tasks.monitoring",
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
    "sample-queue-depths": {
        "task": catalog.SAMPLE_QUEUE_DEPTHS,
        "schedule": timedelta(seconds=get_settings().queue_sample_seconds),
    },
}

import workers.signals  # noqa: E402,F401  (connects the task ledger)
