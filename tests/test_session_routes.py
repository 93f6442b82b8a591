"""The dashboard server's /session/ routes: a ticket becomes an HTTP-only cookie once, the
cookie is Secure over HTTPS, other sites are refused, and ending a session revokes it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from backend.accounts import browser_sessions
from backend.errors import AuthenticationFailed
from backend.models import ApiToken, User
from dashboard.session_routes import session_routes
from tests import factories

pytestmark = pytest.mark.core


@pytest.fixture
def server(runtime) -> Iterator[Starlette]:
    yield Starlette(routes=session_routes(lambda: runtime))


def _issued(runtime) -> tuple[int, str, str]:
    """A new session of a new user: its id, token and a ticket for it."""
    user = factories.make_user(runtime)
    with runtime.session() as session:
        issued = browser_sessions.start_session(
            session=session, settings=runtime.settings, user=session.get(User, user.id)
        )
        token_id = issued.record.id
    ticket = browser_sessions.issue_ticket(redis=runtime.redis, token=issued.token)
    return token_id, issued.token, ticket


def _attributes(set_cookie: str) -> dict[str, str]:
    parts = [p.strip() for p in set_cookie.split(";")]
    return {k.lower(): v for k, _, v in (p.partition("=") for p in parts[1:])}


def test_a_ticket_sets_an_http_only_lasting_cookie_once(runtime, server):
    _, token, ticket = _issued(runtime)
    with TestClient(server) as client:
        started = client.post("/session/start", content=ticket)
        assert started.status_code == 204
        header = started.headers["set-cookie"]
        assert header.startswith(f"{browser_sessions.COOKIE_NAME}={token};")
        flags = _attributes(header)
        assert "httponly" in flags and "secure" not in flags
        assert flags["samesite"].lower() == "lax" and flags["path"] == "/"
        hours = runtime.settings.dashboard_session_hours
        assert flags["max-age"] == str(hours * 3600)

        again = client.post("/session/start", content=ticket)
        assert again.status_code == 400 and "set-cookie" not in again.headers
        assert "unknown, used or expired" in again.json()["detail"]


def test_over_https_the_cookie_is_secure(runtime, server):
    _, _, ticket = _issued(runtime)
    with TestClient(server, base_url="https://dashboard.example") as client:
        started = client.post("/session/start", content=ticket)
    assert started.status_code == 204
    assert "secure" in _attributes(started.headers["set-cookie"])


@pytest.mark.parametrize(
    "headers",
    [
        {"origin": "https://elsewhere.example"},
        {"sec-fetch-site": "cross-site"},
        {"sec-fetch-site": "same-site"},
    ],
)
def test_other_sites_can_neither_start_nor_end_a_session(runtime, server, headers):
    token_id, token, ticket = _issued(runtime)
    with TestClient(server) as client:
        started = client.post("/session/start", content=ticket, headers=headers)
        assert started.status_code == 403 and "set-cookie" not in started.headers
        client.cookies.set(browser_sessions.COOKIE_NAME, token)
        assert client.post("/session/end", headers=headers).status_code == 403
        # The refused requests used nothing up: the page itself still can.
        same = client.post(
            "/session/start", content=ticket, headers={"origin": "http://testserver"}
        )
        assert same.status_code == 204
    with runtime.session() as session:
        assert session.get(ApiToken, token_id).revoked_at is None


def test_ending_revokes_the_cookies_session_and_clears_it(runtime, server):
    token_id, token, _ = _issued(runtime)
    with TestClient(server) as client:
        client.cookies.set(browser_sessions.COOKIE_NAME, token)
        ended = client.post("/session/end")
        assert ended.status_code == 204
        flags = _attributes(ended.headers["set-cookie"])
        assert flags["max-age"] == "0" and "httponly" in flags
        assert client.post("/session/end").status_code == 204  # nothing to end: still fine
    with runtime.session() as session:
        assert session.get(ApiToken, token_id).revoked_at is not None
        with pytest.raises(AuthenticationFailed, match="signed out"):
            browser_sessions.resume_session(session=session, token=token)
