"""What the administration pages share: cached loads keyed by the acting admin, Flower links,
and the banner of open admin notices shown to admins on every page."""

from __future__ import annotations

import streamlit as st

from backend.operations import admin_ops, maintenance
from backend.operations.broker import QueuesReport
from backend.operations.flower import FlowerLinks
from dashboard import common

REFRESH_CHOICES = {"5 seconds": 5, "15 seconds": 15, "1 minute": 60, "Off": None}


def flower() -> FlowerLinks:
    return FlowerLinks.from_url(common.settings().flower_url)


def refresh_interval(key: str) -> int | None:
    """A selectable auto-refresh interval for the page's live panels."""
    label = st.selectbox("Refresh every", list(REFRESH_CHOICES), index=1, key=key)
    return REFRESH_CHOICES[label]


def broker_key() -> str:
    """Cache key part that tells one broker from another (tests and multi-stack hosts)."""
    return common.runtime().settings.broker_url


@st.cache_data(ttl=3, show_spinner=False)
def queues(user_id: int, broker: str) -> QueuesReport:
    with common.acting_user() as (_, user):
        rt = common.runtime()
        return admin_ops.queues(celery=rt.celery, user=user, cache=rt.redis)


@st.cache_data(ttl=3, show_spinner=False)
def workers(user_id: int, broker: str) -> admin_ops.WorkersOverview:
    rt = common.runtime()
    with common.acting_user() as (_, user):
        return admin_ops.workers(celery=rt.celery, cache=rt.redis, user=user)


@st.cache_data(ttl=30, show_spinner=False)
def open_notice_messages(database: str) -> list[str]:
    """Open admin notices (no worker answering, a queue over its threshold), newest first."""
    with common.runtime().session() as session:
        return [notice.message for notice in maintenance.open_notices(session=session)]


def notice_banner() -> None:
    """A warning listing the open admin notices; the caller shows it to admins only."""
    with common.guard():
        notices = open_notice_messages(common.settings().sqlalchemy_url)
        if notices:
            lines = "\n".join(f"- {common.plain(message)}" for message in notices)
            st.warning(f"**Admin notices**\n\n{lines}", icon=":material/warning:")
