"""Account page: change password; API tokens shown once, listed, revoked; only one's own."""

from __future__ import annotations

import pytest

from backend import tokens, users
from backend.errors import AuthenticationFailed
from tests import factories
from tests.test_dashboard_support import button, messages, open_page, texts


def _form_inputs(at, form_key):
    return [w for w in at.text_input if w.form_id == form_key]


def test_change_password_checks_the_current_one(runtime):
    user = factories.make_user(runtime)
    at = open_page(user, "account")
    assert user.email in texts(at)

    current, new, again = _form_inputs(at, "change-password")
    current.input("not my password")
    new.input("a brand new secret")
    again.input("a brand new secret")
    at.form_submit_button[0].click().run()
    assert "The current password is wrong." in messages(at, "error")

    current, new, again = _form_inputs(at, "change-password")
    current.input(factories.PASSWORD)
    new.input("a brand new secret")
    again.input("a brand new secret")
    at.form_submit_button[0].click().run()
    assert "Your password has been changed." in messages(at, "success")
    with runtime.session() as session:
        assert users.authenticate(session=session, email=user.email, password="a brand new secret")
        with pytest.raises(AuthenticationFailed):
            users.authenticate(session=session, email=user.email, password=factories.PASSWORD)


def test_token_is_shown_once_listed_and_revoked(runtime):
    user = factories.make_user(runtime)
    other = factories.make_user(runtime)
    with runtime.session() as session:
        tokens.create_token(session=session, user=other, name="someone else's robot")
    at = open_page(user, "account")
    assert "You have no API tokens." in texts(at)
    assert "someone else's robot" not in texts(at)

    (name,) = _form_inputs(at, "new-token")
    name.input("nightly report")
    at.form_submit_button[1].click().run()
    shown = [c.value for c in at.code]
    assert len(shown) == 1 and shown[0].startswith("qa_")
    with runtime.session() as session:
        assert tokens.user_for_token(session=session, token=shown[0]).id == user.id

    at.run()  # any later run: listed by name and prefix, the token itself is gone
    assert not at.code
    assert "nightly report" in texts(at)
    assert shown[0] not in texts(at)

    button(at, "Revoke").click().run()
    assert any("Revoked" in m for m in messages(at, "success"))
    assert "You have no API tokens." in texts(at)
    with runtime.session() as session:
        assert tokens.list_tokens(session=session, user=user) == []
