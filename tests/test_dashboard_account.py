"""Account page: change password; API tokens shown once, listed, revoked; only one's own."""

from __future__ import annotations

import pytest

from backend.accounts import browser_sessions, tokens, users
from backend.errors import AuthenticationFailed, NotFound
from backend.ledger import webhooks
from backend.models import WebhookDelivery
from dashboard import common
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
    (changed,) = messages(at, "success")
    assert changed.startswith("Your password has been changed.")
    assert "API tokens are revoked" in changed
    # The person who changed it stays signed in on this page; other sign-ins end.
    at.run()
    assert user.email in texts(at) and "signed out" not in texts(at)
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


def test_webhook_is_set_its_secret_shown_once_rotated_and_removed(runtime):
    user = factories.make_user(runtime)
    other = factories.make_user(runtime)
    with runtime.session() as session:
        session.add(
            WebhookDelivery(
                user_id=user.id,
                event="answer.ready",
                url="https://93.184.216.34/hook",
                status="failed",
                attempts=3,
                response_code=502,
                error="The receiver answered 502.",
            )
        )
        session.add(
            WebhookDelivery(user_id=other.id, event="document.failed", url="https://x.test/")
        )
    at = open_page(user, "account")
    assert "You have no webhook set." in texts(at)
    table = at.dataframe[0].value
    assert list(table.columns) == ["Event", "Status", "Attempts", "Response code", "Error", "Time"]
    assert list(table["Event"]) == ["answer.ready"]
    assert list(table["Response code"]) == [""]  # a failure shows its class, not the code
    assert list(table["Status"]) == ["failed: HTTP 5xx"]
    assert "The receiver answered 502." not in texts(at)

    (url,) = _form_inputs(at, "webhook")
    url.input("http://127.0.0.1:8080/hook")
    [b for b in at.form_submit_button if b.form_id == "webhook"][0].click().run()
    assert any("private or loopback address" in m for m in messages(at, "error"))
    assert not at.code

    (url,) = _form_inputs(at, "webhook")
    url.input("https://93.184.216.34/hook")
    [b for b in at.form_submit_button if b.form_id == "webhook"][0].click().run()
    assert any("Webhook saved." in m for m in messages(at, "success"))
    (first,) = [c.value for c in at.code]
    with runtime.session() as session:
        hook = webhooks.get_webhook(session=session, user=user)
        assert (hook.url, hook.secret) == ("https://93.184.216.34/hook", first)
    assert "Sending to `https://93.184.216.34/hook`" in texts(at)

    at.run()
    assert not at.code
    assert first not in texts(at)

    button(at, "Rotate secret").click().run()
    (second,) = [c.value for c in at.code]
    assert second != first
    with runtime.session() as session:
        assert webhooks.get_webhook(session=session, user=user).secret == second

    button(at, "Remove webhook").click().run()
    assert any("Webhook removed" in m for m in messages(at, "success"))
    assert "You have no webhook set." in texts(at)
    assert list(at.dataframe[0].value["Event"]) == ["answer.ready"]
    with runtime.session() as session, pytest.raises(NotFound):
        webhooks.get_webhook(session=session, user=user)


def test_changing_the_password_gives_this_browser_a_new_session(runtime):
    user = factories.make_user(runtime)
    at = open_page(None)
    email_box, password_box = [w for w in at.text_input if w.form_id == "sign-in"]
    email_box.input(user.email)
    password_box.input(factories.PASSWORD)
    at.form_submit_button[0].click().run()
    first = at.session_state[common.BROWSER_SESSION_KEY]
    at.switch_page("pages/user/account.py").run()

    current, new, again = _form_inputs(at, "change-password")
    current.input(factories.PASSWORD)
    new.input("a brand new secret")
    again.input("a brand new secret")
    at.form_submit_button[0].click().run()
    assert messages(at, "success")[0].startswith("Your password has been changed.")
    second = at.session_state[common.BROWSER_SESSION_KEY]
    assert second != first
    assert any('"/session/start"' in str(el.value) for el in at.get("html"))
    with runtime.session() as session:
        assert not browser_sessions.session_is_live(session=session, token_id=first)
        assert browser_sessions.session_is_live(session=session, token_id=second)
    at.run()
    assert at.session_state["user_id"] == user.id and "signed out" not in texts(at)
