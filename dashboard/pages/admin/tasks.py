"""Tasks: every user's task ledger, filtered and paginated in SQL; cancel, retry, bulk retry."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import streamlit as st

from backend.ledger import admin_tasks
from backend.ledger.admin_tasks import AdminTaskRow, TaskFilters
from backend.ledger.catalog import QUEUE_NAMES, task_label
from backend.ledger.task_view import STATE_LABELS, TaskRow, task_rows
from backend.models import utcnow
from dashboard import admin_support, common, task_table

PERIODS = {"Last hour": 1 / 24, "Last 24 hours": 1, "Last 7 days": 7, "All time": None}
BULK_KEY = "admin_tasks_bulk_pending"


def filters(names: list[str]) -> TaskFilters:
    top = st.columns(3)
    state = top[0].selectbox(
        "State", [None, *STATE_LABELS], format_func=lambda s: STATE_LABELS.get(s, "Any state")
    )
    queue = top[1].selectbox("Queue", [None, *QUEUE_NAMES], format_func=lambda q: q or "Any queue")
    name = top[2].selectbox(
        "Task", [None, *names], format_func=lambda n: task_label(n) if n else "Any task"
    )
    bottom = st.columns(3)
    email = bottom[0].text_input("User email contains", value=st.query_params.get("user", ""))
    period = bottom[1].selectbox("Period", list(PERIODS), index=2)
    text = bottom[2].text_input("Text in id, arguments or error")
    days = PERIODS[period]
    return TaskFilters(
        state=state,
        queue=queue,
        name=name,
        user_email=email or None,
        since=utcnow() - timedelta(days=days) if days else None,
        text=text or None,
    )


def table(rows: list[AdminTaskRow], views: list[TaskRow]) -> list[dict[str, Any]]:
    links = admin_support.flower()
    return [
        {
            **task_table.columns(view),
            "User": r.user_email or "",
            "Worker": r.record.worker or "",
            "Flower": links.task(r.record.task_id) if links.configured else None,
        }
        for r, view in zip(rows, views, strict=True)
    ]


def listing(rows: list[AdminTaskRow], views: list[TaskRow]) -> None:
    """The page of tasks; the selected one's details and its actions under it."""
    chosen = task_table.pick(
        table(rows, views), [v.task_id for v in views], key="admin_tasks_table"
    )
    if chosen is None:
        st.caption(task_table.SELECT_HINT)
        return
    row, links = views[chosen], admin_support.flower()
    task_table.details(row, user_email=rows[chosen].user_email)
    flower = links.task(row.task_id) if links.configured else None
    task_table.buttons(row, task_table.admin_act, flower_url=flower, admin=True)


def bulk_retry(chosen: TaskFilters, failed: int) -> None:
    def ask() -> None:
        st.session_state[BULK_KEY] = failed

    def confirm(expected: int) -> None:
        st.session_state.pop(BULK_KEY, None)
        rt = common.runtime()
        with common.guard(later=True), common.acting_user() as (session, user):
            refs = admin_tasks.retry_failed(
                session=session, celery=rt.celery, user=user, filters=chosen, expected=expected
            )
            common.flash(f"Retrying {len(refs)} failed tasks.")

    st.subheader("Retry failed tasks")
    if not failed:
        st.caption("No failed task matching these filters is waiting for a retry.")
        return
    st.button(f"Retry {failed} failed tasks…", on_click=ask)
    pending = st.session_state.get(BULK_KEY)
    if pending is not None:
        st.warning(f"Retry {pending} failed tasks matching these filters as new tasks?")
        st.button("Confirm retry", type="primary", on_click=confirm, args=(pending,))


def stuck_section(stuck: list[tuple[AdminTaskRow, str]], views: list[TaskRow]) -> None:
    st.subheader("Stuck tasks")
    settings = common.settings()
    st.caption(
        f"Queued and not started for over {settings.stuck_pending_seconds // 60} minutes, or "
        "started and still running past their queue's time limit."
    )
    if not stuck:
        st.success("Nothing is stuck.")
        return
    shown = table([r for r, _ in stuck], views)
    task_table.show([{**row, "Why": why} for row, (_, why) in zip(shown, stuck, strict=True)])


st.title("Tasks")
st.caption("Every user's tasks from the task ledger; the newest first.")
with common.guard():
    with common.acting_user() as (session, user):
        names = admin_tasks.task_names(session=session, user=user)
    chosen = filters(names)
    page_number = int(st.number_input("Page", min_value=1, value=1, step=1))
    with common.acting_user() as (session, user):
        page = admin_tasks.browse_tasks(
            session=session, user=user, filters=chosen, page=page_number
        )
        failed = admin_tasks.count_failed(session=session, user=user, filters=chosen)
        stuck = admin_tasks.stuck_tasks(session=session, user=user, settings=common.settings())
        records = [r.record for r in page.rows] + [r.record for r, _ in stuck]
        views = task_rows(session=session, records=records)
    shown = len(page.rows)
    st.caption(f"{page.total} tasks match · page {page.page} of {page.pages}")
    if page.rows:
        listing(page.rows, views[:shown])
    else:
        st.info("No tasks match these filters.")
    bulk_retry(chosen, failed)
    stuck_section(stuck, views[shown:])
