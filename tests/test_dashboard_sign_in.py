"""Signing in and out, throttling, deactivated accounts, sign-up, and outage banners."""

from __future__ import annotations

import re
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from streamlit.testing.v1 import AppTest

from backend.accounts import browser_sessions, tokens
from backend.ledger.task_records import BROKER_DOWN
from backend.models import ApiToken, User
from backend.runtime import build_runtime
from dashboard import common, status
from tests import factories
from tests.test_dashboard_support import APP, TIMEOUT, button, messages, open_page, texts


def _sign_in(at: AppTest, email: str, password: str) -> AppTest:
    email_box, password_box = [w for w in at.text_input if w.form_id == "sign-in"]
    email_box.input(email)
    password_box.input(password)
    return at.form_submit_button[0].click().run()


@contextmanager
def _dashboard_runtime(monkeypatch, settings, **changes) -> Iterator[None]:
    """The dashboard's runtime replaced by one built from changed settings."""
    rt = build_runtime(settings.model_copy(update=changes))
    monkeypatch.setattr(common, "runtime", lambda: rt)
    try:
        yield
    finally:
        rt.close()


def test_wrong_password_says_so_plainly_and_the_right_one_signs_in(runtime):
    user = factories.make_user(runtime)
    at = open_page(None)
    assert "QA Service" in texts(at)
    assert "user_id" not in at.session_state

    _sign_in(at, user.email, "wrong password")
    assert messages(at, "error") == ["Wrong email or password."]
    _sign_in(at, "nobody@example.com", factories.PASSWORD)
    assert messages(at, "error") == ["Wrong email or password."]
    assert "user_id" not in at.session_state

    _sign_in(at, user.email, factories.PASSWORD)
    assert not at.exception
    assert at.session_state["user_id"] == user.id
    assert at.title[0].value == "Ask your documents"
    assert f"Signed in as <b>{user.email}</b> (user)" in texts(at)


def test_repeated_failures_make_the_next_try_wait(runtime):
    user = factories.make_user(runtime)
    at = open_page(None)
    for _ in range(runtime.settings.sign_in_free_attempts):
        _sign_in(at, user.email, "guessing")
    _sign_in(at, user.email, factories.PASSWORD)
    assert messages(at, "error") == ["Too many failed sign-ins; try again in 1 second."]
    assert "user_id" not in at.session_state

    time.sleep(1.1)
    _sign_in(at, user.email, factories.PASSWORD)
    assert at.session_state["user_id"] == user.id


def test_sign_out_and_deactivated_accounts_leave_the_workspace(runtime):
    user = factories.make_user(runtime)
    at = open_page(user, "documents")
    button(at, "Sign out").click().run()
    assert "user_id" not in at.session_state
    assert [b.label for b in at.form_submit_button] == ["Sign in"]

    at = open_page(user, "documents")
    with runtime.session() as session:
        session.get(User, user.id).is_active = False
    at.run()
    assert "user_id" not in at.session_state
    assert common.SIGNED_OUT in messages(at, "warning")
    assert "Documents" not in [t.value for t in at.title]


def test_sign_up_only_when_allowed(runtime, settings, monkeypatch):
    at = open_page(None)
    assert len(at.tabs) == 0 and "Ask an administrator" in texts(at)

    with _dashboard_runtime(monkeypatch, settings, allow_signup=True):
        at = open_page(None)
        assert [t.label for t in at.tabs] == ["Sign in", "Create an account"]
        email, password, again = [w for w in at.text_input if w.form_id == "sign-up"]
        email.input("newcomer@example.com")
        password.input("a fine long password")
        again.input("a fine long password")
        at.form_submit_button[1].click().run()
        assert not at.exception
        with runtime.session() as session:
            user = factories.users.get_user_by_email(session=session, email="newcomer@example.com")
        assert at.session_state["user_id"] == user.id and user.role == "user"


def test_database_down_is_a_banner_not_a_traceback(runtime, settings, monkeypatch):
    user = factories.make_user(runtime)
    with _dashboard_runtime(
        monkeypatch, settings, database_url="postgresql+psycopg2://qa@127.0.0.1:1/qa"
    ):
        at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
        at.session_state["user_id"] = user.id
        at.run()
        assert not at.exception
        assert messages(at, "error") == [common.DATABASE_DOWN]


