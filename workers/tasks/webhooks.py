"""user_management queue: post completion webhooks."""

from __future__ import annotations

from typing import Any

from backend.ledger import catalog, webhooks
from workers.celery_app import celery_app
from workers.tasks import task_options


@celery_app.task(**task_options(catalog.SEND_WEBHOOK))
def send_completion_webhook(self: Any, *, delivery_id: int) -> str:
    """Post one recorded delivery; a refusal or timeout is retried with exponential backoff."""
    rt = self.app.runtime
    settings = rt.settings
    final = self.request.retries >= settings.webhook_max_retries
    try:
        with rt.session() as session:
            return webhooks.deliver(
                session=session, settings=settings, delivery_id=delivery_id, final=final
            )
    except webhooks.DeliveryFailed as exc:
        # The receiver may be restarting or overloaded: wait longer each time.
        countdown = settings.webhook_backoff_seconds * 2**self.request.retries
        raise self.retry(exc=exc, countdown=countdown) from exc
