"""Operations: queue depth (with history), workers and their health, purging a queue."""

from __future__ import annotations

import time

import pandas as pd
import plotly.express as px
import streamlit as st

from backend.accounts import audit
from backend.models import utcnow
from backend.operations import admin_ops, queue_history
from backend.operations.broker import QueuesReport
from dashboard import admin_support, common, navigation

PURGE_KEY = "ops_purge_pending"
TASKS_MENU = next(s.title for s in navigation.ADMINISTRATION if s.url_path == "admin-tasks")
PREFETCH_NOTE = (
    "Purging removes the messages waiting in the broker. Messages a worker has already "
    "prefetched (its reserved tasks) are not in the queue any more and will still run; cancel "
    f"those from {TASKS_MENU} in the menu."
)


def queue_panel(report: QueuesReport) -> None:
    st.subheader("Queues")
    if not report.ok:
        st.error(report.detail, icon=":material/cloud_off:")
        return
    cols = st.columns(max(1, len(report.queues)))
    for col, q in zip(cols, report.queues, strict=False):
        col.metric(q.name, q.messages, help=f"Consumers: {q.consumers}")
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "Queue": q.name,
                    "Waiting": q.messages,
                    "Consumers": q.consumers,
                    "Priority sub-queues": ", ".join(f"{k}: {v}" for k, v in q.sub_queues.items()),
                }
                for q in report.queues
            ]
        ),
        hide_index=True,
        width="stretch",
    )


def history_chart() -> None:
    every = common.settings().queue_sample_seconds
    with common.acting_user() as (session, user):
        points = queue_history.depth_history(session=session, user=user, minutes=60)
    if not points:
        st.caption(f"No depth samples in the last hour yet (beat stores one every {every} s).")
        return
    # In the reader's timezone, like every other time on the page.
    frame = pd.DataFrame(
        [
            {"Time": common.fmt_time(p.sampled_at), "Queue": p.queue, "Waiting": p.messages}
            for p in points
        ]
    )
    frame["Time"] = pd.to_datetime(frame["Time"])
    now = pd.Timestamp(common.fmt_time(utcnow()))
    figure = px.line(
        frame, x="Time", y="Waiting", color="Queue", markers=True, title="Depth, last hour"
    )
    top = max(int(frame["Waiting"].max()), 4)  # whole messages, from 0, even when all are 0
    figure.update_yaxes(range=[0, top * 1.1], tickformat=",d", dtick=1 if top <= 10 else None)
    figure.update_xaxes(range=[now - pd.Timedelta(minutes=60), now], title="Time (local)")
    st.plotly_chart(figure, width="stretch")


def worker_panel(overview: admin_ops.WorkersOverview) -> None:
    st.subheader("Workers")
    links = admin_support.flower()
    if overview.none_answering:
        st.error(
            "No workers are answering. Nothing queued will run until a worker starts: "
            f"{overview.report.detail}",
            icon=":material/error:",
        )
    for error in overview.report.errors:
        st.warning(error)
    if not overview.workers:
        return
    now = time.time()
    rows = []
    for w in overview.workers:
        s = w.status
        seen = now - w.last_seen.timestamp() if w.last_seen else None
        # The figures and links first: they fit in a 1280 px window; the long queue list last.
        rows.append(
            {
                "Worker": w.name,
                "Status": "answering" if w.answering else "not answering",
                "Active": len(s.active) if s else None,
                "Reserved": s.reserved if s else None,
                "Processed": s.processed if s else None,
                "Uptime": uptime(s.uptime_seconds) if s else "",
                "Last seen": f"{seen:.0f} s ago" if seen is not None else "never",
                "Flower": links.worker(w.name) if links.configured else None,
                "Tasks tab": links.worker(w.name, "tasks") if links.configured else None,
                "Pool": f"{s.pool} × {s.concurrency}" if s else "",
                "Queues": ", ".join(s.queues) if s else "",
            }
        )
    column = st.column_config
    st.dataframe(
        pd.DataFrame(rows),
        hide_index=True,
        width="stretch",
        column_config={
            "Worker": column.TextColumn("Worker", width=170),
            "Status": column.TextColumn("Status", width=100),
            "Active": column.NumberColumn("Active", width=62),
            "Reserved": column.NumberColumn("Reserved", width=76),
            "Processed": column.NumberColumn("Processed", width=86),
            "Uptime": column.TextColumn("Uptime", width=84),
            "Last seen": column.TextColumn("Last seen", width=84),
            "Flower": column.LinkColumn("Flower", width=62, display_text="worker"),
            "Tasks tab": column.LinkColumn("Tasks tab", width=76, display_text="tasks"),
            "Pool": column.TextColumn("Pool", width=110),
            "Queues": column.TextColumn("Queues", width="large"),
        },
    )
    for w in overview.workers:
        if w.status and w.status.active:
            names = ", ".join(f"{t['name']} ({str(t['id'])[:8]})" for t in w.status.active)
            st.caption(f"{w.name} is running: {names}")


