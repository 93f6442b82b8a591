"""Completion webhooks: each user may register one URL; when their document is processed
(or fails) or their answer is ready, a signed JSON payload is posted to it by a task on the
user_management queue, retried with exponential backoff, and every delivery is recorded.

Where a payload may go: the URL's host is resolved once, every address it resolves to must be
public (`is_public_address`), and the POST is sent to one of those checked addresses, with the
host name kept for the Host header, the TLS server name and the certificate check; a second DNS
answer can never move it. Redirects are never followed. Ports are limited to
`WEBHOOK_ALLOWED_PORTS`. `WEBHOOK_ALLOW_PRIVATE_TARGETS` (tests and labs, refused in
production) lifts the address and port checks but still connects to the address it resolved.

Signing follows Standard Webhooks: `webhook-id` (the delivery's, the same on every attempt),
`webhook-timestamp` (unix seconds) and `webhook-signature` (`v1,<base64 HMAC-SHA256 of
"{id}.{timestamp}.{body}">`). New secrets are `whsec_<base64 key>`; a secret made before that
format signs with its raw bytes. The former `X-QA-Signature` header is still sent.

Users see what became of a delivery as a category (`delivered`, `failed: timeout`, ...), never
the receiver's raw error; the status code of a failure and the error's text are kept for
admins (the delivery row and the worker's log)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import ipaddress
import json
import logging
import secrets
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
from backend.errors import InvalidInput, NotFound
from backend.ledger.catalog import SEND_WEBHOOK, find_task
from backend.models import User, Webhook, WebhookDelivery, utcnow

log = logging.getLogger(__name__)

ID_HEADER = "webhook-id"
TIMESTAMP_HEADER = "webhook-timestamp"
STANDARD_SIGNATURE_HEADER = "webhook-signature"
SIGNATURE_HEADER = "X-QA-Signature"  # the former signature (hex HMAC of the body), one release
EVENT_HEADER = "X-QA-Event"
DELIVERY_HEADER = "X-QA-Delivery"
SECRET_PREFIX = "whsec_"
MAX_URL_LENGTH = 2000
MAX_ADDRESSES_TRIED = 3  # of a host's checked addresses, tried in turn when one is unreachable

# What users see of a delivery that did not go through.
TIMEOUT = "timeout"
REFUSED = "refused"
TLS_ERROR = "TLS error"
CONNECTION_ERROR = "connection error"
BLOCKED = "blocked address"
UNRESOLVED = "unresolvable host"
REMOVED = "webhook removed"
NOT_DELIVERED = "not delivered"
HTTP_CLASSES = ("HTTP 1xx", "HTTP 3xx", "HTTP 4xx", "HTTP 5xx", "HTTP error")
CATEGORIES = frozenset(
    {TIMEOUT, REFUSED, TLS_ERROR, CONNECTION_ERROR, BLOCKED, UNRESOLVED, REMOVED, *HTTP_CLASSES}
)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_NAT64_LOCAL = ipaddress.IPv6Network("64:ff9b:1::/48")  # RFC 8215; the embedding varies
_LOW_32_BITS_ARE_IPV4 = (
    ipaddress.IPv6Network("::/96"),  # IPv4-compatible
    ipaddress.IPv6Network("::ffff:0:0:0/96"),  # IPv4-translated
    ipaddress.IPv6Network("64:ff9b::/96"),  # NAT64, well-known prefix
    _NAT64_LOCAL,
)


class DeliveryFailed(Exception):
    """The receiver did not accept the payload (worth another attempt later)."""


class TargetRefused(InvalidInput):
    """A webhook URL that may not be posted to; `category` is what a delivery shows."""

    def __init__(self, message: str, category: str = BLOCKED) -> None:
        super().__init__(message)
        self.category = category


# --- signing


def new_secret() -> str:
    """A signing secret in the Standard Webhooks format: `whsec_` and a base64 32-byte key."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def signing_key(secret: str) -> bytes:
    """The HMAC key of a secret: a `whsec_` secret's decoded bytes, else its raw bytes."""
    if secret.startswith(SECRET_PREFIX):
        try:
            return base64.b64decode(secret[len(SECRET_PREFIX) :], validate=True)
        except (binascii.Error, ValueError):
            pass
    return secret.encode()


def sign_standard(secret: str, *, message_id: str, timestamp: int, body: bytes) -> str:
    """The `webhook-signature` value: `v1,` and the base64 HMAC-SHA256 of id.timestamp.body."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(signing_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def sign(secret: str, body: bytes) -> str:
    """The former signature header's value: `sha256=` and the hex HMAC-SHA256 of the body,
    keyed with the secret as shown to the user."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


