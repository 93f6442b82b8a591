"""One account: usage figures, activity chart, recent tasks, documents, the admin actions
taken on it, and the account controls (role, activate/deactivate, password, report, sign-in
unlock, delete)."""

from __future__ import annotations

import html

import pandas as pd
import plotly.express as px
import streamlit as st

from backend.accounts import admin_users
from backend.accounts.admin_users import UserDetail
from backend.ledger.task_view import state_label, task_rows
from backend.models import Role
from backend.operations import user_admin
from dashboard import admin_support, common, navigation, task_table

PERIODS = {"Last 7 days": 7, "Last 30 days": 30, "Last 90 days": 90}
ROLES = [r.value for r in Role]
RESET_KEY = "admin_user_new_password"
DELETE_KEY = "admin_user_delete_pending"


def pick_account() -> int | None:
    """The account named by `?user=<id>` in the URL, or chosen here (and written back)."""
    with common.acting_user() as (session, user):
        by_id = admin_users.accounts(session=session, user=user)
    if not by_id:
        return None
    wanted = st.query_params.get("user")
    current = int(wanted) if wanted and wanted.isdigit() and int(wanted) in by_id else None
    ids = list(by_id)
    chosen = st.selectbox(
        "Account",
        ids,
        index=ids.index(current) if current is not None else 0,
        format_func=lambda i: by_id[i],
    )
    if chosen is not None and str(chosen) != wanted:
        st.query_params["user"] = str(chosen)
    return chosen


def figures(detail: UserDetail) -> None:
    u = detail.usage
    a = detail.account
    since = common.fmt_short_time(a.created_at)
    last = common.fmt_short_time(u["last_active"])
    state = "active" if a.is_active else "deactivated"
    st.caption(f"{a.role} · {state} · member since {since} · last active {last}")
    cols = st.columns(6)
    cols[0].metric("Documents", u["documents"])
    cols[1].metric("Questions", u["questions"])
    cols[2].metric("Tasks", u["tasks"])
    cols[3].metric("Failure rate", f"{u['failure_rate'] * 100:.1f} %")
    cols[4].metric("Latency p50", _ms(u["latency_p50_ms"]), help="Answer time of its questions")
    cols[5].metric("Latency p95", _ms(u["latency_p95_ms"]))


def _ms(value: float | None) -> str:
    return f"{value:.0f} ms" if value else "–"


def activity(detail: UserDetail) -> None:
    left, right = st.columns(2)
    if detail.per_day:
        left.plotly_chart(task_table.tasks_per_day_figure(detail.per_day), width="stretch")
    else:
        left.caption("No tasks in this period.")
    if detail.tasks_by_state:
        states = pd.DataFrame(
            [{"state": state_label(k), "count": v} for k, v in detail.tasks_by_state.items()]
        )
        right.plotly_chart(
            px.pie(
                states,
                names="state",
                values="count",
                title="Tasks by state",
                **task_table.chart_colours(),
            ),
            width="stretch",
        )


def recent_tasks(detail: UserDetail) -> None:
    st.subheader("Recent tasks")
    if not detail.recent_tasks:
        st.caption("No tasks yet.")
        return
    links = admin_support.flower()
    with common.acting_user() as (session, _):
        views = task_rows(session=session, records=detail.recent_tasks)
    chosen = task_table.pick(
        [
            {
                **task_table.columns(view),
                "Worker": view.worker or "",
                "Flower": links.task(view.task_id) if links.configured else None,
            }
            for view in views
        ],
        [view.task_id for view in views],
        key="admin_user_tasks",
    )
    if chosen is None:
        st.caption(task_table.SELECT_HINT)
    else:
        row = views[chosen]
        task_table.details(row, user_email=detail.account.email)
        flower = links.task(row.task_id) if links.configured else None
        task_table.buttons(row, task_table.admin_act, flower_url=flower, admin=True)
    st.page_link(
        navigation.page_path("admin-tasks"),
        label="All of this account's tasks",
        icon=":material/list_alt:",
        query_params={"user": detail.account.email},
    )


def documents(detail: UserDetail) -> None:
    st.subheader("Documents")
    if not detail.documents:
        st.caption("No documents.")
        return
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "Name": d.filename,
                    "Status": d.processing_status,
                    "Size": common.fmt_size(d.size_bytes),
                    "Passages": d.chunk_count,
                    "Uploaded": common.fmt_short_time(d.created_at),
                    "Problem": d.processing_error or "",
                }
                for d in detail.documents
            ]
        ),
        hide_index=True,
        width="stretch",
    )


