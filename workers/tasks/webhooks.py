"""user_management queue: post completion webhooks."""

from __future__ import annotations

from typing import Any

from backend.ledger import webhooks
from workers.celery_app import celery_app
from workers.runtime import get_runtime


@celery_app.task(bind=True, name=webhooks.SEND_WEBHOOK, ignore_result=True, max_retries=None)
def send_completion_webhook(self: Any, *, delivery_id: int) -> str:
    """Post one recorded delivery; a refusal or timeout is retried with exponential backoff."""
    rt = get_runtime()
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
