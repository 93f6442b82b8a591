"""Tasks: every user's task ledger, filtered and paginated in SQL; cancel, retry, bulk retry."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import streamlit as st

from backend.ledger import admin_tasks
from backend.ledger.admin_tasks import AdminTaskRow, TaskFilters
from backend.ledger.catalog import QUEUE_NAMES, task_label
from backend.ledger.task_view import STATE_LABELS, task_row
from backend.models import utcnow
from dashboard import admin_support, common, task_table

PERIODS = {"Last hour": 1 / 24, "Last 24 hours": 1, "Last 7 days": 7, "All time": None}
BULK_KEY = "admin_tasks_bulk_pending"
TERMINATE_KEY = "admin_tasks_terminate_pending"


def filters(names: list[str]) -> TaskFilters:
    top = st.columns(3)
    state = top[0].selectbox(
        "State", [None, *STATE_LABELS], format_func=lambda s: STATE_LABELS.get(s, "Any state")
    )
    queue = top[1].selectbox("Queue", [None, *QUEUE_NAMES], format_func=lambda q: q or "Any queue")
    name = top[2].selectbox("Task", [None, *names], format_func=lambda n: n or "Any task")
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


def table(rows: list[AdminTaskRow]) -> list[dict[str, Any]]:
    links = admin_support.flower()
    out = []
    for r in rows:
        shown = task_table.columns(task_row(r.record), full_id=True)
        out.append(
            {
                "Task": shown.pop("Task"),
                "User": r.user_email or "",
                **shown,
                "Worker": r.record.worker or "",
                "Flower": links.task(r.record.task_id) if links.configured else None,
            }
        )
    return out


def act(action: str, task_id: str) -> None:
    """Button callback: cancel or retry one task of any user."""
    rt = common.runtime()
    st.session_state.pop(TERMINATE_KEY, None)
    with common.guard(later=True), common.acting_user() as (session, user):
        if action == "cancel":
            admin_tasks.cancel_task(session=session, celery=rt.celery, user=user, task_id=task_id)
            common.flash(f"Cancelled task {task_id[:8]}.")
        else:
            ref = admin_tasks.retry_task(
                session=session, celery=rt.celery, user=user, task_id=task_id
            )
            common.flash(f"Retrying task {task_id[:8]} as task {ref.task_id[:8]}.")


def single_actions(rows: list[AdminTaskRow]) -> None:
    by_id = {r.record.task_id: r.record for r in rows}
    chosen = st.selectbox(
        "Task to act on",
        list(by_id),
        format_func=lambda t: f"{t[:8]} · {task_label(by_id[t].name)} · {by_id[t].state}",
        key="admin_tasks_selected",
    )
    record = by_id[chosen]
    running = record.state == "STARTED"
    view = task_row(record)  # the same cancel/retry rules as the owner's (STUCK is retryable)
    can_cancel, can_retry = view.can_cancel, view.can_retry
    left, right, _ = st.columns([1, 1, 4])
    if running:
        left.button(
            "Terminate task…",
            on_click=lambda: st.session_state.update({TERMINATE_KEY: chosen}),
        )
    else:
        left.button("Cancel task", disabled=not can_cancel, on_click=act, args=("cancel", chosen))
    right.button("Retry task", disabled=not can_retry, on_click=act, args=("retry", chosen))
    if st.session_state.get(TERMINATE_KEY) == chosen:
        st.warning(f"Terminate running task {chosen[:8]}? Its worker process is sent SIGTERM.")
        st.button("Confirm terminate", type="primary", on_click=act, args=("cancel", chosen))


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


def stuck_section() -> None:
    st.subheader("Stuck tasks")
    settings = common.settings()
    st.caption(
        f"Queued and not started for over {settings.stuck_pending_seconds // 60} minutes, or "
        "started and still running past their queue's time limit."
    )
    with common.acting_user() as (session, user):
        stuck = admin_tasks.stuck_tasks(session=session, user=user, settings=settings)
        if not stuck:
            st.success("Nothing is stuck.")
            return
        shown = [
            {"Task": row.pop("Task"), "Why": why, **row}
            for row, (_, why) in zip(table([r for r, _ in stuck]), stuck, strict=True)
        ]
    task_table.show(shown)


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
        rows = page.rows
    st.caption(f"{page.total} tasks match · page {page.page} of {page.pages}")
    if rows:
        task_table.show(table(rows))
        single_actions(rows)
    else:
        st.info("No tasks match these filters.")
    bulk_retry(chosen, failed)
with common.guard():
    stuck_section()