def history(detail: UserDetail) -> None:
    st.subheader("Admin actions on this account")
    if not detail.audit:
        st.caption("None recorded.")
        return
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "When": common.fmt_short_time(e.at),
                    "Admin": e.actor_email,
                    "Action": e.action,
                    "Detail": e.detail or "",
                }
                for e in detail.audit
            ]
        ),
        hide_index=True,
        width="stretch",
    )


def change(action: str, user_id: int, value: str | None = None) -> None:
    """Button callback: one audited change to the account."""
    with common.guard(later=True), common.acting_user() as (session, user):
        rt = common.runtime()
        if action == "role":
            target = admin_users.set_role(
                session=session, user=user, user_id=user_id, role=str(value)
            )
            common.flash(f"{target.email} is now {target.role}.")
        elif action == "activate":
            target = admin_users.set_active(
                session=session, user=user, user_id=user_id, active=True
            )
            common.flash(f"{target.email} is now active.")
        elif action == "deactivate":
            user_admin.deactivate_user(
                session=session, celery=rt.celery, actor=user, user_id=user_id
            )
            common.flash(
                "The account is deactivated: it can no longer sign in, every sign-in and API "
                "token of it has ended (reactivating does not bring them back), and its "
                "unfinished tasks are being revoked."
            )
        elif action == "unlock":
            target, cleared = admin_users.unlock_sign_in(
                session=session, redis=rt.redis, user=user, user_id=user_id
            )
            clients = f"{cleared} client{'s' if cleared != 1 else ''}"
            common.flash(
                f"{target.email} can sign in at once again; the sign-in waits of {clients} "
                "were cleared."
            )
        elif action == "report":
            ref = user_admin.request_report(
                session=session, celery=rt.celery, actor=user, user_id=user_id
            )
            common.flash(f"A 30-day usage report is being prepared (task {ref.task_id}).")
        elif action == "delete":
            user_admin.delete_user(session=session, celery=rt.celery, actor=user, user_id=user_id)
            st.session_state.pop(DELETE_KEY, None)
            st.query_params.pop("user", None)
            common.flash(
                "The account is deactivated and everything it owns (documents, vectors, files, "
                "questions, tasks) is being deleted."
            )
        else:
            st.session_state[RESET_KEY] = admin_users.reset_password(
                session=session, user=user, user_id=user_id
            )


def controls(detail: UserDetail) -> None:
    st.subheader("Manage the account")
    a = detail.account
    cols = st.columns([2, 1], vertical_alignment="bottom")
    role = cols[0].selectbox("Role", ROLES, index=ROLES.index(a.role), key="admin_user_role")
    cols[1].button("Set role", on_click=change, args=("role", a.id, role))
    # Each action on its own button with its whole name (at 1280 px six in a row were cut).
    cols = st.columns(4)
    if a.is_active:
        cols[0].button("Deactivate", on_click=change, args=("deactivate", a.id), width="stretch")
    else:
        cols[0].button("Activate", on_click=change, args=("activate", a.id), width="stretch")
    cols[1].button("Reset password", on_click=change, args=("reset", a.id), width="stretch")
    cols[2].button("Usage report", on_click=change, args=("report", a.id), width="stretch")
    cols[3].button(
        "Unlock sign-in",
        on_click=change,
        args=("unlock", a.id),
        help="Clear the account's failed sign-ins and waits, from every client.",
        width="stretch",
    )
    password = st.session_state.pop(RESET_KEY, None)
    if password:
        st.success(
            f"New password for {a.email} (shown once): {password}. Every sign-in of the "
            "account has ended and its API tokens are revoked."
        )

    with st.expander("Delete the account and all its data"):
        st.warning(
            f"This removes {a.email} with every document, stored file, vector, question and "
            "task record. It cannot be undone.",
            icon=":material/warning:",
        )
        typed = st.text_input(f"Type {a.email} to confirm", key=DELETE_KEY)
        st.button(
            "Delete account",
            type="primary",
            disabled=typed.strip().lower() != a.email,
            on_click=change,
            args=("delete", a.id),
        )


st.title("User detail")
common.show_flash()
with common.guard():
    account_id = pick_account()
    if account_id is None:
        st.info("There are no accounts yet.")
        st.stop()
    period = st.selectbox("Period", list(PERIODS), index=1, key="admin_user_period")
    with common.acting_user() as (session, user):
        detail = admin_users.user_detail(
            session=session, user=user, user_id=account_id, days=PERIODS[period]
        )
    # As HTML: markdown would turn the address into a mailto link.
    st.html(f'<h2 style="margin:0.5rem 0 0">{html.escape(detail.account.email)}</h2>')
    figures(detail)
    activity(detail)
    recent_tasks(detail)
    documents(detail)
    history(detail)
    controls(detail)
