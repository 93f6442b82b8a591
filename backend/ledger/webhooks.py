"""Completion webhooks: each user may register one URL; when their document is processed
(or fails) or their answer is ready, a signed JSON payload is posted to it by a task on the
user_management queue, retried with exponential backoff, and every delivery is recorded.

Where a payload may go is `webhook_targets` (public addresses and allowed ports only, the
host resolved once and never followed through redirects); how it is signed is
`webhook_signing` (Standard Webhooks, plus the former `X-QA-Signature` header); one POST and
its outcome is `webhook_posting`.

Users see what became of a delivery as a category (`delivered`, `failed: timeout`, ...), never
the receiver's raw error; the status code of a failure and the error's text are kept for
admins (the delivery row and the worker's log)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from celery import Celery
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.config import Settings
from backend.errors import NotFound
from backend.ledger.catalog import SEND_WEBHOOK, find_task
from backend.ledger.webhook_posting import CATEGORIES, NOT_DELIVERED, REMOVED, http_category, post
from backend.ledger.webhook_posting import DELIVERY_HEADER as DELIVERY_HEADER
from backend.ledger.webhook_posting import EVENT_HEADER as EVENT_HEADER
from backend.ledger.webhook_posting import ID_HEADER as ID_HEADER
from backend.ledger.webhook_posting import SIGNATURE_HEADER as SIGNATURE_HEADER
from backend.ledger.webhook_posting import STANDARD_SIGNATURE_HEADER as STANDARD_SIGNATURE_HEADER
from backend.ledger.webhook_posting import TIMESTAMP_HEADER as TIMESTAMP_HEADER
from backend.ledger.webhook_signing import new_secret
from backend.ledger.webhook_targets import check_target
from backend.models import User, Webhook, WebhookDelivery, utcnow

log = logging.getLogger(__name__)


class DeliveryFailed(Exception):
    """The receiver did not accept the payload (worth another attempt later)."""


# --- what users do


def set_webhook(*, session: Session, settings: Settings, user: User, url: str) -> Webhook:
    """Register (or change) the user's webhook URL; the signing secret is made on first use."""
    checked = check_target(url, settings=settings)
    hook = session.get(Webhook, user.id)
    if hook is None:
        hook = Webhook(user_id=user.id, url=checked, secret=new_secret(), enabled=True)
        session.add(hook)
    else:
        hook.url, hook.enabled = checked, True
    session.flush()
    return hook


def rotate_secret(*, session: Session, user: User) -> Webhook:
    """Replace the webhook's signing secret (the old one stops verifying at once)."""
    hook = get_webhook(session=session, user=user)
    hook.secret = new_secret()
    session.flush()
    return hook


def get_webhook(*, session: Session, user: User) -> Webhook:
    """The user's webhook, or 'not found'."""
    hook = session.get(Webhook, user.id)
    if hook is None:
        raise NotFound("You have no webhook set.")
    return hook


def remove_webhook(*, session: Session, user: User) -> None:
    """Stop sending the user's webhooks (past deliveries stay listed)."""
    hook = session.get(Webhook, user.id)
    if hook is not None:
        session.delete(hook)
        session.flush()


def list_deliveries(*, session: Session, user: User, limit: int = 50) -> list[WebhookDelivery]:
    """The user's webhook deliveries, newest first."""
    query = select(WebhookDelivery).where(WebhookDelivery.user_id == user.id)
    order = (WebhookDelivery.created_at.desc(), WebhookDelivery.id.desc())
    return list(session.scalars(query.order_by(*order).limit(min(limit, 500))))


# --- worker side


def queue_completion(
    *,
    session: Session,
    celery: Celery,
    user_id: int,
    event: str,
    task_id: str,
    result: dict[str, Any],
) -> int | None:
    """Record a delivery and queue its sending, when the user has a webhook; its id or None."""
    hook = session.get(Webhook, user_id)
    if hook is None or not hook.enabled:
        return None
    payload = {
        "event": event,
        "task_id": task_id,
        "user_id": user_id,
        "result": result,
        "timestamp": datetime.now(UTC).isoformat(),
    }
    delivery = WebhookDelivery(
        user_id=user_id, event=event, task_id=task_id, url=hook.url, payload=payload
    )
    session.add(delivery)
    session.commit()
    celery.send_task(SEND_WEBHOOK, kwargs={"delivery_id": delivery.id})
    return delivery.id


def message_id(delivery: WebhookDelivery) -> str:
    """The delivery's `webhook-id`: the same on every attempt, different for every delivery."""
    created = delivery.created_at or utcnow()
    if created.tzinfo is None:
        created = created.replace(tzinfo=UTC)
    return f"msg_{delivery.id}_{int(created.timestamp() * 1000)}"


def deliver(*, session: Session, settings: Settings, delivery_id: int, final: bool) -> str:
    """Attempt a recorded delivery; its new status. Raises DeliveryFailed when another attempt
    should follow (`final` is False and the target was not refused)."""
    delivery = session.get(WebhookDelivery, delivery_id)
    if delivery is None or delivery.status in ("delivered", "failed"):
        return delivery.status if delivery is not None else "gone"
    hook = session.get(Webhook, delivery.user_id)
    if hook is None:
        delivery.status, delivery.error = "failed", REMOVED
        delivery.finished_at = utcnow()
        return delivery.status
    attempt = post(
        settings=settings,
        url=delivery.url,
        secret=hook.secret,
        payload=delivery.payload or {},
        delivery_id=delivery.id,
        message=message_id(delivery),
    )
    delivery.attempts = (delivery.attempts or 0) + 1
    delivery.response_code = attempt.status_code  # shown to users only when delivered
    delivery.error = attempt.category
    if attempt.delivered:
        delivery.status, delivery.finished_at = "delivered", utcnow()
    elif final or attempt.final:
        delivery.status, delivery.finished_at = "failed", utcnow()
        log.warning(
            "webhook %s for user %s failed (%s): %s",
            delivery.id,
            delivery.user_id,
            attempt.category,
            attempt.detail,
        )
    else:
        delivery.status = "retrying"
        log.info(
            "webhook %s for user %s not accepted (%s): %s",
            delivery.id,
            delivery.user_id,
            attempt.category,
            attempt.detail,
        )
        session.commit()
        raise DeliveryFailed(attempt.category or NOT_DELIVERED)
    return delivery.status


def outcome(delivery: WebhookDelivery) -> str | None:
    """Why a delivery did not go through, as users may see it: a category, never a port, a
    failed status code or an error's text (rows from before the categories included)."""
    if delivery.status not in ("failed", "retrying"):
        return None
    if delivery.error in CATEGORIES:
        return delivery.error
    code = delivery.response_code
    if code is not None and not 200 <= code < 300:
        return http_category(code)
    return NOT_DELIVERED


def delivery_view(delivery: WebhookDelivery) -> dict[str, Any]:
    """A delivery as the API and the dashboard show it to its user."""
    category = outcome(delivery)
    return {
        "id": delivery.id,
        "event": delivery.event,
        "task_id": delivery.task_id,
        "url": delivery.url,
        "status": f"{delivery.status}: {category}" if category else delivery.status,
        "attempts": delivery.attempts,
        "response_code": delivery.response_code if delivery.status == "delivered" else None,
        "error": category,
        "created_at": delivery.created_at,
        "finished_at": delivery.finished_at,
    }


def completion_event(task_name: str, *, failed: bool) -> str | None:
    """The webhook event a finished task posts (None for tasks that post none)."""
    spec = find_task(task_name)
    if spec is None or spec.webhook is None:
        return None
    return spec.webhook[1] if failed else spec.webhook[0]
