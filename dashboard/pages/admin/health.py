"""System health: every dependency green or red with the reason."""

from __future__ import annotations

import streamlit as st

from backend.operations import admin_ops
from dashboard import admin_support, common

NAMES = {
    "database": "Database",
    "broker": "Broker",
    "result_backend": "Result backend",
    "vector_store": "Vector store",
    "beat": "Beat (scheduler)",
    "workers": "Workers",
    "flower": "Flower",
    "upload_store": "Upload store disk",
}


@st.cache_data(ttl=5, show_spinner=False)
def report(user_id: int, broker: str) -> dict:
    with common.acting_user() as (_, user):
        return admin_ops.system_health(rt=common.runtime(), user=user)


def panel() -> None:
    with common.guard():
        result = report(common.signed_in_id() or 0, admin_support.broker_key())
        if result["ok"]:
            st.success("Every system answers.", icon=":material/check_circle:")
        else:
            st.error("Some systems need attention.", icon=":material/error:")
        for name, check in result["checks"].items():
            label = NAMES.get(name, name)
            if check["ok"]:
                st.success(f"**{label}**: {check['detail']}")
            else:
                st.error(f"**{label}**: {check['detail']}")
        st.caption(f"Checked at {common.fmt_moment(result['checked_at'])}")


title, interval_box = st.columns([4, 1], vertical_alignment="bottom")
title.title("System health")
with interval_box:
    interval = admin_support.refresh_interval("health_refresh")
st.fragment(run_every=interval)(panel)()
