"""The usage report counts the right rows per day, state and queue (PostgreSQL and SQLite)."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from backend.errors import InvalidInput
from backend.models import Document, Question, TaskRecord, User, utcnow
from backend.reports.usage import user_report
from tests import factories

pytestmark = pytest.mark.core


def _question(user_id, created, latency=None, found=None):
    answered = created + timedelta(milliseconds=latency) if latency is not None else None
    return Question(
        user_id=user_id,
        text="q",
        created_at=created,
        answered_at=answered,
        latency_ms=latency,
        found=found,
    )


def _document(user_id, created, status):
    return Document(
        owner_id=user_id,
        filename="f.txt",
        size_bytes=1,
        sha256=uuid.uuid4().hex * 2,
        processing_status=status,
        created_at=created,
    )


def _task(user_id, queued, state, queue, error=None):
    return TaskRecord(
        task_id=str(uuid.uuid4()),
        name=f"workers.tasks.{queue}",
        queue=queue,
        user_id=user_id,
        state=state,
        queued_at=queued,
        finished_at=queued + timedelta(seconds=1),
        error=error,
    )


@pytest.fixture
def history(runtime):
    """One user's last weeks, plus someone else's activity that must not be counted."""
    me = factories.make_user(runtime)
    other = factories.make_user(runtime)
    now = utcnow()
    with runtime.session() as session:
        session.add_all(
            [
                _question(me.id, now, 100, True),
                _question(me.id, now, 300, True),
                _question(me.id, now, 200, False),
                _question(me.id, now),  # not answered yet
                _question(me.id, now - timedelta(days=2), 5000, True),
                _question(me.id, now - timedelta(days=40), 50, True),
                _question(other.id, now, 1, True),
                _document(me.id, now, "ready"),
                _document(me.id, now - timedelta(days=1), "failed"),
                _document(me.id, now - timedelta(days=10), "ready"),
                _document(other.id, now, "ready"),
                _task(me.id, now, "SUCCESS", "question_answering"),
                _task(me.id, now, "SUCCESS", "question_answering"),
                _task(me.id, now, "FAILURE", "document_processing", "today's failure"),
                _task(me.id, now - timedelta(days=1), "FAILURE", "high_priority", "older"),
                _task(me.id, now - timedelta(days=30), "FAILURE", "high_priority", "too old"),
                _task(other.id, now, "FAILURE", "user_management", "not mine"),
            ]
        )
    return me, now


def test_totals_and_breakdowns_cover_only_the_period_and_the_user(runtime, history):
    me, now = history
    with runtime.session() as session:
        report = user_report(session=session, user=session.get(User, me.id), days=7)

    assert report["period"]["days"] == 7
    assert report["period"]["start"].startswith((now.date() - timedelta(days=6)).isoformat())
    assert report["totals"] == {
        "questions": 5,
        "answered": 4,
        "not_found": 1,
        "documents_uploaded": 2,
        "documents_ready": 1,
        "documents_failed": 1,
        "tasks": 4,
        "task_failures": 2,
    }
    assert report["tasks_by_state"] == {"SUCCESS": 2, "FAILURE": 2}
    assert report["tasks_by_queue"] == {
        "question_answering": 2,
        "document_processing": 1,
        "high_priority": 1,
    }


def test_per_day_series_list_every_day(runtime, history):
    me, now = history
    with runtime.session() as session:
        report = user_report(session=session, user=session.get(User, me.id), days=7)

    today = now.date()
    questions = {d["date"]: d["count"] for d in report["questions_per_day"]}
    assert list(questions) == [(today - timedelta(days=i)).isoformat() for i in range(6, -1, -1)]
    assert questions[today.isoformat()] == 4
    assert questions[(today - timedelta(days=2)).isoformat()] == 1
    assert sum(questions.values()) == 5
    documents = {d["date"]: d["count"] for d in report["documents_per_day"]}
    assert documents[today.isoformat()] == 1
    assert documents[(today - timedelta(days=1)).isoformat()] == 1
    assert {(t["date"], t["state"], t["count"]) for t in report["tasks_per_day"]} == {
        (today.isoformat(), "SUCCESS", 2),
        (today.isoformat(), "FAILURE", 1),
        ((today - timedelta(days=1)).isoformat(), "FAILURE", 1),
    }


def test_latency_percentiles_and_latest_failures(runtime, history):
    me, _ = history
    with runtime.session() as session:
        week = user_report(session=session, user=session.get(User, me.id), days=7)
        today = user_report(session=session, user=session.get(User, me.id), days=1)

    assert today["latency_ms"] == {"p50": 200.0, "p95": 300.0, "p99": 300.0, "mean": 200.0}
    assert week["latency_ms"]["p50"] == 200.0 and week["latency_ms"]["p99"] == 5000.0
    assert [f["error"] for f in week["failures"]] == ["today's failure", "older"]
    assert all(f["finished_at"] and f["task_id"] for f in week["failures"])


def test_an_empty_period_has_zeros_and_no_latency(runtime):
    user = factories.make_user(runtime)
    with runtime.session() as session:
        report = user_report(session=session, user=session.get(User, user.id), days=3)
        with pytest.raises(InvalidInput, match="1 to 366 days"):
            user_report(session=session, user=session.get(User, user.id), days=0)

    assert set(report["totals"].values()) == {0}
    assert [d["count"] for d in report["questions_per_day"]] == [0, 0, 0]
    assert report["latency_ms"] == {"p50": None, "p95": None, "p99": None, "mean": None}
    assert report["failures"] == [] and report["tasks_per_day"] == []