@pytest.mark.usefixtures("worker")
def test_broker_down_names_what_is_affected(runtime, settings, monkeypatch):
    user = factories.make_user(runtime)
    dead = "redis://127.0.0.1:1/0"
    # Celery prefers this variable to its configuration, so the dashboard must see it too.
    monkeypatch.setenv("CELERY_BROKER_URL", dead)
    with _dashboard_runtime(monkeypatch, settings, celery_broker_url=dead):
        at = open_page(user, "upload")
        at.file_uploader[0].set_value(("notes.txt", b"Some notes worth keeping.", "text/plain"))
        at.form_submit_button[0].click().run()
        assert not at.exception
        errors = messages(at, "error")
        assert BROKER_DOWN in errors
        assert status.AFFECTED["broker"] in errors
        assert not at.get("progress"), "nothing was queued, so nothing is shown as queued"


def _single_sign_on(email: str) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.secrets["auth"] = {"redirect_uri": "http://localhost:8601/oauth2callback"}
    at.user = {"is_logged_in": True, "email": email}
    return at.run()


def test_single_sign_on_maps_the_verified_email_to_an_active_account(runtime):
    user = factories.make_user(runtime)
    at = _single_sign_on(user.email.upper())
    assert not at.exception
    assert at.session_state["user_id"] == user.id
    assert at.title[0].value == "Ask your documents"

    at = _single_sign_on("stranger@example.com")
    assert "user_id" not in at.session_state
    (error,) = messages(at, "error")
    assert "no active account for that address" in error
    assert "Use another identity" in [b.label for b in at.button]


def _session_requests(at: AppTest) -> list[str]:
    """The page's scripts that call the session routes."""
    return [str(el.value) for el in at.get("html") if "/session/" in str(el.value)]


def _held_port() -> Iterator[int]:
    with socket.socket() as held:  # bound, never listening: connecting is refused
        held.bind(("127.0.0.1", 0))
        yield held.getsockname()[1]


def test_signing_in_hands_the_page_a_ticket_never_the_token(runtime):
    user = factories.make_user(runtime)
    at = _sign_in(open_page(None), user.email, factories.PASSWORD)
    assert at.session_state["user_id"] == user.id
    token_id = at.session_state[common.BROWSER_SESSION_KEY]
    (script,) = _session_requests(at)
    assert '"/session/start"' in script and '"credentials": "same-origin"' in script
    ticket = re.search(r'"body": "([^"]+)"', script).group(1)
    token = browser_sessions.redeem_ticket(redis=runtime.redis, ticket=ticket)
    assert token is not None and token not in script
    with runtime.session() as session:
        record = session.get(ApiToken, token_id)
        assert record.kind == "dashboard" and record.token_hash == tokens.hash_token(token)
    at.run()
    assert _session_requests(at) == []  # asked once


def test_sign_out_ends_the_browser_session_and_clears_its_cookie(runtime):
    user = factories.make_user(runtime)
    at = _sign_in(open_page(None), user.email, factories.PASSWORD)
    token_id = at.session_state[common.BROWSER_SESSION_KEY]
    button(at, "Sign out").click().run()
    assert "user_id" not in at.session_state
    (script,) = _session_requests(at)
    assert '"/session/end"' in script
    with runtime.session() as session:
        assert session.get(ApiToken, token_id).revoked_at is not None


def test_a_session_ended_elsewhere_signs_the_tab_out(runtime):
    user = factories.make_user(runtime)
    at = _sign_in(open_page(None), user.email, factories.PASSWORD)
    with runtime.session() as session:
        browser_sessions.end_session(
            session=session, token_id=at.session_state[common.BROWSER_SESSION_KEY]
        )
    at.run()
    assert "user_id" not in at.session_state
    assert common.SESSION_ENDED in messages(at, "warning")
    assert any('"/session/end"' in s for s in _session_requests(at))


def test_without_redis_the_sign_in_lasts_as_long_as_the_tab(runtime, settings, monkeypatch):
    user = factories.make_user(runtime)
    for port in _held_port():
        with _dashboard_runtime(monkeypatch, settings, redis_url=f"redis://127.0.0.1:{port}"):
            at = _sign_in(open_page(None), user.email, factories.PASSWORD)
            assert not at.exception
            assert at.session_state["user_id"] == user.id
            assert at.title[0].value == "Ask your documents"
            assert _session_requests(at) == []
