"""A usage report as CSV: one row per day with questions, documents and tasks by state."""

from __future__ import annotations

import csv
import io
from typing import Any

from backend.ledger.task_records import FINISHED_STATES

TASK_STATES = ("PENDING", "STARTED", "RETRY", *sorted(FINISHED_STATES))


def daily_rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    """Per day of the report's period: questions, documents, and tasks per state."""
    documents = {row["date"]: row["count"] for row in report["documents_per_day"]}
    tasks: dict[tuple[str, str], int] = {
        (row["date"], row["state"]): row["count"] for row in report["tasks_per_day"]
    }
    states = list(TASK_STATES) + sorted({state for _, state in tasks if state not in TASK_STATES})
    rows = []
    for day in report["questions_per_day"]:
        date = day["date"]
        row: dict[str, Any] = {
            "date": date,
            "questions": day["count"],
            "documents": documents.get(date, 0),
        }
        for state in states:
            row[f"tasks_{state.lower()}"] = tasks.get((date, state), 0)
        rows.append(row)
    return rows


def report_csv(report: dict[str, Any]) -> str:
    """The report's daily rows as CSV text with a header line."""
    rows = daily_rows(report)
    out = io.StringIO()
    if rows:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return out.getvalue()
