"""The dashboard server: `streamlit run dashboard/server.py` (same flags as before).

Serves the Streamlit app in dashboard/app.py plus the session cookie's two routes on the
same origin (dashboard/session_routes.py), so a sign-in survives reloads and new tabs.
"""

from __future__ import annotations

import sys
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import streamlit as st  # noqa: E402
from streamlit.runtime.pages_manager import PagesManager  # noqa: E402

from backend.config import get_settings  # noqa: E402
from backend.runtime import Runtime, build_runtime  # noqa: E402
from dashboard.session_routes import session_routes  # noqa: E402

# The pages are declared with st.navigation; dashboard/pages/ only holds their files. Without
# this, the first run after a start treats that folder as Streamlit's old pages directory and
# answers a link to any page with "Page not found".
PagesManager.uses_pages_directory = False


@cache
def routes_runtime() -> Runtime:
    """The routes' clients, built on the first request (the pages keep their own)."""
    return build_runtime(get_settings())


app = st.App(Path(__file__).resolve().parent / "app.py", routes=session_routes(routes_runtime))
