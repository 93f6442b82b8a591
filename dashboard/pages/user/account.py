"""Account: the user's profile, password change, API tokens for the REST API, and the
completion webhook (URL, signing secret, latest deliveries)."""

from __future__ import annotations

import html
from datetime import timedelta

import pandas as pd
import streamlit as st

from backend.accounts import tokens, users
from backend.errors import NotFound
from backend.ledger import webhooks
from backend.models import ApiToken
from dashboard import common, session_cookie

LIFETIMES = {
    "30 days": timedelta(days=30),
    "90 days": timedelta(days=90),
    "1 year": timedelta(days=365),
    "No expiry": None,
}


def profile() -> None:
    with common.guard(), common.acting_user() as (_session, user):
        common.quiet_line(
            f"<b>{html.escape(user.email)}</b> · {user.role} account · member since "
            f"{common.fmt_time(user.created_at)[:10]}"
        )


def password_form() -> None:
    st.subheader("Change password")
    st.caption("Changing it ends every other sign-in and revokes your API tokens.")
    with st.form("change-password", clear_on_submit=True):
        current = st.text_input("Current password", type="password")
        new = st.text_input("New password", type="password", autocomplete="new-password")
        again = st.text_input("New password again", type="password", autocomplete="new-password")
        sent = st.form_submit_button("Change password")
    if not sent:
        return
    if new != again:
        st.error("The two new passwords differ.")
        return
    changed = False
    with common.guard(), common.acting_user() as (session, user):
        users.change_password(session=session, user=user, current=current, new=new)
        common.remember_credentials(user)  # this session goes on; every other one ends
        changed = True
    if changed:
        with common.guard():
            session_cookie.renew()  # ... and this browser stays signed in across reloads
        st.success(
            "Your password has been changed. Every other sign-in has ended and your API "
            "tokens are revoked: create new ones below."
        )


def new_token_form() -> None:
    with st.form("new-token", clear_on_submit=True):
        left, right = st.columns([3, 1])
        name = left.text_input("Token name", placeholder="e.g. reporting script")
        lifetime = right.selectbox("Expires after", list(LIFETIMES))
        sent = st.form_submit_button("Create token", icon=":material/key:")
    if not sent:
        return
    issued = None
    with common.guard(), common.acting_user() as (session, user):
        issued = tokens.create_token(
            session=session, user=user, name=name, expires_in=LIFETIMES[lifetime]
        )
    if issued is not None:
        # Shown in this run only; the plaintext is never stored, here or in the database.
        st.success(f"Created “{issued.record.name}”. Copy it now: it will not be shown again.")
        st.code(issued.token, language=None)


def revoke(token_id: int, name: str) -> None:
    done = False
    with common.guard(), common.acting_user() as (session, user):
        tokens.revoke_token(session=session, user=user, token_id=token_id)
        done = True
    if done:
        common.flash(f"Revoked “{name}”; programs using it are refused from now on.")
        st.rerun()


def token_list() -> None:
    records: list[ApiToken] = []
    with common.guard(), common.acting_user() as (session, user):
        records = tokens.list_tokens(session=session, user=user)
    if not records:
        st.caption("You have no API tokens.")
        return
    for record in records:
        with st.container(border=True):
            text, button = st.columns([5, 1], vertical_alignment="center")
            expires = common.fmt_time(record.expires_at) or "never"
            used = common.fmt_time(record.last_used_at) or "never"
            text.markdown(f"**{common.plain(record.name)}** · `{record.prefix}…`")
            text.caption(
                f"Created {common.fmt_time(record.created_at)} · expires {expires} · "
                f"last used {used}"
            )
            if button.button("Revoke", key=f"revoke-{record.id}", icon=":material/block:"):
                revoke(record.id, record.name)


def show_secret(secret: str, what: str) -> None:
    # Shown in this run only; later runs never show the secret again.
    st.success(f"{what} Copy the signing secret now: it will not be shown again.")
    st.code(secret, language=None)


def webhook_form() -> None:
    with st.form("webhook", clear_on_submit=True):
        url = st.text_input("Webhook URL", placeholder="https://example.com/hooks/qa")
        sent = st.form_submit_button("Save webhook URL", icon=":material/webhook:")
    if not sent:
        return
    secret = None
    with common.guard(), common.acting_user() as (session, user):
        hook = webhooks.set_webhook(session=session, settings=common.settings(), user=user, url=url)
        secret = hook.secret
    if secret is not None:
        show_secret(secret, "Webhook saved.")


def rotate() -> None:
    secret = None
    with common.guard(), common.acting_user() as (session, user):
        secret = webhooks.rotate_secret(session=session, user=user).secret
    if secret is not None:
        show_secret(secret, "New signing secret made; the old one no longer verifies.")


def remove() -> None:
    done = False
    with common.guard(), common.acting_user() as (session, user):
        webhooks.remove_webhook(session=session, user=user)
        done = True
    if done:
        common.flash("Webhook removed; no more payloads will be sent.")
        st.rerun()


def deliveries_table(rows: list[dict]) -> None:
    if not rows:
        st.caption("No webhook deliveries yet.")
        return
    frame = pd.DataFrame(
        {
            "Event": [r["event"] for r in rows],
            "Status": [r["status"] for r in rows],
            "Attempts": [r["attempts"] for r in rows],
            "Response code": [
                "" if r["response_code"] is None else str(r["response_code"]) for r in rows
            ],
            "Error": [r["error"] or "" for r in rows],
            "Time": [common.fmt_time(r["created_at"]) for r in rows],
        }
    )
    st.dataframe(frame, hide_index=True, width="stretch")


def webhook_section() -> None:
    st.subheader("Webhook")
    st.caption(
        "When your document is processed or your answer is ready, a signed JSON payload is "
        f"posted to this URL; the `{webhooks.SIGNATURE_HEADER}` header carries its signature."
    )
    webhook_form()
    url: str | None = None
    rows: list[dict] = []
    with common.guard(), common.acting_user() as (session, user):
        try:
            url = webhooks.get_webhook(session=session, user=user).url
        except NotFound:
            url = None
        rows = [
            webhooks.delivery_view(d)
            for d in webhooks.list_deliveries(session=session, user=user, limit=20)
        ]
    if url is None:
        st.caption("You have no webhook set.")
    else:
        text, rotate_col, remove_col = st.columns([4, 1, 1], vertical_alignment="center")
        text.markdown(f"Sending to `{url}`")
        if rotate_col.button("Rotate secret", icon=":material/autorenew:"):
            rotate()
        if remove_col.button("Remove webhook", icon=":material/delete:"):
            remove()
    st.markdown("**Latest deliveries**")
    deliveries_table(rows)


st.title("Account")
profile()
password_form()
st.subheader("API tokens")
st.caption("Programs use a token as `Authorization: Bearer <token>` to call the REST API as you.")
new_token_form()
token_list()
webhook_section()
