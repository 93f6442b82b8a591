"""My tasks: the user's task ledger with filters; cancel pending or running tasks, retry failed."""

from __future__ import annotations

from datetime import timedelta

import streamlit as st

from backend.ledger import task_records
from backend.ledger.catalog import QUEUE_NAMES
from backend.ledger.task_view import STATE_LABELS, TaskRow, task_row, task_type_filters
from backend.models import utcnow
from dashboard import common, task_table

PERIODS = {"Last 24 hours": 1, "Last 7 days": 7, "Last 30 days": 30, "All time": None}


def filters() -> dict:
    cols = st.columns(4)
    state = cols[0].selectbox(
        "State", [None, *STATE_LABELS], format_func=lambda s: STATE_LABELS.get(s, "Any state")
    )
    types = task_type_filters()
    kind = cols[1].selectbox("Type", ["Any type", *types])
    queue = cols[2].selectbox("Queue", ["Any queue", *QUEUE_NAMES])
    period = cols[3].selectbox("Period", list(PERIODS), index=1)
    days = PERIODS[period]
    return {
        "state": state,
        "name": types.get(kind),
        "queue": None if queue == "Any queue" else queue,
        "since": utcnow() - timedelta(days=days) if days else None,
    }


def load(chosen: dict) -> list[TaskRow]:
    rows: list[TaskRow] = []
    with common.guard(), common.acting_user() as (session, user):
        records = task_records.list_tasks(
            session=session,
            user=user,
            state=chosen["state"],
            queue=chosen["queue"],
            name=chosen["name"],
            since=chosen["since"],
            limit=200,
        )
        rows = [task_row(r) for r in records]
    return rows


def act(action: str, task_id: str, described: str) -> None:
    """Button callback: cancel or retry the task that was on screen when it was clicked."""
    rt = common.runtime()
    with common.guard(later=True), common.acting_user() as (session, user):
        if action == "cancel":
            task_records.cancel_task(session=session, celery=rt.celery, user=user, task_id=task_id)
            common.flash(f"Cancelled {described}.")
        else:
            ref = task_records.retry_task(
                session=session, celery=rt.celery, user=user, task_id=task_id
            )
            common.flash(f"Retrying {described} as task {ref.task_id[:8]}.")


def actions(rows: list[TaskRow]) -> None:
    actionable = [r for r in rows if r.can_cancel or r.can_retry]
    if not actionable:
        return
    st.subheader("Cancel or retry")
    by_id = {r.task_id: r for r in actionable}
    chosen = st.selectbox(
        "Task",
        list(by_id),
        format_func=lambda t: f"{by_id[t].short_id} · {by_id[t].type} · {by_id[t].state_label}",
        key="tasks_selected",
    )
    row = by_id[chosen]
    if row.error:
        st.caption(f"Error: {row.error}")
    described = f"{row.type.lower()} {row.short_id}"
    left, right, _ = st.columns([1, 1, 4])
    left.button(
        "Cancel task",
        icon=":material/cancel:",
        disabled=not row.can_cancel,
        on_click=act,
        args=("cancel", row.task_id, described),
    )
    right.button(
        "Retry task",
        icon=":material/replay:",
        disabled=not row.can_retry,
        on_click=act,
        args=("retry", row.task_id, described),
    )


title, refresh = st.columns([5, 1], vertical_alignment="bottom")
title.title("My tasks")
refresh.button("Refresh", icon=":material/refresh:")
st.caption("Every upload, deletion and question runs as a background task; here is their record.")
chosen = filters()
rows = load(chosen)
if rows:
    task_table.show([task_table.columns(r) for r in rows])
    actions(rows)
else:
    st.info("No tasks match these filters.")
