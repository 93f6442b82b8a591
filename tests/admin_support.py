"""Helpers for the administration pages' AppTest tests."""

from __future__ import annotations

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from backend.models import User
from tests.test_dashboard_support import APP, TIMEOUT


def open_admin_page(user: User, page: str) -> AppTest:
    """The app run as `user` (signed in through session state), switched to an admin page."""
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.session_state["user_id"] = user.id
    at.run()
    at.switch_page(f"pages/admin/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.fixture(autouse=True)
def fresh_caches():
    """Ids restart with every wiped table, so a cached answer must not outlive its test."""
    st.cache_data.clear()
    yield
    st.cache_data.clear()
