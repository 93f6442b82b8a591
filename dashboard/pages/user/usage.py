"""My usage: questions, documents, tasks and answer latency over a chosen period."""

from __future__ import annotations

from typing import Any

import pandas as pd
import plotly.express as px
import streamlit as st

from backend.ledger.catalog import task_label
from backend.ledger.task_view import state_label
from backend.operations import maintenance
from backend.reports import usage
from backend.reports.export import report_csv
from dashboard import common, task_table

DAY_MS = 86_400_000
PERIODS = {"7 days": 7, "30 days": 30, "90 days": 90}


def load(days: int) -> dict[str, Any] | None:
    with common.guard(), common.acting_user() as (session, user):
        return usage.user_report(session=session, user=user, days=days)
    return None


def outcomes(figures: dict[str, int]) -> str:
    """What became of the questions, in words that cannot overlap: "8 answered, 2 with no
    answer found" (a question with no answer found was replied to, but not answered)."""
    not_found = figures["not_found"]
    answered = figures["answered"] - not_found  # replied to, minus "no answer found"
    waiting = figures["questions"] - figures["answered"]
    text = f"{answered} answered, {not_found} with no answer found"
    return text + (f", {waiting} not answered (waiting or failed)" if waiting else "")


def totals(figures: dict[str, int]) -> None:
    row = st.columns(3)
    row[0].metric(
        "Questions",
        figures["questions"],
        delta=outcomes(figures),
        delta_color="off",
        delta_arrow="off",
    )
    row[1].metric("Tasks", figures["tasks"])
    row[2].metric("Task failures", figures["task_failures"])
    row = st.columns(3)
    row[0].metric("Documents uploaded", figures["documents_uploaded"])
    row[1].metric("Documents ready", figures["documents_ready"])
    row[2].metric("Documents failed", figures["documents_failed"])


def period_range(report: dict[str, Any]) -> list[str]:
    """The whole period on the date axis, so days without tasks still take their place."""
    days = [row["date"] for row in report["questions_per_day"]]
    first, last = pd.Timestamp(days[0]), pd.Timestamp(days[-1])
    half = pd.Timedelta(hours=12)
    return [str(first - half), str(last + half)]


def daily_bar(rows: list[dict], title: str, colour: str) -> None:
    frame = pd.DataFrame(rows)
    fig = px.bar(frame, x="date", y="count", title=title, color_discrete_sequence=[colour])
    fig.update_layout(xaxis_title=None, yaxis_title=None, height=300, bargap=0.2)
    st.plotly_chart(fig, width="stretch")


def task_charts(report: dict[str, Any]) -> None:
    left, right = st.columns(2)
    per_day = pd.DataFrame(report["tasks_per_day"], columns=["date", "state", "count"])
    per_day["state"] = per_day["state"].map(state_label)
    fig = px.bar(per_day, x="date", y="count", title="Tasks per day", **task_table.chart_colours())
    fig.update_layout(xaxis_title=None, yaxis_title=None, height=320, legend_title=None)
    fig.update_xaxes(type="date", range=period_range(report))
    fig.update_traces(width=0.8 * DAY_MS)
    left.plotly_chart(fig, width="stretch")
    states = pd.DataFrame(
        [{"state": state_label(k), "count": v} for k, v in report["tasks_by_state"].items()]
    )
    if states.empty:
        right.caption("No tasks in this period.")
        return
    fig = px.pie(
        states,
        names="state",
        values="count",
        title="Task states",
        hole=0.45,
        **task_table.chart_colours(),
    )
    fig.update_layout(height=320, legend_title=None)
    right.plotly_chart(fig, width="stretch")


def latency_chart(latency: dict[str, float | None]) -> None:
    points = [
        {"figure": name, "seconds": value / 1000}
        for name, value in latency.items()
        if value is not None
    ]
    if not points:
        st.caption("No answered questions in this period, so no latency figures.")
        return
    fig = px.bar(
        pd.DataFrame(points),
        x="figure",
        y="seconds",
        text_auto=".2f",
        title="Answer latency (seconds from asking to answer)",
        color_discrete_sequence=["#2f6fde"],
    )
    fig.update_layout(xaxis_title=None, yaxis_title=None, height=300)
    st.plotly_chart(fig, width="stretch")


def failures(rows: list[dict]) -> None:
    if not rows:
        return
    st.subheader("Recent failures")
    frame = pd.DataFrame(
        {
            "Task": [r["task_id"][:8] for r in rows],
            "Type": [task_label(r["name"]) for r in rows],
            "Error": [r["error"] or "" for r in rows],
        }
    )
    st.dataframe(frame, hide_index=True, width="stretch")


def load_daily_reports(limit: int = 10) -> list[dict[str, Any]]:
    with common.guard(), common.acting_user() as (session, user):
        stored = maintenance.stored_reports(session=session, user=user, limit=60)
        return [dict(r.data, day=r.day.isoformat()) for r in stored if r.kind == "daily"][:limit]
    return []


def daily_reports(rows: list[dict[str, Any]]) -> None:
    st.subheader("Daily reports")
    if not rows:
        st.caption("No daily reports stored yet; one is made each night for the day before.")
        return
    latency = [r.get("avg_latency_ms") for r in rows]
    frame = pd.DataFrame(
        {
            "Day": [r["day"] for r in rows],
            "Questions": [r.get("questions", 0) for r in rows],
            "Answered": [r.get("answered", 0) for r in rows],
            "Documents uploaded": [r.get("documents_uploaded", 0) for r in rows],
            "Tasks": [r.get("tasks", 0) for r in rows],
            "Failed tasks": [r.get("failed_tasks", 0) for r in rows],
            "Average latency (s)": ["" if ms is None else f"{ms / 1000:.2f}" for ms in latency],
        }
    )
    st.dataframe(frame, hide_index=True, width="stretch")


title, period = st.columns([4, 1], vertical_alignment="bottom")
title.title("My usage")
days = PERIODS[period.selectbox("Period", list(PERIODS), index=1)]
report = load(days)
if report is not None:
    totals(report["totals"])
    left, right = st.columns(2)
    with left:
        daily_bar(report["questions_per_day"], "Questions per day", "#2f6fde")
    with right:
        daily_bar(report["documents_per_day"], "Documents uploaded per day", "#2e9e5b")
    task_charts(report)
    latency_chart(report["latency_ms"])
    failures(report["failures"])
    st.download_button(
        "Download CSV",
        report_csv(report),
        file_name=f"usage-{days}-days.csv",
        mime="text/csv",
        icon=":material/download:",
    )
daily_reports(load_daily_reports())
