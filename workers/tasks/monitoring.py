"""Beat-driven monitoring (user_management queue): queue depth history for the admin pages."""

from __future__ import annotations

from typing import Any

from backend.ledger import catalog
from backend.operations.queue_history import prune_samples, record_sample
from workers.celery_app import celery_app
from workers.tasks import task_options


@celery_app.task(**task_options(catalog.SAMPLE_QUEUE_DEPTHS))
def sample_queue_depths(self: Any) -> int:
    """Store every queue's depth now and drop samples past the history window."""
    rt = self.app.runtime
    with rt.session() as session:
        stored = record_sample(session=session, celery=rt.celery)
        prune_samples(session=session, keep_days=rt.settings.queue_history_days)
    return stored
