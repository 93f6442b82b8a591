"""Account: the user's profile, password change, and API tokens for the REST API."""

from __future__ import annotations

import html
from datetime import timedelta

import streamlit as st

from backend import tokens, users
from backend.models import ApiToken
from dashboard import common

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
        changed = True
    if changed:
        st.success("Your password has been changed.")


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


st.title("Account")
profile()
password_form()
st.subheader("API tokens")
st.caption("Programs use a token as `Authorization: Bearer <token>` to call the REST API as you.")
new_token_form()
token_list()
