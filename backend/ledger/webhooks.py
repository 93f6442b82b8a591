"""Completion webhooks: each user may register one URL; when their document is processed
(or fails) or their answer is ready, a signed JSON payload is posted to it by a task on the
user_management queue, retried with exponential backoff, and every delivery is recorded."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import logging
import secrets
import socket
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import httpx
from celery import Celery
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.config import Settings
from backend.errors import InvalidInput, NotFound
from backend.ledger.catalog import SEND_WEBHOOK, find_task
from backend.models import User, Webhook, WebhookDelivery, utcnow

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-QA-Signature"
EVENT_HEADER = "X-QA-Event"
DELIVERY_HEADER = "X-QA-Delivery"
MAX_URL_LENGTH = 2000


class DeliveryFailed(Exception):
    """The receiver did not accept the payload (worth another attempt later)."""


def sign(secret: str, body: bytes) -> str:
    """The signature header's value: `sha256=` and the hex HMAC-SHA256 of the body."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def check_target(url: str, *, allow_private: bool) -> str:
    """The URL, if it is http(s) and (unless allowed) resolves only to public addresses."""
    url = (url or "").strip()
    if len(url) > MAX_URL_LENGTH:
        raise InvalidInput(f"Webhook URLs are limited to {MAX_URL_LENGTH} characters.")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInput("The webhook URL must start with http:// or https:// and name a host.")
    if parts.username or parts.password:
        raise InvalidInput("The webhook URL must not contain a user name or password.")
    if allow_private:
        return url
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        infos = socket.getaddrinfo(parts.hostname, port, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, ValueError) as exc:
        raise InvalidInput(f"The webhook host '{parts.hostname}' cannot be resolved.") from exc
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        if not address.is_global:
            raise InvalidInput(
                f"The webhook host '{parts.hostname}' is a private or loopback address "
                f"({address}); webhooks only go to public addresses."
            )
    return url


# --- what users do


def set_webhook(*, session: Session, settings: Settings, user: User, url: str) -> Webhook:
    """Register (or change) the user's webhook URL; the signing secret is made on first use."""
    checked = check_target(url, allow_private=settings.webhook_allow_private_targets)
    hook = session.get(Webhook, user.id)
    if hook is None:
        hook = Webhook(user_id=user.id, url=checked, secret=secrets.token_hex(32), enabled=True)
        session.add(hook)
    else:
        hook.url, hook.enabled = checked, True
    session.flush()
    return hook


def rotate_secret(*, session: Session, user: User) -> Webhook:
    """Replace the webhook's signing secret (the old one stops verifying at once)."""
    hook = get_webhook(session=session, user=user)
    hook.secret = secrets.token_hex(32)
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


@dataclass(frozen=True)
class Attempt:
    delivered: bool
    status_code: int | None
    error: str | None


def post(
    *, settings: Settings, url: str, secret: str, payload: dict[str, Any], delivery_id: int
) -> Attempt:
    """One signed POST of the payload (no redirects followed; the target is checked again)."""
    try:
        check_target(url, allow_private=settings.webhook_allow_private_targets)
    except InvalidInput as exc:
        return Attempt(False, None, exc.message)
    body = json.dumps(payload, sort_keys=True, default=str).encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "qa-service-webhooks/1",
        SIGNATURE_HEADER: sign(secret, body),
        EVENT_HEADER: str(payload.get("event", "")),
        DELIVERY_HEADER: str(delivery_id),
    }
    try:
        reply = httpx.post(
            url, content=body, headers=headers, timeout=settings.webhook_timeout_seconds
        )
    except httpx.HTTPError as exc:
        return Attempt(False, None, f"{type(exc).__name__}: {exc}"[:500])
    if 200 <= reply.status_code < 300:
        return Attempt(True, reply.status_code, None)
    return Attempt(False, reply.status_code, f"The receiver answered HTTP {reply.status_code}.")


def deliver(*, session: Session, settings: Settings, delivery_id: int, final: bool) -> str:
    """Attempt a recorded delivery; its new status. Raises DeliveryFailed when another attempt
    should follow (`final` is False)."""
    delivery = session.get(WebhookDelivery, delivery_id)
    if delivery is None or delivery.status in ("delivered", "failed"):
        return delivery.status if delivery is not None else "gone"
    hook = session.get(Webhook, delivery.user_id)
    if hook is None:
        delivery.status, delivery.error = "failed", "The webhook was removed."
        delivery.finished_at = utcnow()
        return delivery.status
    attempt = post(
        settings=settings,
        url=delivery.url,
        secret=hook.secret,
        payload=delivery.payload or {},
        delivery_id=delivery.id,
    )
    delivery.attempts = (delivery.attempts or 0) + 1
    delivery.response_code = attempt.status_code
    delivery.error = attempt.error
    if attempt.delivered:
        delivery.status, delivery.finished_at = "delivered", utcnow()
    elif final:
        delivery.status, delivery.finished_at = "failed", utcnow()
        log.warning(
            "webhook %s for user %s failed: %s", delivery.id, delivery.user_id, attempt.error
        )
    else:
        delivery.status = "retrying"
        session.commit()
        raise DeliveryFailed(attempt.error or "The webhook was not accepted.")
    return delivery.status


def delivery_view(delivery: WebhookDelivery) -> dict[str, Any]:
    """A delivery as the API and the dashboard show it."""
    return {
        "id": delivery.id,
        "event": delivery.event,
        "task_id": delivery.task_id,
        "url": delivery.url,
        "status": delivery.status,
        "attempts": delivery.attempts,
        "response_code": delivery.response_code,
        "error": delivery.error,
        "created_at": delivery.created_at,
        "finished_at": delivery.finished_at,
    }


def completion_event(task_name: str, *, failed: bool) -> str | None:
    """The webhook event a finished task posts (None for tasks that post none)."""
    spec = find_task(task_name)
    if spec is None or spec.webhook is None:
        return None
    return spec.webhook[1] if failed else spec.webhook[0]
