"""The Celery app the workers and beat run:
`celery -A workers.celery_app:celery_app worker --queues=... --hostname=...`."""

from __future__ import annotations

from datetime import timedelta

from backend.config import get_settings
from backend.queueing import BEAT_HEARTBEAT, make_celery

celery_app = make_celery(get_settings())
celery_app.conf.include = [
    "workers.tasks.documents",
    "workers.tasks.questions",
    "workers.tasks.maintenance",
]
celery_app.conf.beat_schedule = {
    "beat-heartbeat": {"task": BEAT_HEARTBEAT, "schedule": timedelta(seconds=30)},
}

import workers.signals  # noqa: E402,F401  (connects the task ledger)
