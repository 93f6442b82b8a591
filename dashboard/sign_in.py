"""The signed-out view: email and password, single sign-on when configured, optional sign-up."""

from __future__ import annotations

import streamlit as st

from backend.accounts import users
from backend.accounts.external_sign_in import sign_in_verified_email
from backend.accounts.login_throttle import throttled_authenticate
from backend.models import User
from dashboard import common, session_cookie


def oidc_configured() -> bool:
    """Whether an identity provider is set up (an `[auth]` section in secrets.toml)."""
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file at all
        return False


def client_address() -> str:
    """The browser's IP address when known (None on localhost), for per-client throttling."""
    address = st.context.ip_address
    return address if isinstance(address, str) else ""


def _finish(user: User | None) -> None:
    if user is not None:
        common.sign_in_as(user)
        with common.guard():
            session_cookie.remember(user.id)
        st.rerun()


def password_form() -> None:
    rt = common.runtime()
    with st.form("sign-in"):
        email = st.text_input("Email", autocomplete="email")
        password = st.text_input("Password", type="password", autocomplete="current-password")
        sent = st.form_submit_button("Sign in", type="primary", width="stretch")
    if not sent:
        return
    user = None
    with common.guard(), rt.session() as session:
        user = throttled_authenticate(
            session=session,
            redis=rt.redis,
            settings=rt.settings,
            email=email,
            password=password,
            client=client_address(),
        )
    _finish(user)


def single_sign_on() -> None:
    """Map the identity provider's verified email to an account here."""
    if not st.user.is_logged_in:
        st.button("Sign in with single sign-on", on_click=st.login, width="stretch")
        return
    user = None
    with common.guard(), common.runtime().session() as session:
        user = sign_in_verified_email(session=session, email=str(st.user.get("email") or ""))
    if user is None:
        st.button("Use another identity", on_click=st.logout)
    _finish(user)


def sign_up_form() -> None:
    rt = common.runtime()
    with st.form("sign-up"):
        email = st.text_input("Email", autocomplete="email")
        password = st.text_input("Password", type="password", autocomplete="new-password")
        again = st.text_input("Password again", type="password", autocomplete="new-password")
        sent = st.form_submit_button("Create account", width="stretch")
    if not sent:
        return
    if password != again:
        st.error("The two passwords differ.")
        return
    user = None
    with common.guard(), rt.session() as session:
        user = users.create_user(session=session, email=email, password=password)
    _finish(user)


def render() -> None:
    """The sign-in page (the only page while signed out)."""
    _, middle, _ = st.columns([1, 2, 1])
    with middle:
        st.title("QA Service")
        st.caption("Ask questions about your own documents and get answers with their sources.")
        common.show_flash()
        if oidc_configured():
            single_sign_on()
            st.divider()
        if common.settings().allow_signup:
            sign_in_tab, sign_up_tab = st.tabs(["Sign in", "Create an account"])
            with sign_in_tab:
                password_form()
            with sign_up_tab:
                sign_up_form()
        else:
            password_form()
            st.caption("No account yet? Ask an administrator to create one for you.")
