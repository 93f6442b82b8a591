"""Usage reports: a user's questions, documents and tasks over a period, aggregated in SQL."""

from __future__ import annotations

import math
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from backend.errors import InvalidInput
from backend.models import Document, DocumentStatus, Question, TaskRecord, User, utcnow

MAX_DAYS = 366
FAILURES_SHOWN = 20
PERCENTILES = (50, 95, 99)


def user_report(*, session: Session, user: User, days: int = 30) -> dict[str, Any]:
    """The user's usage over the last `days` calendar days (UTC), today included."""
    if not 1 <= days <= MAX_DAYS:
        raise InvalidInput(f"Reports cover 1 to {MAX_DAYS} days.")
    end = utcnow()
    start = datetime.combine(end.date() - timedelta(days=days - 1), time.min, tzinfo=end.tzinfo)
    dialect = session.get_bind().dialect.name
    q_day = _day(Question.created_at, dialect)
    d_day = _day(Document.created_at, dialect)
    t_day = _day(TaskRecord.queued_at, dialect)
    questions = Question.user_id == user.id, Question.created_at >= start
    docs = Document.owner_id == user.id, Document.created_at >= start
    tasks = TaskRecord.user_id == user.id, TaskRecord.queued_at >= start
    return {
        "period": {"start": start.isoformat(), "end": end.isoformat(), "days": days},
        "totals": _totals(session, questions, docs, tasks),
        "questions_per_day": _per_day(session, q_day, questions, start.date(), days),
        "documents_per_day": _per_day(session, d_day, docs, start.date(), days),
        "tasks_by_state": _grouped(session, TaskRecord.state, tasks),
        "tasks_by_queue": _grouped(session, TaskRecord.queue, tasks),
        "tasks_per_day": [
            {"date": _iso(day), "state": state, "count": count}
            for day, state, count in session.execute(
                select(t_day, TaskRecord.state, func.count())
                .where(*tasks)
                .group_by(t_day, TaskRecord.state)
                .order_by(t_day, TaskRecord.state)
            )
        ],
        "latency_ms": _latency(session, questions),
        "failures": _failures(session, tasks),
    }


def _day(column: InstrumentedAttribute[datetime], dialect: str) -> ColumnElement[Any]:
    """The UTC calendar day of a timestamp, in SQL."""
    if dialect == "postgresql":
        return func.date(func.timezone("UTC", column))
    return func.date(column)  # SQLite stores UTC wall-clock text


def _iso(value: Any) -> str:
    return value.isoformat() if isinstance(value, date) else str(value)


def _count(session: Session, query: Select[Any]) -> int:
    return int(session.scalar(query) or 0)


def _totals(session: Session, questions: Any, docs: Any, tasks: Any) -> dict[str, int]:
    q_count = select(func.count(Question.id)).where(*questions)
    d_count = select(func.count(Document.id)).where(*docs)
    status = Document.processing_status
    return {
        "questions": _count(session, q_count),
        "answered": _count(session, q_count.where(Question.answered_at.is_not(None))),
        "not_found": _count(session, q_count.where(Question.found.is_(False))),
        "documents_uploaded": _count(session, d_count),
        "documents_ready": _count(session, d_count.where(status == DocumentStatus.READY.value)),
        "documents_failed": _count(session, d_count.where(status == DocumentStatus.FAILED.value)),
        "tasks": _count(session, select(func.count(TaskRecord.task_id)).where(*tasks)),
        "task_failures": _count(
            session,
            select(func.count(TaskRecord.task_id)).where(*tasks, TaskRecord.state == "FAILURE"),
        ),
    }


def _per_day(
    session: Session, day: ColumnElement[Any], where: Any, first: date, days: int
) -> list[dict[str, Any]]:
    """Counts per day, every day of the period listed (zero when nothing happened)."""
    counts = {
        _iso(d): n
        for d, n in session.execute(select(day, func.count()).where(*where).group_by(day))
    }
    dates = [(first + timedelta(days=i)).isoformat() for i in range(days)]
    return [{"date": d, "count": int(counts.get(d, 0))} for d in dates]


def _grouped(session: Session, column: Any, where: Any) -> dict[str, int]:
    rows = session.execute(select(column, func.count()).where(*where).group_by(column))
    return {str(key) if key is not None else "unknown": int(n) for key, n in rows}


def _latency(session: Session, questions: Any) -> dict[str, float | None]:
    """Nearest-rank percentiles and the mean of answered questions' latency."""
    answered = (*questions, Question.latency_ms.is_not(None))
    n, mean = session.execute(
        select(func.count(Question.id), func.avg(Question.latency_ms)).where(*answered)
    ).one()
    figures: dict[str, float | None] = {f"p{p}": None for p in PERCENTILES}
    figures["mean"] = round(float(mean), 1) if mean is not None else None
    if not n:
        return figures
    ordered = select(Question.latency_ms).where(*answered).order_by(Question.latency_ms)
    for p in PERCENTILES:
        rank = max(1, math.ceil(p / 100 * n))
        value = session.scalar(ordered.offset(rank - 1).limit(1))
        figures[f"p{p}"] = round(float(value), 1) if value is not None else None
    return figures


def _failures(session: Session, tasks: Any) -> list[dict[str, Any]]:
    rows = session.scalars(
        select(TaskRecord)
        .where(*tasks, TaskRecord.state == "FAILURE")
        .order_by(TaskRecord.finished_at.desc().nulls_last(), TaskRecord.queued_at.desc())
        .limit(FAILURES_SHOWN)
    )
    return [
        {
            "task_id": r.task_id,
            "name": r.name,
            "error": r.error,
            "finished_at": r.finished_at.isoformat() if r.finished_at else None,
        }
        for r in rows
    ]
