"""The dashboard script. Served by `streamlit run dashboard/server.py`, which adds the
session cookie's routes; `streamlit run dashboard/app.py` alone works too, but then a reload
signs the user out.

Signs the user in (or back in, from the browser's session cookie), then builds the navigation
from their role: every active account gets the "Workspace" section; admins also get
"Administration". While signed out every page's address shows the sign-in form, so a link
opens its page after signing in. Pages call `backend/` services directly.
"""

from __future__ import annotations

import html
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import streamlit as st  # noqa: E402

from backend.models import User  # noqa: E402
from dashboard import admin_support, common, navigation, session_cookie, sign_in  # noqa: E402

st.set_page_config(page_title="QA Service", page_icon=":material/quiz:", layout="wide")


def account_box(email: str, role: str) -> None:
    with st.sidebar:
        common.quiet_line(f"Signed in as <b>{html.escape(email)}</b> ({role})")
        if st.button("Sign out", icon=":material/logout:", width="stretch"):
            session_cookie.sign_out()
            if sign_in.oidc_configured() and st.user.is_logged_in:
                st.logout()
            st.rerun()


def signed_in_user() -> User | None:
    """This tab's account, else the one its browser's session cookie holds; None when signed
    out (a tab signed out just now also clears the cookie)."""
    was_signed_in = common.signed_in_id() is not None
    user = common.current_user()
    if user is None and was_signed_in:
        session_cookie.forget()
    elif user is None:
        user = session_cookie.restore()
    return user


def not_for_you() -> None:
    """An address of a section this account may not open: its default page instead."""
    common.flash("That page is for administrators; here is your workspace.", "info")
    st.switch_page(navigation.page_path("ask"))


def main() -> None:
    try:
        user = signed_in_user()
    except common.DB_OUTAGES:
        common.log.warning("database unavailable", exc_info=True)
        st.error(common.DATABASE_DOWN, icon=":material/database:")
        st.stop()
    if user is None:
        current = st.navigation(navigation.signed_out_pages(sign_in.render), position="hidden")
        current.run()
        session_cookie.send_pending()
        return
    sections = navigation.pages_for(user)
    next(iter(sections.values())).extend(navigation.out_of_reach(user, not_for_you))
    current = st.navigation(sections)
    account_box(user.email, user.role)
    common.show_flash()
    if user.is_admin:
        admin_support.notice_banner()
    with common.guard():
        current.run()
    with st.sidebar:
        session_cookie.send_pending()


main()
