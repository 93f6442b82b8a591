"""Dashboard sessions (the browser's session cookie) and their one-time tickets, as services."""

from __future__ import annotations

import socket
from datetime import timedelta

import pytest
import redis
from sqlalchemy import select

from backend.accounts import admin_users, browser_sessions, tokens, users
from backend.errors import AuthenticationFailed
from backend.models import ApiToken, User, utcnow
from backend.operations import user_admin
from tests import factories

pytestmark = pytest.mark.core


def _start(rt, user: User) -> tokens.IssuedToken:
    with rt.session() as session:
        fresh = session.get(User, user.id)
        return browser_sessions.start_session(session=session, settings=rt.settings, user=fresh)


def _resume(rt, token: str) -> User:
    with rt.session() as session:
        return browser_sessions.resume_session(session=session, token=token)[1]


def test_a_session_is_stored_as_a_keyed_hash_and_lasts_the_configured_hours(runtime):
    user = factories.make_user(runtime)
    issued = _start(runtime, user)
    with runtime.session() as session:
        record = session.get(ApiToken, issued.record.id)
        assert record.kind == "dashboard"
        assert record.token_hash == tokens.hash_token(issued.token)
        assert issued.token not in session.scalars(select(ApiToken.token_hash)).all()
        lifetime = record.expires_at - record.created_at
    assert lifetime == timedelta(hours=runtime.settings.dashboard_session_hours)
    assert _resume(runtime, issued.token).id == user.id
    # Dashboard sessions are not API tokens: the Account page never lists them.
    with runtime.session() as session:
        assert tokens.list_tokens(session=session, user=session.get(User, user.id)) == []


def test_expired_revoked_and_unknown_sessions_are_refused(runtime):
    user = factories.make_user(runtime)
    expired, revoked = _start(runtime, user), _start(runtime, user)
    with runtime.session() as session:
        session.get(ApiToken, expired.record.id).expires_at = utcnow() - timedelta(seconds=1)
        browser_sessions.end_session(session=session, token_id=revoked.record.id)

    with pytest.raises(AuthenticationFailed, match="expired"):
        _resume(runtime, expired.token)
    with pytest.raises(AuthenticationFailed, match="signed out"):
        _resume(runtime, revoked.token)
    for unknown in ("qa_" + "x" * 43, "", "not a token"):
        with pytest.raises(AuthenticationFailed, match="not valid"):
            _resume(runtime, unknown)
    with runtime.session() as session:
        assert not browser_sessions.session_is_live(session=session, token_id=expired.record.id)
        assert not browser_sessions.session_is_live(session=session, token_id=revoked.record.id)


def test_a_bearer_token_is_no_session_and_a_session_is_no_bearer_token(runtime):
    user = factories.make_user(runtime)
    with runtime.session() as session:
        fresh = session.get(User, user.id)
        api = tokens.create_token(session=session, user=fresh, name="script")
        sign_in = tokens.create_token(
            session=session,
            user=fresh,
            name="sign-in",
            expires_in=timedelta(hours=1),
            kind="session",
        )
        api_id = api.record.id
    cookie = _start(runtime, user)

    for bearer in (api.token, sign_in.token):
        with pytest.raises(AuthenticationFailed, match="not valid"):
            _resume(runtime, bearer)
    with runtime.session() as session:
        assert not browser_sessions.session_is_live(session=session, token_id=api_id)
        browser_sessions.end_presented_session(session=session, token=api.token)
        assert session.get(ApiToken, api_id).revoked_at is None  # not a session: left alone
        with pytest.raises(AuthenticationFailed, match="not valid"):
            tokens.user_for_token(session=session, token=cookie.token)


def test_signing_out_revokes_the_presented_session(runtime):
    user = factories.make_user(runtime)
    issued = _start(runtime, user)
    with runtime.session() as session:
        browser_sessions.end_presented_session(session=session, token=issued.token)
        assert session.get(ApiToken, issued.record.id).revoked_at is not None


