"""The task table every page shows (My tasks, All tasks, a user's detail): one set of columns
from `backend.ledger.task_view.TaskRow`, the extra columns a page adds, widths that keep the
important columns inside a 1280 px window, a selectable row and the selected task's details.

Also the one colour per task state that every chart of tasks uses.
"""

from __future__ import annotations

import hashlib
import html
from collections.abc import Callable, Sequence
from typing import Any

import pandas as pd
import streamlit as st

from backend.ledger import admin_tasks
from backend.ledger.task_view import STATE_LABELS, TaskRow
from dashboard import common

Act = Callable[[str, str, str], None]  # (action, task id, how the task is described)
TERMINATE_KEY = "task_terminate_pending"

# One colour per state, by the words the tables say (`task_view.STATE_LABELS`).
STATE_COLOURS = {
    "queued": "#f0b429",
    "running": "#2f6fde",
    "retrying": "#b26edb",
    "stuck": "#e8710a",
    "succeeded": "#2e9e5b",
    "failed": "#d64545",
    "cancelled": "#8c8c8c",
}
STATE_ORDER = list(STATE_LABELS.values())

# Display order: what the task was, whose, where it stands, why it failed and the Flower link
# first (they fit in a 1280 px window beside the sidebar); the rest is scrolled to, and is in
# the selected row's details too.
ORDER = (
    "Task",
    "What",
    "User",
    "Why",
    "State",
    "Queued",
    "Error",
    "Flower",
    "Type",
    "Queue",
    "Started",
    "Finished",
    "Runtime (s)",
    "Retries",
    "Worker",
)
WIDTHS: dict[str, int] = {
    "Task": 76,
    "What": 180,
    "User": 140,
    "Why": 220,
    "State": 76,
    "Queued": 104,
    "Error": 120,
    "Flower": 56,
    "Type": 120,
    "Queue": 140,
    "Started": 104,
    "Finished": 104,
    "Runtime (s)": 90,
    "Retries": 60,
    "Worker": 200,
}
SELECT_HINT = "Select a row to see the task's details and cancel, retry or open it in Flower."


def columns(row: TaskRow) -> dict[str, Any]:
    """The shared columns of one task (a page adds User, Flower, Worker...)."""
    return {
        "Task": row.short_id,
        "What": row.subject,
        "State": row.state_label,
        "Queued": common.fmt_short_time(row.queued_at),
        "Error": row.error or "",
        "Type": row.type,
        "Queue": row.queue,
        "Started": common.fmt_short_time(row.started_at),
        "Finished": common.fmt_short_time(row.finished_at),
        "Runtime (s)": row.runtime_s,
        "Retries": row.retries,
    }


def _frame(rows: list[dict[str, Any]]) -> tuple[pd.DataFrame, dict[str, Any]]:
    frame = pd.DataFrame(rows)
    known = [name for name in ORDER if name in frame.columns]
    frame = frame[known + [name for name in frame.columns if name not in ORDER]]
    config: dict[str, Any] = {
        name: st.column_config.Column(name, width=WIDTHS[name]) for name in known
    }
    config["Flower"] = st.column_config.LinkColumn(
        "Flower", width=WIDTHS["Flower"], display_text="open"
    )
    config["Runtime (s)"] = st.column_config.NumberColumn(
        "Runtime (s)", width=WIDTHS["Runtime (s)"], format="%.2f"
    )
    return frame, {k: v for k, v in config.items() if k in frame.columns}


def show(rows: list[dict[str, Any]]) -> None:
    """The table, to read only."""
    frame, config = _frame(rows)
    st.dataframe(frame, hide_index=True, width="stretch", column_config=config)


def pick(rows: list[dict[str, Any]], task_ids: Sequence[str], *, key: str) -> int | None:
    """The table with one selectable row; the position of the selected row, if any.

    The selection belongs to this exact list of tasks: when a task is added or the page
    changes, nothing is selected rather than whichever task moved into the selected place."""
    frame, config = _frame(rows)
    digest = hashlib.sha1("\n".join(task_ids).encode()).hexdigest()[:12]
    event = st.dataframe(
        frame,
        hide_index=True,
        width="stretch",
        column_config=config,
        key=f"{key}_{digest}",
        on_select="rerun",
        selection_mode="single-row",
    )
    chosen = [i for i in event.selection.rows if 0 <= i < len(rows)]
    return chosen[0] if chosen else None


