"""What the administration pages share: cached loads keyed by the acting admin, Flower links."""

from __future__ import annotations

import streamlit as st

from backend import admin_ops
from backend.flower import FlowerLinks
from backend.operations import QueuesReport
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
        return admin_ops.queues(celery=common.runtime().celery, user=user)


@st.cache_data(ttl=3, show_spinner=False)
def workers(user_id: int, broker: str) -> admin_ops.WorkersOverview:
    rt = common.runtime()
    with common.acting_user() as (_, user):
        return admin_ops.workers(celery=rt.celery, cache=rt.redis, user=user)