def _change_own_password(rt, user: User) -> None:
    with rt.session() as session:
        users.change_password(
            session=session,
            user=session.get(User, user.id),
            current=factories.PASSWORD,
            new="a-new-long-password",
        )


def _admin_reset(rt, user: User) -> None:
    admin = factories.make_user(rt, role="admin")
    with rt.session() as session:
        admin_users.reset_password(session=session, user=session.get(User, admin.id),
                                   user_id=user.id)  # fmt: skip


def _deactivate(rt, user: User) -> None:
    admin = factories.make_user(rt, role="admin")
    with rt.session() as session:
        user_admin.deactivate_user(
            session=session, celery=rt.celery, actor=session.get(User, admin.id), user_id=user.id
        )


@pytest.mark.parametrize("change", [_change_own_password, _admin_reset, _deactivate])
def test_a_credentials_change_ends_every_session_and_a_later_one_lives(runtime, change):
    user = factories.make_user(runtime)
    before = [_start(runtime, user) for _ in range(2)]
    change(runtime, user)
    for issued in before:
        with pytest.raises(AuthenticationFailed, match="signed out"):
            _resume(runtime, issued.token)
        with runtime.session() as session:
            assert not browser_sessions.session_is_live(session=session, token_id=issued.record.id)
    if change is _deactivate:
        return
    after = _start(runtime, user)
    assert _resume(runtime, after.token).id == user.id


def test_expired_sessions_are_pruned_at_the_next_sign_in(runtime):
    user = factories.make_user(runtime)
    old = _start(runtime, user)
    with runtime.session() as session:
        session.get(ApiToken, old.record.id).expires_at = utcnow() - timedelta(days=1)
    new = _start(runtime, user)
    with runtime.session() as session:
        # Looked up by hash: SQLite may give the new row the old one's id.
        stored = session.scalars(select(ApiToken.token_hash).where(ApiToken.user_id == user.id))
        assert list(stored) == [new.record.token_hash]


def test_a_ticket_gives_its_token_once(runtime):
    ticket = browser_sessions.issue_ticket(redis=runtime.redis, token="qa_secret-token")
    key = browser_sessions._ticket_key(ticket)
    stored = runtime.redis.get(key)
    assert stored is not None and b"qa_secret-token" not in stored  # sealed with the ticket
    assert ticket not in key
    assert 0 < runtime.redis.ttl(key) <= browser_sessions.TICKET_SECONDS

    assert browser_sessions.redeem_ticket(redis=runtime.redis, ticket=ticket) == "qa_secret-token"
    assert browser_sessions.redeem_ticket(redis=runtime.redis, ticket=ticket) is None


def test_expired_unknown_and_malformed_tickets_give_nothing(runtime):
    ticket = browser_sessions.issue_ticket(redis=runtime.redis, token="qa_secret-token")
    runtime.redis.delete(browser_sessions._ticket_key(ticket))  # what expiry does
    assert browser_sessions.redeem_ticket(redis=runtime.redis, ticket=ticket) is None
    other = browser_sessions.issue_ticket(redis=runtime.redis, token="qa_secret-token")
    for wrong in ("", other[:-1], other + "x", "../" + other[3:], other[:-1] + "!"):
        assert browser_sessions.redeem_ticket(redis=runtime.redis, ticket=wrong) is None
    assert browser_sessions.redeem_ticket(redis=runtime.redis, ticket=other) == "qa_secret-token"


def test_without_redis_no_ticket_is_issued():
    with socket.socket() as held:  # bound, never listening: connecting is refused
        held.bind(("127.0.0.1", 0))
        down = redis.Redis(host="127.0.0.1", port=held.getsockname()[1], socket_connect_timeout=1)
        with pytest.raises(redis.RedisError):
            browser_sessions.issue_ticket(redis=down, token="qa_secret-token")
