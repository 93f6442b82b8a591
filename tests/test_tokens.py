"""Bearer tokens (hashed, expiring, revocable) and sign-in throttling, as services."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
import redis
from sqlalchemy import select

from backend.accounts import tokens
from backend.accounts.login_throttle import throttled_authenticate
from backend.errors import AuthenticationFailed, InvalidInput, NotFound, RateLimited
from backend.models import ApiToken, User, utcnow
from tests import factories

pytestmark = pytest.mark.core


def _user(rt, session, **kwargs) -> User:
    user = factories.make_user(rt, **kwargs)
    fresh = session.get(User, user.id)
    assert fresh is not None
    return fresh


def test_token_is_stored_hashed_and_finds_its_user(runtime):
    with runtime.session() as session:
        user = _user(runtime, session)
        issued = tokens.create_token(session=session, user=user, name="  ci   job ")

        assert issued.token.startswith("qa_") and len(issued.token) > 40
        assert issued.record.name == "ci job"
        assert issued.record.token_hash == tokens.hash_token(issued.token)
        assert issued.token not in session.scalars(select(ApiToken.token_hash)).all()
        assert tokens.user_for_token(session=session, token=issued.token).id == user.id
        assert issued.record.last_used_at is not None


def test_expired_revoked_unknown_and_deactivated_are_refused(runtime):
    with runtime.session() as session:
        user = _user(runtime, session)
        expired = tokens.create_token(session=session, user=user, name="old")
        expired.record.expires_at = utcnow() - timedelta(seconds=1)
        revoked = tokens.create_token(session=session, user=user, name="gone")
        tokens.revoke_token(session=session, user=user, token_id=revoked.record.id)
        live = tokens.create_token(session=session, user=user, name="live")

        with pytest.raises(AuthenticationFailed, match="expired"):
            tokens.user_for_token(session=session, token=expired.token)
        with pytest.raises(AuthenticationFailed, match="revoked"):
            tokens.user_for_token(session=session, token=revoked.token)
        with pytest.raises(AuthenticationFailed, match="not valid"):
            tokens.user_for_token(session=session, token="qa_" + "x" * 43)
        user.is_active = False
        with pytest.raises(AuthenticationFailed, match="deactivated"):
            tokens.user_for_token(session=session, token=live.token)


def test_list_shows_own_live_api_tokens_and_revoke_refuses_foreign_ids(runtime):
    with runtime.session() as session:
        alice = _user(runtime, session)
        bob = _user(runtime, session)
        first = tokens.create_token(session=session, user=alice, name="first")
        tokens.create_token(session=session, user=alice, name="second")
        tokens.create_token(session=session, user=alice, name="sign-in", kind="session")
        tokens.create_token(session=session, user=bob, name="bob's")

        assert [t.name for t in tokens.list_tokens(session=session, user=alice)] == [
            "second",
            "first",
        ]
        with pytest.raises(NotFound):
            tokens.revoke_token(session=session, user=bob, token_id=first.record.id)
        tokens.revoke_token(session=session, user=alice, token_id=first.record.id)
        assert [t.name for t in tokens.list_tokens(session=session, user=alice)] == ["second"]
        with pytest.raises(NotFound):
            tokens.revoke_token(session=session, user=alice, token_id=first.record.id)


@pytest.mark.parametrize(
    ("name", "kwargs", "message"),
    [
        ("   ", {}, "Give the token a name"),
        ("x" * 101, {}, "limited to 100 characters"),
        ("ok", {"kind": "root"}, "Unknown token kind"),
        ("ok", {"expires_in": timedelta(0)}, "must be positive"),
    ],
)
def test_bad_token_requests_say_why(runtime, name, kwargs, message):
    with runtime.session() as session:
        user = _user(runtime, session)
        with pytest.raises(InvalidInput, match=message):
            tokens.create_token(session=session, user=user, name=name, **kwargs)


def test_signing_in_again_drops_expired_session_tokens(runtime):
    with runtime.session() as session:
        user = _user(runtime, session)
        old = tokens.create_token(session=session, user=user, name="s", kind="session")
        old.record.expires_at = utcnow() - timedelta(hours=1)
        session.flush()
        tokens.create_token(
            session=session, user=user, name="s", kind="session", expires_in=timedelta(hours=1)
        )

        kinds = session.scalars(select(ApiToken.kind).where(ApiToken.user_id == user.id)).all()
        assert kinds == ["session"]


# --- sign-in throttling


def _sign_in(rt, session, email: str, password: str, client: str = "10.0.0.1") -> User:
    return throttled_authenticate(
        session=session,
        redis=rt.redis,
        settings=rt.settings,
        email=email,
        password=password,
        client=client,
    )


def test_repeated_failures_make_that_client_wait_and_the_wait_passes(runtime):
    free = runtime.settings.sign_in_free_attempts
    with runtime.session() as session:
        user = _user(runtime, session)
        for _ in range(free):
            with pytest.raises(AuthenticationFailed, match="Wrong email or password."):
                _sign_in(runtime, session, user.email, "wrong password")

        with pytest.raises(RateLimited) as waiting:
            _sign_in(runtime, session, user.email.upper(), factories.PASSWORD)
        assert waiting.value.retry_after == 1
        assert "try again in 1 second" in waiting.value.message
        # The owner elsewhere is not held up by the guessing client.
        assert _sign_in(runtime, session, user.email, factories.PASSWORD, client="10.0.0.2")

        time.sleep(1.1)
        assert _sign_in(runtime, session, user.email, factories.PASSWORD).id == user.id


def test_a_client_guessing_across_emails_is_slowed_not_locked(runtime):
    noisy = "10.9.9.9"
    with runtime.session() as session:
        user = _user(runtime, session)
        other = _user(runtime, session)
        for i in range(runtime.settings.sign_in_client_failures):
            with pytest.raises(AuthenticationFailed):
                _sign_in(runtime, session, f"nobody{i}@example.com", "guess", client=noisy)

        # An account that has not failed from there signs in at once...
        assert _sign_in(runtime, session, user.email, factories.PASSWORD, client=noisy)
        # ...but from that address every account waits after its first failure.
        with pytest.raises(AuthenticationFailed):
            _sign_in(runtime, session, other.email, "guess", client=noisy)
        with pytest.raises(RateLimited):
            _sign_in(runtime, session, other.email, factories.PASSWORD, client=noisy)
        assert _sign_in(runtime, session, other.email, factories.PASSWORD, client="10.1.1.1")


def test_success_clears_the_pairs_count(runtime):
    free = runtime.settings.sign_in_free_attempts
    with runtime.session() as session:
        user = _user(runtime, session)
        for _ in range(free - 1):
            with pytest.raises(AuthenticationFailed):
                _sign_in(runtime, session, user.email, "wrong password")
        _sign_in(runtime, session, user.email, factories.PASSWORD)

        for _ in range(free - 1):
            with pytest.raises(AuthenticationFailed):
                _sign_in(runtime, session, user.email, "wrong password")
        assert _sign_in(runtime, session, user.email, factories.PASSWORD).id == user.id


def test_without_redis_sign_in_still_works(runtime):
    dead = redis.Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.5)
    with runtime.session() as session:
        user = _user(runtime, session)
        with pytest.raises(AuthenticationFailed):
            throttled_authenticate(
                session=session,
                redis=dead,
                settings=runtime.settings,
                email=user.email,
                password="x",
            )
        found = throttled_authenticate(
            session=session,
            redis=dead,
            settings=runtime.settings,
            email=user.email,
            password=factories.PASSWORD,
        )
        assert found.id == user.id
