"""The task table every page shows (My tasks, All tasks, a user's detail): one set of columns
from `backend.ledger.task_view.TaskRow`, with the extra columns a page adds."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from backend.ledger.task_view import TaskRow
from dashboard import common


def columns(row: TaskRow, *, full_id: bool = False) -> dict[str, Any]:
    """The shared columns of one task, in display order."""
    return {
        "Task": row.task_id if full_id else row.short_id,
        "Type": row.type,
        "Queue": row.queue,
        "State": row.state_label,
        "Queued": common.fmt_short_time(row.queued_at),
        "Started": common.fmt_short_time(row.started_at),
        "Finished": common.fmt_short_time(row.finished_at),
        "Runtime (s)": row.runtime_s,
        "Retries": row.retries,
        "Error": row.error or "",
    }


def show(rows: list[dict[str, Any]]) -> None:
    """The table; a "Flower" column of links reads "open"."""
    st.dataframe(
        pd.DataFrame(rows),
        hide_index=True,
        width="stretch",
        column_config={"Flower": st.column_config.LinkColumn("Flower", display_text="open")},
    )
