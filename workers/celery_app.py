"""The Celery app the workers and beat run:
`celery -A workers.celery_app:celery_app worker --queues=... --hostname=...`."""

from __future__ import annotations

from datetime import timedelta

from celery.schedules import crontab

from backend.config import get_settings
from backend.ledger.routing import BEAT_HEARTBEAT, make_celery

celery_app = make_celery(get_settings())
celery_app.conf.include = [
    "workers.tasks.documents",
    "workers.tasks.questions",
    "workers.tasks.maintenance",
    "workers.tasks.monitoring",
    "workers.tasks.users",
    "workers.tasks.webhooks",
]
celery_app.conf.beat_schedule = {
    "beat-heartbeat": {"task": BEAT_HEARTBEAT, "schedule": timedelta(seconds=30)},
    "flag-stuck-tasks": {
        "task": "workers.tasks.maintenance.flag_stuck_tasks",
        "schedule": timedelta(minutes=5),
    },
    "check-service": {
        "task": "workers.tasks.maintenance.check_service",
        "schedule": timedelta(minutes=1),
    },
    "purge-expired": {
        "task": "workers.tasks.maintenance.purge_expired",
        "schedule": crontab(hour=3, minute=0),
    },
    "remove-orphans": {
        "task": "workers.tasks.maintenance.remove_orphans",
        "schedule": crontab(hour=3, minute=30),
    },
    "daily-usage-reports": {
        "task": "workers.tasks.maintenance.daily_usage_reports",
        "schedule": crontab(hour=0, minute=10),
    },
    "sample-queue-depths": {
        "task": "workers.tasks.monitoring.sample_queue_depths",
        "schedule": timedelta(seconds=get_settings().queue_sample_seconds),
    },
}

import workers.signals  # noqa: E402,F401  (connects the task ledger)
