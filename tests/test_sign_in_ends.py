"""Every sign-in of an account ends when its password changes or is reset, or it is
deactivated; reactivating it does not bring old tokens back (API and dashboard)."""

from __future__ import annotations

import pytest

from backend.accounts import admin_users, users
from backend.models import User
from backend.operations import user_admin
from tests import factories
from tests.test_dashboard_support import open_page, texts

pytestmark = pytest.mark.usefixtures("worker")


def _bearer(client, user: User) -> dict[str, str]:
    signed_in = client.post(
        "/auth/token", data={"username": user.email, "password": factories.PASSWORD}
    )
    assert signed_in.status_code == 200, signed_in.text
    return {"Authorization": f"Bearer {signed_in.json()['access_token']}"}


def _sign_ins(client, user: User) -> list[dict[str, str]]:
    """A session token and an API token of the user."""
    session_token = _bearer(client, user)
    created = client.post("/auth/tokens", json={"name": "nightly"}, headers=session_token)
    assert created.status_code in (200, 201), created.text
    return [session_token, {"Authorization": f"Bearer {created.json()['token']}"}]


def _alive(client, headers: dict[str, str]) -> int:
    return client.get("/auth/me", headers=headers).status_code


def test_changing_the_password_ends_every_token(runtime, client):
    user = factories.make_user(runtime)
    held = _sign_ins(client, user)
    assert [_alive(client, h) for h in held] == [200, 200]
    with runtime.session() as session:
        fresh = session.get(User, user.id)
        users.change_password(
            session=session, user=fresh, current=factories.PASSWORD, new="a-new-long-password"
        )
    refused = [client.get("/auth/me", headers=h) for h in held]
    assert [r.status_code for r in refused] == [401, 401]
    assert "password was changed" in refused[0].json()["detail"]
    with runtime.session() as session:
        assert not [t for t in users_tokens(session, user.id) if t.revoked_at is None]
    # The new password signs in.
    again = client.post(
        "/auth/token", data={"username": user.email, "password": "a-new-long-password"}
    )
    assert again.status_code == 200


def users_tokens(session, user_id):
    from sqlalchemy import select

    from backend.models import ApiToken

    return list(session.scalars(select(ApiToken).where(ApiToken.user_id == user_id)))


def test_an_admin_reset_ends_every_token(runtime, client):
    admin = factories.make_user(runtime, role="admin")
    user = factories.make_user(runtime)
    held = _sign_ins(client, user)
    with runtime.session() as session:
        actor = session.get(User, admin.id)
        admin_users.reset_password(session=session, user=actor, user_id=user.id)
    assert [_alive(client, h) for h in held] == [401, 401]


def test_deactivation_ends_tokens_and_reactivation_does_not_revive_them(runtime, client):
    admin = factories.make_user(runtime, role="admin")
    user = factories.make_user(runtime)
    held = _sign_ins(client, user)
    with runtime.session() as session:
        actor = session.get(User, admin.id)
        user_admin.deactivate_user(
            session=session, celery=runtime.celery, actor=actor, user_id=user.id
        )
    assert [_alive(client, h) for h in held] == [401, 401]
    with runtime.session() as session:
        actor = session.get(User, admin.id)
        admin_users.set_active(session=session, user=actor, user_id=user.id, active=True)
    assert [_alive(client, h) for h in held] == [401, 401]
    assert _alive(client, _bearer(client, user)) == 200  # a fresh sign-in works


def test_a_dashboard_session_ends_when_the_password_is_reset_elsewhere(runtime):
    admin = factories.make_user(runtime, role="admin")
    user = factories.make_user(runtime)
    at = open_page(user, "ask")
    with runtime.session() as session:
        actor = session.get(User, admin.id)
        admin_users.reset_password(session=session, user=actor, user_id=user.id)
    at.run()
    assert "Your password was changed or reset" in texts(at)
    assert "user_id" not in at.session_state


def test_token_hashes_are_keyed_with_the_secret_key(runtime, monkeypatch):
    import hashlib

    from backend.accounts import tokens
    from backend.errors import AuthenticationFailed

    user = factories.make_user(runtime)
    with runtime.session() as session:
        issued = tokens.create_token(session=session, user=session.get(User, user.id), name="k")
        plain = issued.token
        stored = issued.record.token_hash
    # Without the key, the stored hash cannot be recomputed from a guess.
    assert stored != hashlib.sha256(plain.encode()).hexdigest()
    with runtime.session() as session:
        assert tokens.user_for_token(session=session, token=plain).id == user.id
    # A new SECRET_KEY ends every token (the tokens module alone sees the new key here).
    other = runtime.settings.model_copy(update={"secret_key": "another-key-" + "x1y2z3" * 6})
    monkeypatch.setattr(tokens, "get_settings", lambda: other)
    with runtime.session() as session, pytest.raises(AuthenticationFailed):
        tokens.user_for_token(session=session, token=plain)


def test_a_token_stored_before_keyed_hashing_still_works_and_is_re_keyed(runtime):
    import hashlib

    from backend.accounts import tokens
    from backend.models import ApiToken

    user = factories.make_user(runtime)
    with runtime.session() as session:
        issued = tokens.create_token(session=session, user=session.get(User, user.id), name="old")
        record = session.get(ApiToken, issued.record.id)
        record.token_hash = hashlib.sha256(issued.token.encode()).hexdigest()
    with runtime.session() as session:
        assert tokens.user_for_token(session=session, token=issued.token).id == user.id
    with runtime.session() as session:
        assert session.get(ApiToken, issued.record.id).token_hash == tokens.hash_token(
            issued.token
        )
