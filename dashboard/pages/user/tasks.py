"""My tasks: the user's task ledger with filters; cancel pending or running tasks, retry failed."""

from __future__ import annotations

from datetime import timedelta

import streamlit as st

from backend.ledger import task_records
from backend.ledger.catalog import QUEUE_NAMES
from backend.ledger.task_view import STATE_LABELS, TaskRow, task_rows, task_type_filters
from backend.models import utcnow
from dashboard import admin_support, common, task_table

PERIODS = {"Last 24 hours": 1, "Last 7 days": 7, "Last 30 days": 30, "All time": None}
SELECT_HINT = "Select a row to see the task's details and cancel or retry it."


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


def load(chosen: dict) -> tuple[list[TaskRow], bool]:
    """The matching tasks, each saying what it was for, and whether the user is an admin."""
    rows: list[TaskRow] = []
    admin = False
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
        rows = task_rows(session=session, records=records)
        admin = user.is_admin
    return rows, admin


def act(action: str, task_id: str, described: str) -> None:
    """Button callback: cancel or retry the task that was selected when it was clicked."""
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


def listing(rows: list[TaskRow], admin: bool) -> None:
    chosen = task_table.pick(
        [task_table.columns(r) for r in rows], [r.task_id for r in rows], key="tasks_table"
    )
    if chosen is None:
        st.caption(task_table.SELECT_HINT if admin else SELECT_HINT)
        return
    row = rows[chosen]
    task_table.details(row)
    links = admin_support.flower() if admin else None
    flower = links.task(row.task_id) if links is not None and links.configured else None
    task_table.buttons(row, act, flower_url=flower)


title, refresh = st.columns([5, 1], vertical_alignment="bottom")
title.title("My tasks")
refresh.button("Refresh", icon=":material/refresh:")
st.caption("Every upload, deletion and question runs as a background task; here is their record.")
chosen = filters()
rows, admin = load(chosen)
if rows:
    listing(rows, admin)
else:
    st.info("No tasks match these filters.")
