"""Users & analytics: per-user usage, activity and top-user charts, CSV export, create an
account; each account opens on its own detail page."""

from __future__ import annotations

import pandas as pd
import plotly.express as px
import streamlit as st

from backend.accounts import admin_users
from backend.models import Role
from dashboard import common, navigation, task_table

PERIODS = {"Last 7 days": 7, "Last 30 days": 30, "Last 90 days": 90}
ROLES = [r.value for r in Role]


def usage_frame(rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "Email": r["email"],
                "Role": r["role"],
                "Active": r["active"],
                "Documents": r["documents"],
                "Questions": r["questions"],
                "Tasks": r["tasks"],
                "Failed": r["failed"],
                "Failure rate": round(r["failure_rate"] * 100, 1),
                "Latency p50 (ms)": r["latency_p50_ms"],
                "Latency p95 (ms)": r["latency_p95_ms"],
                "Last active": common.fmt_short_time(r["last_active"]),
            }
            for r in rows
        ]
    )


def charts(frame: pd.DataFrame, per_day: list[dict]) -> None:
    left, right = st.columns(2)
    if per_day:
        left.plotly_chart(task_table.tasks_per_day_figure(per_day), width="stretch")
    top = frame.sort_values("Tasks", ascending=False).head(10)
    if not top.empty and top["Tasks"].sum():
        right.plotly_chart(
            px.bar(top, x="Email", y="Tasks", title="Top users by tasks"), width="stretch"
        )


NEW_ACCOUNT_KEYS = ("create_user_email", "create_user_password", "create_user_role")


def create_account() -> None:
    """Create the account typed in the form; the fields are emptied only once it exists, so a
    refusal keeps what was typed. Runs before the page is drawn, so the table shows it."""
    email, password, role = (st.session_state.get(key) for key in NEW_ACCOUNT_KEYS)
    created = ""
    with common.guard(later=True), common.acting_user() as (session, user):
        made = admin_users.create_account(
            session=session,
            user=user,
            email=email or "",
            password=password or "",
            role=role or ROLES[0],
        )
        created = f"Created {made.email} ({made.role})."
    if created:
        common.flash(created)
        for key, empty in zip(NEW_ACCOUNT_KEYS, ("", "", ROLES[0]), strict=True):
            st.session_state[key] = empty


def create_form() -> None:
    with st.form("create_user"):
        st.subheader("Create an account")
        st.text_input("Email", key=NEW_ACCOUNT_KEYS[0])
        st.text_input("Password", type="password", key=NEW_ACCOUNT_KEYS[1])
        st.selectbox("Role", ROLES, key=NEW_ACCOUNT_KEYS[2])
        st.form_submit_button("Create account", on_click=create_account)


def open_account(rows: list[dict]) -> None:
    """Pick an account and open its detail page (usage, tasks, documents, controls)."""
    st.subheader("Open an account")
    by_id = {r["id"]: r for r in rows}
    cols = st.columns([3, 1], vertical_alignment="bottom")
    chosen = cols[0].selectbox(
        "Account", list(by_id), format_func=lambda i: by_id[i]["email"], key="admin_users_pick"
    )
    if chosen is not None:
        cols[1].page_link(
            navigation.page_path("admin-user"),
            label="Details and controls",
            icon=":material/person:",
            query_params={"user": str(chosen)},
        )


st.title("Users & analytics")
period = st.selectbox("Period", list(PERIODS), index=1)
with common.guard():
    with common.acting_user() as (session, user):
        rows = admin_users.usage_by_user(session=session, user=user, days=PERIODS[period])
        per_day = admin_users.tasks_per_day(session=session, user=user, days=PERIODS[period])
    frame = usage_frame(rows)
    st.dataframe(
        frame,
        hide_index=True,
        width="stretch",
        column_config={"Failure rate": st.column_config.NumberColumn(format="%.1f %%")},
    )
    st.download_button(
        "Download CSV",
        frame.to_csv(index=False),
        file_name="usage-by-user.csv",
        mime="text/csv",
        icon=":material/download:",
    )
    charts(frame, per_day)
    open_account(rows)
create_form()
