"""The browser's side of a sign-in: an HTTP-only session cookie set and cleared through the
dashboard server's /session/ routes, so a reload or a new tab stays signed in.

The script never puts the session token in the page: it hands the page a one-time ticket,
which the page trades for the cookie (`backend/accounts/browser_sessions.py`). Without Redis
the ticket cannot be stored; the tab stays signed in, only reloads sign out again.
"""

from __future__ import annotations

import json

import redis
import streamlit as st

from backend.accounts import browser_sessions
from backend.errors import AuthenticationFailed
from backend.models import User
from dashboard import common

PENDING_KEY = "session_cookie_request"  # the request the page makes on the next run
CHECKED_KEY = "session_cookie_checked"  # this tab already looked at its cookie


def remember(user_id: int) -> None:
    """Give this tab's new sign-in a session its browser keeps (after `common.sign_in_as`,
    or after a password change, which ended the previous one)."""
    rt = common.runtime()
    with rt.session() as session:
        user = session.get(User, user_id)
        if user is None:
            return
        issued = browser_sessions.start_session(session=session, settings=rt.settings, user=user)
        token_id = issued.record.id
    st.session_state[common.BROWSER_SESSION_KEY] = token_id
    try:
        ticket = browser_sessions.issue_ticket(redis=rt.redis, token=issued.token)
    except redis.RedisError:
        common.log.warning("Redis unavailable: this sign-in lasts until a reload", exc_info=True)
        return
    st.session_state[PENDING_KEY] = ("start", ticket)


def renew() -> None:
    """After this tab's own password change (which ended every session, this one's too):
    a new session for the browser, when the tab had one."""
    user_id = common.signed_in_id()
    if user_id is not None and st.session_state.get(common.BROWSER_SESSION_KEY) is not None:
        remember(user_id)


def restore() -> User | None:
    """Sign this tab in with the session its browser's cookie holds, once per tab."""
    if st.session_state.get(CHECKED_KEY):
        return None
    token = st.context.cookies.get(browser_sessions.COOKIE_NAME)
    if not isinstance(token, str) or not token:  # none sent (or no browser, as in AppTest)
        st.session_state[CHECKED_KEY] = True
        return None
    # A database outage raises from here and the next run looks at the cookie again.
    try:
        with common.runtime().session() as session:
            record, user = browser_sessions.resume_session(session=session, token=token)
            token_id = record.id
    except AuthenticationFailed as refused:
        common.flash(refused.message, "warning")
        forget()
        return None
    common.sign_in_as(user)
    st.session_state[common.BROWSER_SESSION_KEY] = token_id
    return user


def sign_out() -> None:
    """End this browser's session (server-side first, then its cookie) and the tab's."""
    token_id = st.session_state.get(common.BROWSER_SESSION_KEY)
    if token_id is not None:
        with common.guard(later=True), common.runtime().session() as session:
            browser_sessions.end_session(session=session, token_id=int(token_id))
    common.sign_out()
    forget()


def forget() -> None:
    """The tab is signed out: clear the browser's cookie and do not look at it again."""
    st.session_state[CHECKED_KEY] = True
    st.session_state[PENDING_KEY] = ("end", "")


def send_pending() -> None:
    """Make the page's pending request to the session routes, once."""
    pending = st.session_state.pop(PENDING_KEY, None)
    if pending is None:
        return
    action, ticket = pending
    options = {"method": "POST", "credentials": "same-origin", "keepalive": True}
    if action == "start":
        options |= {"body": ticket, "headers": {"Content-Type": "text/plain"}}
    script = f"fetch({json.dumps(f'/session/{action}')}, {json.dumps(options)});"
    st.html(f"<script>{script}</script>", unsafe_allow_javascript=True, width="content")
