"""ASGI middleware of the API: security headers on every response, and request bodies that
cannot hold a connection or memory hostage (a size cap for JSON, a time limit per read)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

DOCS_PATHS = ("/docs", "/redoc")
# Swagger UI and ReDoc load their scripts and styles from jsDelivr.
DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; img-src 'self' data: "
    "https://fastapi.tiangolo.com; frame-ancestors 'none'"
)
API_CSP = "default-src 'none'; frame-ancestors 'none'"


class SecurityHeaders:
    """nosniff, no framing, no referrer and a strict CSP on every response; HSTS when the
    service runs in production (behind TLS)."""

    def __init__(self, app: ASGIApp, *, hsts: bool) -> None:
        self.app = app
        self.hsts = hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        docs = str(scope.get("path", "")).startswith(DOCS_PATHS)
        extra = [
            (b"x-content-type-options", b"nosniff"),
            (b"x-frame-options", b"DENY"),
            (b"referrer-policy", b"no-referrer"),
            (b"content-security-policy", (DOCS_CSP if docs else API_CSP).encode()),
        ]
        if self.hsts:
            extra.append((b"strict-transport-security", b"max-age=31536000; includeSubDomains"))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {name.lower() for name, _ in message.get("headers", [])}
                headers = list(message.get("headers", []))
                headers += [(k, v) for k, v in extra if k not in names]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


class _Refused(Exception):
    def __init__(self, status: int, detail: str) -> None:
        self.status = status
        self.detail = detail


class BodyLimits:
    """JSON bodies above `max_json_bytes` get 413 (by Content-Length at once, or while they
    stream in); a body that stops arriving for `read_timeout` seconds gets 408, so a client
    announcing more than it sends cannot hold a connection open."""

    def __init__(self, app: ASGIApp, *, max_json_bytes: int, read_timeout: float) -> None:
        self.app = app
        self.max_json_bytes = max_json_bytes
        self.read_timeout = read_timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.lower(): v for k, v in scope.get("headers", [])}
        is_json = b"json" in headers.get(b"content-type", b"").lower()
        limit = self.max_json_bytes if is_json else None
        too_big = _too_big_sentence(self.max_json_bytes)
        length = headers.get(b"content-length", b"")
        if limit is not None and length.isdigit() and int(length) > limit:
            await _respond(send, 413, too_big)
            return
        received = 0
        started = False
        body_done = False
        refusal: _Refused | None = None

        async def limited_receive() -> Message:
            nonlocal received, body_done, refusal
            if body_done:  # afterwards the app only waits for a disconnect: no time limit
                return await receive()
            try:
                message = await asyncio.wait_for(receive(), timeout=self.read_timeout)
            except TimeoutError:
                refusal = _Refused(
                    408, f"The request body stopped arriving for {self.read_timeout:.0f} s."
                )
                raise refusal from None
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if limit is not None and received > limit:
                    refusal = _Refused(413, too_big)
                    raise refusal
                body_done = not message.get("more_body", False)
            return message

        async def guarded_send(message: Message) -> None:
            # The framework may turn our refusal into its own error page: ours goes instead.
            nonlocal started
            if refusal is not None:
                if not started:
                    started = True
                    await _respond(send, refusal.status, refusal.detail)
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except _Refused as refused:
            if not started:
                started = True
                await _respond(send, refused.status, refused.detail)


def _too_big_sentence(limit: int) -> str:
    return f"The JSON body is larger than the {limit // 1024} KB this API accepts."


async def _respond(send: Send, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
