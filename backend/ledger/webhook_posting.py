"""One signed POST of a completion webhook: to a checked address of the target (no redirects,
no second DNS answer), with Standard Webhooks headers, and its outcome as users see it (a
category such as `timeout` or `HTTP 5xx`) and as admins do (the detail)."""

from __future__ import annotations

import json
import socket
import ssl
import time
from dataclasses import dataclass
from typing import Any

import httpx

from backend.config import Settings
from backend.ledger.webhook_signing import sign, sign_standard
from backend.ledger.webhook_targets import (
    BLOCKED,
    UNRESOLVED,
    Target,
    TargetRefused,
    resolve_target,
)

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


@dataclass(frozen=True)
class Attempt:
    """One POST's outcome: `category` is what users see, `detail` is for admins only;
    `final` when another attempt cannot help (the target is refused)."""

    delivered: bool
    status_code: int | None
    category: str | None
    detail: str | None = None
    final: bool = False


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
