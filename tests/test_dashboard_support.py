"""Helpers for the dashboard's AppTest tests: open a page as a signed-in user, wait, read."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path

from streamlit.testing.v1 import AppTest

from backend.accounts import users
from backend.models import User

APP = Path(__file__).resolve().parents[1] / "dashboard" / "app.py"
TIMEOUT = 60
SMALL_TEXT = (
    b"Bees of the Old Mill\n\nBob keeps forty hives of bees near the old mill on the river. "
    b"The honey is sold at the Saturday market in Elmsford every week from May to September."
)


def open_page(user: User | None, page: str | None = None) -> AppTest:
    """The app run once as `user` (signed in through session state), on `page` if given."""
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    if user is not None:
        at.session_state["user_id"] = user.id
        at.session_state["credentials_stamp"] = users.credential_stamp(user)
    at.run()
    if page is not None:
        at.switch_page(f"pages/user/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def texts(at: AppTest) -> str:
    """Every piece of text the page shows, joined, for 'does the user see X' checks."""
    parts: list[str] = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "text", "code"):
        # Text shown as written has its markdown characters escaped; read it unescaped.
        parts.extend(_unescape(str(el.value)) for el in getattr(at, kind))
    for kind in ("success", "info", "warning", "error", "toast"):
        parts.extend(str(el.value) for el in getattr(at, kind))
    parts.extend(str(el.value) for el in at.get("html"))
    parts.extend(str(el.text) for el in at.get("progress"))
    for frame in at.dataframe:
        parts.append(frame.value.to_csv(index=False))
    for box in at.expander:
        parts.append(_unescape(str(box.label)))
    for box in at.status:
        parts.append(str(box.label))
    for metric in at.metric:
        parts.append(f"{metric.label}: {metric.value}")
    return "\n".join(parts)


def _unescape(markdown: str) -> str:
    return re.sub(r"\\(.)", r"\1", markdown)


def messages(at: AppTest, kind: str) -> list[str]:
    return [_unescape(str(el.value)) for el in getattr(at, kind)]


def labels(at: AppTest, kind: str) -> list[str]:
    """The labels of expanders or status boxes, as the user reads them."""
    return [_unescape(str(box.label)) for box in getattr(at, kind)]


def rerun_until(at: AppTest, done: Callable[[AppTest], bool], timeout: float = 60) -> AppTest:
    """Rerun the page (as its live fragments would) until `done` holds."""
    deadline = time.monotonic() + timeout
    while not done(at):
        assert time.monotonic() < deadline, texts(at)
        time.sleep(0.3)
        at.run()
        assert not at.exception, [e.value for e in at.exception]
    return at


def select_row(at: AppTest, task: str, table: int = 0) -> AppTest:
    """Select the row of a task table whose Task column reads `task`, as a click on it does."""
    frame = at.dataframe[table]
    position = list(frame.value["Task"]).index(task)
    at.session_state[frame.key] = {"selection": {"rows": [position], "columns": [], "cells": []}}
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def button(at: AppTest, label: str):
    """The one button with this label."""
    matches = [b for b in at.button if b.label == label]
    assert len(matches) == 1, [b.label for b in at.button]
    return matches[0]


def test_tasks_per_day_with_one_day_is_one_bar_on_a_week_of_dates():
    import pandas as pd

    from dashboard.task_table import DAY_MS, tasks_per_day_figure

    fig = tasks_per_day_figure([{"date": "2026-12-03", "state": "SUCCESS", "count": 4}])

    first, last = (pd.Timestamp(x) for x in fig.layout.xaxis.range)
    assert fig.layout.xaxis.type == "date" and fig.layout.xaxis.tickformat == "%b %d"
    assert last - first >= pd.Timedelta(days=7)  # not one day stretched over the whole axis
    assert all(trace.width == 0.8 * DAY_MS for trace in fig.data)
