"""Audit log: every administrative action (who, what, on what, when), filtered and paginated
in SQL, with a CSV of the filtered rows."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import streamlit as st

from backend.accounts import audit
from backend.accounts.audit import AuditFilters
from backend.models import utcnow
from dashboard import common

PERIODS = {"Last 24 hours": 1, "Last 7 days": 7, "Last 30 days": 30, "All time": None}
PAGE_SIZE = 50
CSV_ROWS = 5000
PAGE_KEY = "audit_page"


def filters(actions: list[str]) -> AuditFilters:
    top = st.columns(4)
    action = top[0].selectbox("Action", [None, *actions], format_func=lambda a: a or "Any action")
    actor = top[1].text_input("Admin email contains")
    text = top[2].text_input("Text in target or detail")
    period = top[3].selectbox("Period", list(PERIODS), index=2)
    days = PERIODS[period]
    return AuditFilters(
        action=action,
        actor=actor or None,
        text=text or None,
        since=utcnow() - timedelta(days=days) if days else None,
    )


def frame(rows: list) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "When": common.fmt_time(e.at),
                "Admin": e.actor_email,
                "Action": e.action,
                "Target": e.target or "",
                "Detail": e.detail or "",
            }
            for e in rows
        ],
        columns=["When", "Admin", "Action", "Target", "Detail"],
    )


def _rows(count: int) -> str:
    return f"{count} row" if count == 1 else f"{count} rows"


st.title("Audit log")
st.caption("Purges, retries, cancellations and account changes, with the admin who made them.")


def csv_of(chosen: AuditFilters) -> str:
    """The filtered entries as CSV, read only when the download is clicked."""
    with common.acting_user() as (session, user):
        export = audit.browse_entries(
            session=session, user=user, filters=chosen, page_size=CSV_ROWS
        )
        return frame(export.rows).to_csv(index=False)


with common.guard():
    with common.acting_user() as (session, user):
        chosen = filters(audit.actions(session=session, user=user))
        wanted = int(st.session_state.get(PAGE_KEY, 1))
        shown = audit.browse_entries(
            session=session, user=user, filters=chosen, page=wanted, page_size=PAGE_SIZE
        )
        if wanted > shown.pages:  # the filters changed under a later page
            st.session_state[PAGE_KEY] = 1
            shown = audit.browse_entries(
                session=session, user=user, filters=chosen, page_size=PAGE_SIZE
            )
    if shown.pages > 1:
        st.number_input(
            f"Page (of {shown.pages})", min_value=1, max_value=shown.pages, key=PAGE_KEY
        )
    st.write(f"{shown.total} entr{'y' if shown.total == 1 else 'ies'} match.")
    st.dataframe(frame(shown.rows), hide_index=True, width="stretch")
    if shown.total:
        st.download_button(
            f"Download CSV ({_rows(min(shown.total, CSV_ROWS))})",
            lambda: csv_of(chosen),
            file_name="audit-log.csv",
            mime="text/csv",
            icon=":material/download:",
        )
