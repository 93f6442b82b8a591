"""Beat-driven monitoring (user_management queue): queue depth history for the admin pages."""

from __future__ import annotations

from backend.operations.queue_history import prune_samples, record_sample
from workers.celery_app import celery_app
from workers.runtime import get_runtime


@celery_app.task(name="workers.tasks.monitoring.sample_queue_depths", ignore_result=True)
def sample_queue_depths() -> int:
    """Store every queue's depth now and drop samples past the history window."""
    rt = get_runtime()
    with rt.session() as session:
        stored = record_sample(session=session, celery=rt.celery)
        prune_samples(session=session, keep_days=rt.settings.queue_history_days)
    return stored