def uptime(seconds: float | None) -> str:
    """A worker's uptime the way people say it: "45 s", "12 min", "3 h 05 min", "2 d 4 h"."""
    if seconds is None:
        return ""
    total = int(seconds)
    if total < 60:
        return f"{total} s"
    if total < 3600:
        return f"{total // 60} min"
    if total < 86400:
        return f"{total // 3600} h {total % 3600 // 60:02d} min"
    return f"{total // 86400} d {total % 86400 // 3600} h"


def live_panels() -> None:
    user_id = common.signed_in_id() or 0
    broker = admin_support.broker_key()
    with common.guard():
        queue_panel(admin_support.queues(user_id, broker))
        history_chart()
    with common.guard():
        worker_panel(admin_support.workers(user_id, broker))


def ask_purge(queue: str) -> None:
    rt = common.runtime()
    with common.guard(later=True), common.acting_user() as (_, user):
        count = admin_ops.purge_preview(celery=rt.celery, user=user, queue=queue)
        st.session_state[PURGE_KEY] = (queue, count)


def do_purge(queue: str) -> None:
    rt = common.runtime()
    st.session_state.pop(PURGE_KEY, None)
    with common.guard(later=True), common.acting_user() as (session, user):
        removed = admin_ops.purge_queue(session=session, celery=rt.celery, user=user, queue=queue)
        common.flash(f"Purged {removed} message{'s' if removed != 1 else ''} from {queue}.")
    admin_support.queues.clear()


def purge_section(queue_names: list[str]) -> None:
    st.subheader("Purge a queue")
    st.caption(PREFETCH_NOTE)
    left, right = st.columns([3, 1], vertical_alignment="bottom")
    queue = left.selectbox("Queue to purge", queue_names, key="ops_purge_queue")
    right.button("Purge…", icon=":material/delete_sweep:", on_click=ask_purge, args=(queue,))
    pending = st.session_state.get(PURGE_KEY)
    if pending and not pending[1]:
        st.session_state.pop(PURGE_KEY, None)
        st.info(f"{pending[0]} is empty: there is nothing to purge.", icon=":material/inbox:")
    elif pending:
        name, count = pending
        st.warning(
            f"Purge {count} message{'s' if count != 1 else ''} from {name}? "
            "They are deleted from the broker and cannot be brought back."
        )
        yes, no, _ = st.columns([1, 1, 4])
        if yes.button("Confirm purge", type="primary"):
            with st.spinner(f"Purging {name}…"):
                do_purge(name)
            st.rerun()
        no.button("Keep them", on_click=lambda: st.session_state.pop(PURGE_KEY, None))
    with common.guard(), common.acting_user() as (session, user):
        entries = audit.recent_entries(session=session, user=user, action="purge_queue", limit=10)
        if entries:
            st.caption("Recent purges")
            st.dataframe(
                pd.DataFrame(
                    [
                        {"When": common.fmt_time(e.at), "Admin": e.actor_email, "What": e.detail}
                        for e in entries
                    ]
                ),
                hide_index=True,
                width="stretch",
            )


def flower_access() -> None:
    """How Flower is reached: its address, its user and where its password is kept (the
    password itself is never shown)."""
    settings = common.settings()
    kept = settings.flower_password_file.resolve()
    if settings.flower_password:
        where = "is the `FLOWER_PASSWORD` setting (in `.env` or the server's environment)"
    elif kept.exists():
        where = (
            f"is in the file `{kept}` on the server, generated by `make run` and printed once "
            "in its console (set `FLOWER_PASSWORD` to choose your own)"
        )
    else:
        where = (
            f"is not set yet: `make run` generates one into `{kept}` when it starts Flower, "
            "or set `FLOWER_PASSWORD`"
        )
    st.caption(
        f"Flower ({settings.flower_url}) asks for a user name and password: the user is "
        f"`{settings.flower_user}`, the password {where}."
    )


title, interval_box = st.columns([4, 1], vertical_alignment="bottom")
title.title("Operations")
with interval_box:
    interval = admin_support.refresh_interval("ops_refresh")
links = admin_support.flower()
if links.configured:
    st.markdown(
        f"Flower: [overview]({links.home()}) · [failed tasks]({links.failed_tasks()}) · "
        f"[broker]({links.broker()})"
    )
    flower_access()
st.fragment(run_every=interval)(live_panels)()
purge_section([q.name for q in common.runtime().celery.conf.task_queues or ()])