# --- where a webhook may go


def embedded_ipv4(address: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address carries: IPv4-mapped, IPv4-compatible,
    IPv4-translated, 6to4, Teredo (server and client) and NAT64 forms."""
    found: list[ipaddress.IPv4Address] = []
    if address.ipv4_mapped is not None:
        found.append(address.ipv4_mapped)
    if address.sixtofour is not None:
        found.append(address.sixtofour)
    if address.teredo is not None:
        found.extend(address.teredo)
    if any(address in network for network in _LOW_32_BITS_ARE_IPV4):
        found.append(ipaddress.IPv4Address(int(address) & 0xFFFF_FFFF))
    return found


def _plainly_public(address: IPAddress) -> bool:
    return address.is_global and not (
        address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or address.is_loopback
        or address.is_link_local
        or address.is_private
    )


def is_public_address(address: IPAddress) -> bool:
    """Whether a webhook may be posted to the address: globally routable, not multicast,
    reserved or unspecified, and the same for every IPv4 address it embeds."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.scope_id is not None or address in _NAT64_LOCAL:
            return False
        return _plainly_public(address) and all(
            _plainly_public(inner) for inner in embedded_ipv4(address)
        )
    return _plainly_public(address)


def port_allowed(port: int, spec: str) -> bool:
    """Whether the port is in a `WEBHOOK_ALLOWED_PORTS` list ("80,443,8000-8999" or "*")."""
    spec = spec.replace(" ", "")
    if spec == "*":
        return True
    for part in spec.split(","):
        low, _, high = part.partition("-")
        if low.isdigit() and (high or low).isdigit() and int(low) <= port <= int(high or low):
            return True
    return False


@dataclass(frozen=True)
class Target:
    """A checked webhook URL: its host as sent (IDNA name or address) and its addresses."""

    url: httpx.URL
    host: str
    addresses: tuple[IPAddress, ...]


def _resolve(host: str, port: int) -> tuple[IPAddress, ...]:
    """Every address the host resolves to (an address literal is its own answer)."""
    try:
        return (ipaddress.ip_address(host),)
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError, ValueError) as exc:
        raise TargetRefused(f"The webhook host '{host}' cannot be resolved.", UNRESOLVED) from exc
    found: list[IPAddress] = []
    for family, _, _, _, sockaddr in infos:
        if family not in (socket.AF_INET, socket.AF_INET6):
            continue
        address = ipaddress.ip_address(str(sockaddr[0]))
        if address not in found:
            found.append(address)
    if not found:
        raise TargetRefused(f"The webhook host '{host}' cannot be resolved.", UNRESOLVED)
    return tuple(found)


def resolve_target(url: str, *, settings: Settings) -> Target:
    """Parse the URL, resolve its host once and check the port and every address (unless the
    test allowance is on); raises TargetRefused with the reason."""
    url = (url or "").strip()
    if len(url) > MAX_URL_LENGTH:
        raise TargetRefused(f"Webhook URLs are limited to {MAX_URL_LENGTH} characters.")
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, ValueError, UnicodeError) as exc:
        raise TargetRefused("The webhook URL is not a valid URL.") from exc
    if parsed.scheme not in ("http", "https") or not parsed.raw_host:
        raise TargetRefused("The webhook URL must start with http:// or https:// and name a host.")
    if parsed.userinfo:
        raise TargetRefused("The webhook URL must not contain a user name or password.")
    host = parsed.raw_host.decode("ascii")
    port = parsed.port if parsed.port is not None else 443 if parsed.scheme == "https" else 80
    lab = settings.webhook_allow_private_targets
    if not lab and not port_allowed(port, settings.webhook_allowed_ports):
        raise TargetRefused(
            f"Webhook URLs may only use the ports {settings.webhook_allowed_ports}."
        )
    addresses = _resolve(host, port)
    if not lab and not all(is_public_address(address) for address in addresses):
        raise TargetRefused(
            f"The webhook host '{host}' is a private or loopback address (or resolves to one); "
            "webhooks only go to public addresses."
        )
    return Target(url=parsed, host=host, addresses=addresses)


def check_target(url: str, *, settings: Settings) -> str:
    """The URL, stripped, if a webhook may be posted to it (see `resolve_target`)."""
    resolve_target(url, settings=settings)
    return url.strip()


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
