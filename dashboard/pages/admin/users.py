"""Users & analytics: per-user usage, activity chart, create accounts, reset, role, active flag."""

from __future__ import annotations

import pandas as pd
import plotly.express as px
import streamlit as st

from backend import admin_users
from backend.models import Role
from dashboard import common

PERIODS = {"Last 7 days": 7, "Last 30 days": 30, "Last 90 days": 90}
ROLES = [r.value for r in Role]
RESET_KEY = "admin_users_new_password"


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
        left.plotly_chart(
            px.bar(
                pd.DataFrame(per_day), x="date", y="count", color="state", title="Tasks per day"
            ),
            width="stretch",
        )
    top = frame.sort_values("Tasks", ascending=False).head(10)
    if not top.empty and top["Tasks"].sum():
        right.plotly_chart(
            px.bar(top, x="Email", y="Tasks", title="Top users by tasks"), width="stretch"
        )


def create_form() -> None:
    with st.form("create_user", clear_on_submit=True):
        st.subheader("Create an account")
        email = st.text_input("Email")
        password = st.text_input("Password", type="password")
        role = st.selectbox("Role", ROLES)
        if st.form_submit_button("Create account"):
            with common.guard(), common.acting_user() as (session, user):
                made = admin_users.create_account(
                    session=session, user=user, email=email, password=password, role=role
                )
                st.success(f"Created {made.email} ({made.role}).")


def change(action: str, user_id: int, value: str | bool | None = None) -> None:
    """Button callback: one audited change to an account."""
    with common.guard(later=True), common.acting_user() as (session, user):
        if action == "role":
            target = admin_users.set_role(
                session=session, user=user, user_id=user_id, role=str(value)
            )
            common.flash(f"{target.email} is now {target.role}.")
        elif action == "active":
            target = admin_users.set_active(
                session=session, user=user, user_id=user_id, active=bool(value)
            )
            state = "active" if target.is_active else "deactivated"
            common.flash(f"{target.email} is now {state}.")
        else:
            password = admin_users.reset_password(session=session, user=user, user_id=user_id)
            st.session_state[RESET_KEY] = password


def manage(rows: list[dict]) -> None:
    st.subheader("Manage an account")
    by_id = {r["id"]: r for r in rows}
    chosen = st.selectbox(
        "Account", list(by_id), format_func=lambda i: by_id[i]["email"], key="admin_users_pick"
    )
    row = by_id[chosen]
    cols = st.columns([2, 1, 1, 1], vertical_alignment="bottom")
    role = cols[0].selectbox("Role", ROLES, index=ROLES.index(row["role"]), key="admin_users_role")
    cols[1].button("Set role", on_click=change, args=("role", chosen, role))
    cols[2].button(
        "Deactivate" if row["active"] else "Activate",
        on_click=change,
        args=("active", chosen, not row["active"]),
    )
    cols[3].button("Reset password", on_click=change, args=("reset", chosen))
    password = st.session_state.pop(RESET_KEY, None)
    if password:
        st.success(f"New password for {row['email']} (shown once): {password}")


st.title("Users & analytics")
period = st.selectbox("Period", list(PERIODS), index=1)
with common.guard():
    with common.acting_user() as (session, user):
        rows = admin_users.usage_by_user(session=session, user=user, days=PERIODS[period])
        per_day = admin_users.tasks_per_day(session=session, user=user, days=PERIODS[period])
    frame = usage_frame(rows)
    st.dataframe(frame, hide_index=True, width="stretch")
    st.download_button(
        "Download CSV",
        frame.to_csv(index=False),
        file_name="usage-by-user.csv",
        mime="text/csv",
        icon=":material/download:",
    )
    charts(frame, per_day)
    manage(rows)
create_form()
