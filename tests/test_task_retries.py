"""A task that meets a passing fault is retried, and the ledger says so before the retry runs.

The retry's copy can start the moment it is published (a countdown of 0 and a free pool
thread). It checks the ledger first, and a row still saying STARTED on a live worker would make
it look like a duplicate of a run in progress and be dropped, leaving the question unanswered.
"""

from __future__ import annotations

from typing import Any

import pytest
from celery import signals
from sqlalchemy.exc import OperationalError

from backend.models import Question, TaskRecord
from backend.qa import pipeline
from tests import factories
from workers.tasks import base

pytestmark = [pytest.mark.core, pytest.mark.usefixtures("worker")]
TEXT = b"Oslo is the capital of Norway. It lies at the head of the Oslofjord."


def _user_with_a_document(runtime):
    user = factories.make_user(runtime)
    factories.upload_and_wait(runtime, user, "norway.txt", TEXT)
    return user


class _DatabaseDropOnce:
    """The answering service, failing its first call as a dropped connection does."""

    def __init__(self, real: Any) -> None:
        self.real, self.calls = real, 0

    def __call__(self, **kwargs: Any) -> Any:
        self.calls += 1
        if self.calls == 1:
            raise OperationalError("SELECT 1", {}, Exception("server closed the connection"))
        return self.real(**kwargs)


def test_a_retried_question_is_recorded_as_retrying_before_its_copy_is_published(
    runtime, monkeypatch
):
    user = _user_with_a_document(runtime)
    flaky = _DatabaseDropOnce(pipeline.answer_question)
    monkeypatch.setattr(pipeline, "answer_question", flaky)
    seen_at_publish: list[str | None] = []

    def at_publish(headers: dict[str, Any] | None = None, **_: Any) -> None:
        if headers and headers.get("retries"):
            with runtime.session() as session:
                row = session.get(TaskRecord, headers["id"])
                seen_at_publish.append(row.state if row else None)

    signals.before_task_publish.connect(at_publish, weak=False)
    try:
        result = factories.ask_and_wait(runtime, user, "What is the capital of Norway?")
    finally:
        signals.before_task_publish.disconnect(at_publish)

    assert flaky.calls == 2
    assert seen_at_publish == ["RETRY"]
    with runtime.session() as session:
        row = session.get(TaskRecord, result["task_id"])
        assert row is not None
        assert (row.state, row.retries) == ("SUCCESS", 1)
        question = session.query(Question).filter_by(task_id=result["task_id"]).one()
        assert question.answered_at is not None and question.error is None
        assert "Oslo" in (question.answer or "")


def test_a_ledger_write_that_meets_a_dropped_connection_is_made_on_a_fresh_one(
    runtime, monkeypatch
):
    """The task's last word (SUCCESS) survives a connection dropped under it."""
    user = _user_with_a_document(runtime)
    monkeypatch.setattr(base, "RECORD_PAUSES", (0.0, 0.0, 0.0))
    real = base.transition
    failures = {"left": 2}

    def drops_twice(session: Any, **kwargs: Any) -> Any:
        if kwargs["event"] is base.Event.SUCCEEDED and failures["left"]:
            failures["left"] -= 1
            raise OperationalError("UPDATE", {}, Exception("terminating connection"))
        return real(session, **kwargs)

    monkeypatch.setattr(base, "transition", drops_twice)
    result = factories.ask_and_wait(runtime, user, "What is the capital of Norway?")

    assert failures["left"] == 0
    with runtime.session() as session:
        row = session.get(TaskRecord, result["task_id"])
        assert row is not None and row.state == "SUCCESS"