def details(row: TaskRow, *, user_email: str | None = None) -> None:
    """Everything about the selected task: what it was for, its times and its whole error.

    As HTML, escaped: markdown would turn the emails in it into mail links."""
    what = f" · {_text(row.subject)}" if row.subject else ""
    st.html(f"<div><b>{_text(row.type)}</b>{what} · {row.state_label}</div>")
    facts = [f"Task {row.task_id}"]
    if user_email:
        facts.append(f"user {user_email}")
    if row.queue:
        facts.append(f"queue {row.queue}")
    facts.append(f"queued {common.fmt_time(row.queued_at)}")
    if row.started_at:
        facts.append(f"started {common.fmt_time(row.started_at)}")
    if row.finished_at:
        facts.append(f"finished {common.fmt_time(row.finished_at)}")
    if row.runtime_s is not None:
        facts.append(f"ran {row.runtime_s:.2f} s")
    if row.stage and not row.finished_at:
        facts.append(f"stage {row.stage} ({row.progress or 0} %)")
    if row.retries:
        facts.append(f"{row.retries} automatic retr{'y' if row.retries == 1 else 'ies'}")
    if row.worker:
        facts.append(f"worker {row.worker}")
    if row.retry_of:
        facts.append(f"retry of {row.retry_of[:8]}")
    common.quiet_line(_text(" · ".join(facts)))
    if row.error:
        st.html(f'<div style="white-space:pre-wrap"><b>Error:</b> {_text(row.error)}</div>')


def _text(value: str) -> str:
    return html.escape(value, quote=False)


def buttons(row: TaskRow, act: Act, *, flower_url: str | None = None, admin: bool = False) -> None:
    """Cancel, retry and open-in-Flower for the selected task. For admins, a running task is
    terminated, after a confirmation."""
    args = (row.task_id, row.described)
    with st.container(horizontal=True):
        if admin and row.state == "STARTED":
            st.button(
                "Terminate task…",
                icon=":material/cancel:",
                on_click=lambda: st.session_state.update({TERMINATE_KEY: row.task_id}),
            )
        else:
            st.button(
                "Cancel task",
                icon=":material/cancel:",
                disabled=not row.can_cancel,
                on_click=act,
                args=("cancel", *args),
            )
        st.button(
            "Retry task",
            icon=":material/replay:",
            disabled=not row.can_retry,
            on_click=act,
            args=("retry", *args),
        )
        if flower_url:
            st.link_button("Open in Flower", flower_url, icon=":material/open_in_new:")
    if admin and row.state == "STARTED" and st.session_state.get(TERMINATE_KEY) == row.task_id:
        st.warning(f"Terminate running {row.described}? Its worker process is sent SIGTERM.")
        st.button("Confirm terminate", type="primary", on_click=act, args=("cancel", *args))


def admin_act(action: str, task_id: str, described: str) -> None:
    """Button callback: cancel (terminate) or retry any user's task, audited."""
    rt = common.runtime()
    st.session_state.pop(TERMINATE_KEY, None)
    with common.guard(later=True), common.acting_user() as (session, user):
        if action == "cancel":
            admin_tasks.cancel_task(session=session, celery=rt.celery, user=user, task_id=task_id)
            common.flash(f"Cancelled {described}.")
        else:
            ref = admin_tasks.retry_task(
                session=session, celery=rt.celery, user=user, task_id=task_id
            )
            common.flash(f"Retrying {described} as task {ref.task_id[:8]}.")


def chart_colours(column: str = "state") -> dict[str, Any]:
    """Plotly Express arguments that give every state its colour and place, whatever chart."""
    return {
        "color": column,
        "color_discrete_map": STATE_COLOURS,
        "category_orders": {column: STATE_ORDER},
    }


DAY_MS = 86_400_000


def tasks_per_day_figure(rows: list[dict[str, Any]]) -> Any:
    """Tasks per day stacked by state: one bar a day wide on a date axis (so one day of
    tasks is a bar, not the whole axis with times to the millisecond), at least a week."""
    import plotly.express as px

    from backend.ledger.task_view import state_label

    frame = pd.DataFrame([{**row, "state": state_label(row["state"])} for row in rows])
    fig = px.bar(frame, x="date", y="count", title="Tasks per day", **chart_colours())
    days = pd.to_datetime(frame["date"])
    first, last = days.min(), days.max()
    first = min(first, last - pd.Timedelta(days=6))
    half = pd.Timedelta(hours=12)
    fig.update_xaxes(type="date", range=[str(first - half), str(last + half)], tickformat="%b %d")
    fig.update_traces(width=0.8 * DAY_MS)
    fig.update_layout(xaxis_title=None, yaxis_title=None, legend_title=None)
    return fig
