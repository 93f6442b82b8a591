"""A banner on the pages that queue work, naming which part of the service is down."""

from __future__ import annotations

from typing import Any

import streamlit as st

from backend.operations.health import health_report
from dashboard import common

# What a user loses when each system is down; other checks concern operators only.
AFFECTED = {
    "database": common.DATABASE_DOWN,
    "broker": (
        "The task queue is not answering, so new uploads and questions cannot be queued "
        "right now. Try again in a moment."
    ),
    "result_backend": (
        "The result store is not answering, so task states and answers may be late to appear."
    ),
    "workers": (
        "No worker is running right now, so uploads and questions wait in the queue until "
        "one starts."
    ),
}


@st.cache_data(ttl=20, show_spinner=False)
def _checks(services: tuple[str, ...]) -> dict[str, Any]:
    # Shared by every session using the same services for 20 seconds: one round of checks,
    # not one per page view.
    return health_report(rt=common.runtime())["checks"]


def outage_banner() -> None:
    """An error per affected part of the service; nothing when all is well."""
    settings = common.settings()
    checks = _checks((settings.broker_url, settings.result_backend_url, settings.sqlalchemy_url))
    for name, sentence in AFFECTED.items():
        if name in checks and not checks[name]["ok"]:
            st.error(sentence, icon=":material/error:")
