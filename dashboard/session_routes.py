"""The dashboard server's two HTTP routes for the session cookie (see dashboard/server.py).

`POST /session/start` trades a one-time ticket (the request body) for the HTTP-only cookie;
`POST /session/end` revokes the session the cookie holds and clears it. Both refuse requests
from other sites. The cookie is `Secure` when the request came over HTTPS, which behind a
proxy uvicorn reads from X-Forwarded-Proto only for the addresses in FORWARDED_ALLOW_IPS.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from urllib.parse import urlsplit

import redis
from sqlalchemy import exc as db_errors
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from backend.accounts import browser_sessions
from backend.runtime import Runtime

log = logging.getLogger("dashboard")
MAX_TICKET_BYTES = 100


def _same_site(request: Request) -> bool:
    """Refuse cross-site posts (a foreign page signing this browser in as someone else)."""
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None and fetch_site != "same-origin":
        return False
    origin = request.headers.get("origin")
    if origin is None:
        return True
    host = request.headers.get("host", "")
    return urlsplit(origin).hostname == urlsplit(f"//{host}").hostname


def _refused(status: int, detail: str) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=status)


def session_routes(runtime: Callable[[], Runtime]) -> list[Route]:
    """The routes, with the process's runtime (built on first use)."""

    async def start(request: Request) -> Response:
        if not _same_site(request):
            return _refused(403, "Cross-site requests cannot start a session.")
        ticket = (await request.body())[:MAX_TICKET_BYTES].decode("ascii", errors="replace")
        rt = runtime()
        try:
            token = await run_in_threadpool(
                browser_sessions.redeem_ticket, redis=rt.redis, ticket=ticket.strip()
            )
        except redis.RedisError:
            log.warning("Redis unavailable: a sign-in cookie was not set", exc_info=True)
            return _refused(503, "The session store is not answering; try again shortly.")
        if token is None:
            return _refused(400, "This sign-in ticket is unknown, used or expired.")
        reply = Response(status_code=204)
        reply.set_cookie(
            browser_sessions.COOKIE_NAME,
            token,
            max_age=int(browser_sessions.session_lifetime(rt.settings).total_seconds()),
            path="/",
            httponly=True,
            samesite="lax",
            secure=request.url.scheme == "https",
        )
        return reply

    async def end(request: Request) -> Response:
        if not _same_site(request):
            return _refused(403, "Cross-site requests cannot end a session.")
        token = request.cookies.get(browser_sessions.COOKIE_NAME, "")
        if token:
            try:
                await run_in_threadpool(_revoke, runtime(), token)
            except db_errors.SQLAlchemyError:
                # The cookie still goes; the session ends at its expiry or the next sign-out.
                log.warning("database unavailable: a signed-out session stays valid", exc_info=True)
        reply = Response(status_code=204)
        reply.delete_cookie(
            browser_sessions.COOKIE_NAME,
            path="/",
            httponly=True,
            samesite="lax",
            secure=request.url.scheme == "https",
        )
        return reply

    return [
        Route("/session/start", start, methods=["POST"]),
        Route("/session/end", end, methods=["POST"]),
    ]


def _revoke(rt: Runtime, token: str) -> None:
    with rt.session() as session:
        browser_sessions.end_presented_session(session=session, token=token)
