"""Dashboard entry point: `streamlit run dashboard/app.py`.

Signs the user in, then builds the navigation from their role: every active account gets the
"Workspace" section; admins also get "Administration". Pages call `backend/` services directly.
"""

from __future__ import annotations

import html
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import streamlit as st  # noqa: E402

from dashboard import admin_support, common, navigation, sign_in  # noqa: E402

st.set_page_config(page_title="QA Service", page_icon=":material/quiz:", layout="wide")


def account_box(email: str, role: str) -> None:
    with st.sidebar:
        common.quiet_line(f"Signed in as <b>{html.escape(email)}</b> ({role})")
        if st.button("Sign out", icon=":material/logout:", width="stretch"):
            common.sign_out()
            if sign_in.oidc_configured() and st.user.is_logged_in:
                st.logout()
            st.rerun()


def main() -> None:
    try:
        user = common.current_user()
    except common.DB_OUTAGES:
        common.log.warning("database unavailable", exc_info=True)
        st.error(common.DATABASE_DOWN, icon=":material/database:")
        st.stop()
    if user is None:
        page = st.Page(sign_in.render, title="Sign in", icon=":material/login:", url_path="sign-in")
        st.navigation([page], position="hidden").run()
        return
    current = st.navigation(navigation.pages_for(user))
    account_box(user.email, user.role)
    common.show_flash()
    if user.is_admin:
        admin_support.notice_banner()
    with common.guard():
        current.run()


main()
