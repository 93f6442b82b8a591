"""Completion webhooks: each user may register one URL; when their document is processed
(or fails) or their answer is ready, a signed JSON payload is posted to it by a task on the
user_management queue, retried with exponential backoff, and every delivery is recorded.

Where a payload may go is `webhook_targets` (public addresses and allowed ports only, the
host resolved once and never followed through redirects); how it is signed is
`webhook_signing` (Standard Webhooks, plus the former `X-QA-Signature` header).

Users see what became of a delivery as a category (`delivered`, `failed: timeout`, ...), never
the receiver's raw error; the status code of a failure and the error's text are kept for
admins (the delivery row and the worker's log)."""

from __future__ import annotations

import json
import logging
import socket
import ssl
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
from celery import Celery
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.config import Settings
from backend.errors import NotFound
from backend.ledger.catalog import SEND_WEBHOOK, find_task
from backend.ledger.webhook_signing import new_secret, sign, sign_standard
from backend.ledger.webhook_targets import (
    BLOCKED,
    UNRESOLVED,
    Target,
    TargetRefused,
    check_target,
    resolve_target,
)
from backend.models import User, Webhook, WebhookDelivery, utcnow

log = logging.getLogger(__name__)

ID_HEADER = "webhook-id"
TIMESTAMP_HEADER = "webhook-timestamp"
STANDARD_SIGNATURE_HEADER = "webhook-signature"
SIGNATURE_HEADER = "X-QA-Signature"  # the former signature (hex HMAC of the body), one release
EVENT_HEADER = "X-QA-Event"
DELIVERY_HEADER = "X-QA-Delivery"
MAX_ADDRESSES_TRIED = 3  # of a host's checked addresses, tried in turn when one is unreachable

# What users see of a delivery that did not go through.
TIMEOUT = "timeout"
REFUSED = "refused"
TLS_ERROR = "TLS error"
CONNECTION_ERROR = "connection error"
REMOVED = "webhook removed"
NOT_DELIVERED = "not delivered"
HTTP_CLASSES = ("HTTP 1xx", "HTTP 3xx", "HTTP 4xx", "HTTP 5xx", "HTTP error")
CATEGORIES = frozenset(
    {TIMEOUT, REFUSED, TLS_ERROR, CONNECTION_ERROR, BLOCKED, UNRESOLVED, REMOVED, *HTTP_CLASSES}
)


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


@dataclass(frozen=True)
class Attempt:
    """One POST's outcome: `category` is what users see, `detail` is for admins only;
    `final` when another attempt cannot help (the target is refused)."""

    delivered: bool
    status_code: int | None
    category: str | None
    detail: str | None = None
    final: bool = False


def message_id(delivery: WebhookDelivery) -> str:
    """The delivery's `webhook-id`: the same on every attempt, different for every delivery."""
    created = delivery.created_at or utcnow()
    if created.tzinfo is None:
        created = created.replace(tzinfo=UTC)
    return f"msg_{delivery.id}_{int(created.timestamp() * 1000)}"


def http_category(status_code: int) -> str:
    """A receiver's answer as users see it: its class, never the code itself."""
    if 100 <= status_code < 600 and status_code // 100 != 2:
        return f"HTTP {status_code // 100}xx"
    return "HTTP error"


def _failure_category(exc: BaseException) -> str:
    """What kind of network failure an exception (with its causes) was."""
    if isinstance(exc, httpx.TimeoutException):
        return TIMEOUT
    seen: BaseException | None = exc
    for _ in range(10):
        if seen is None:
            break
        if isinstance(seen, ssl.SSLError | ssl.CertificateError):
            return TLS_ERROR
        if isinstance(seen, ConnectionRefusedError):
            return REFUSED
        if isinstance(seen, TimeoutError | socket.timeout):
            return TIMEOUT
        seen = seen.__cause__ or seen.__context__
    return CONNECTION_ERROR


def _send(target: Target, *, body: bytes, headers: dict[str, str], timeout: float) -> int:
    """POST the body to the target's checked addresses in turn until one takes the connection;
    the receiver's status code. The URL names the address, so nothing is resolved again; the
    Host header, the TLS server name and the certificate check keep the host name."""
    headers = {**headers, "Host": target.url.netloc.decode("ascii")}
    extensions = {"sni_hostname": target.host} if target.url.scheme == "https" else {}
    tried = target.addresses[:MAX_ADDRESSES_TRIED]
    with httpx.Client(
        verify=httpx.create_ssl_context(),
        trust_env=False,  # no proxy from the environment: it would resolve the name itself
        follow_redirects=False,
        timeout=timeout,
    ) as client:
        for number, address in enumerate(tried, start=1):
            try:
                with client.stream(
                    "POST",
                    target.url.copy_with(host=str(address)),
                    content=body,
                    headers=headers,
                    extensions=extensions,
                ) as reply:
                    return reply.status_code  # the body is never read
            except (httpx.ConnectError, httpx.ConnectTimeout):
                if number == len(tried):
                    raise
    raise httpx.ConnectError("The webhook host has no address to connect to.")


def post(
    *,
    settings: Settings,
    url: str,
    secret: str,
    payload: dict[str, Any],
    delivery_id: int,
    message: str,
) -> Attempt:
    """One signed POST of the payload to a checked address (no redirects followed)."""
    try:
        target = resolve_target(url, settings=settings)
    except TargetRefused as exc:
        return Attempt(False, None, exc.category, exc.message, final=exc.category != UNRESOLVED)
    body = json.dumps(payload, sort_keys=True, default=str).encode()
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "qa-service-webhooks/1",
        ID_HEADER: message,
        TIMESTAMP_HEADER: str(timestamp),
        STANDARD_SIGNATURE_HEADER: sign_standard(
            secret, message_id=message, timestamp=timestamp, body=body
        ),
        SIGNATURE_HEADER: sign(secret, body),
        EVENT_HEADER: str(payload.get("event", "")),
        DELIVERY_HEADER: str(delivery_id),
    }
    try:
        code = _send(target, body=body, headers=headers, timeout=settings.webhook_timeout_seconds)
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        return Attempt(False, None, _failure_category(exc), f"{type(exc).__name__}: {exc}"[:500])
    if 200 <= code < 300:
        return Attempt(True, code, None)
    return Attempt(False, code, http_category(code), f"The receiver answered HTTP {code}.")


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
