"""The ledger's one write path keeps what a task serves in step: purged or cancelled uploads end
failed with the reason and can be reprocessed, purged questions say so, and the stuck view and
beat's flagging job agree."""

from __future__ import annotations

from datetime import timedelta

import pytest

from backend.documents import library
from backend.ledger import admin_tasks, task_records
from backend.models import Question, TaskRecord, User, utcnow
from backend.operations import admin_ops, maintenance
from backend.qa import conversation, questions
from tests import factories

pytestmark = pytest.mark.usefixtures("worker")
TEXT = b"The lighthouse at Pharos was built in the third century BC on an island off Alexandria."


class _Paused:
    """The running worker stops taking messages from one queue, so they wait there."""

    def __init__(self, rt, queue: str) -> None:
        self.rt, self.queue = rt, queue

    def __enter__(self) -> _Paused:
        self.rt.celery.control.cancel_consumer(self.queue, reply=True, timeout=2)
        return self

    def __exit__(self, *_: object) -> None:
        self.rt.celery.control.add_consumer(self.queue, reply=True, timeout=2)


def _fresh(rt, user: User) -> User:
    with rt.session() as session:
        found = session.get(User, user.id)
        assert found is not None
        session.expunge(found)
        return found


def test_purged_upload_fails_with_the_reason_and_can_be_reprocessed(runtime):
    owner = factories.make_user(runtime)
    admin = factories.make_user(runtime, role="admin")
    with _Paused(runtime, "document_processing"):
        upload = factories.upload(runtime, owner, "pharos.txt", TEXT)
        assert upload.task is not None
        with runtime.session() as session:
            removed = admin_ops.purge_queue(
                session=session,
                celery=runtime.celery,
                user=_fresh(runtime, admin),
                queue="document_processing",
            )
    assert removed >= 1

    doc = factories.get_document(runtime, upload.document.id)
    assert doc.processing_status == "failed"
    assert "Removed from the document_processing queue by an administrator" in (
        doc.processing_error or ""
    )
    with runtime.session() as session:
        record = session.get(TaskRecord, upload.task.task_id)
        assert record is not None and record.state == "REVOKED"
        again = library.reprocess_document(
            session=session,
            celery=runtime.celery,
            user=_fresh(runtime, owner),
            document_id=doc.id,
        )
    task_records.wait_for_task(celery=runtime.celery, task_id=again.task_id, timeout=120)
    doc = factories.get_document(runtime, doc.id)
    assert doc.processing_status == "ready" and doc.processing_error is None


def test_cancelled_upload_fails_with_who_cancelled_it(runtime):
    owner = factories.make_user(runtime)
    with _Paused(runtime, "document_processing"):
        upload = factories.upload(runtime, owner, "cancel-me.txt", TEXT + b" Cancelled.")
        assert upload.task is not None
        with runtime.session() as session:
            task_records.cancel_task(
                session=session,
                celery=runtime.celery,
                user=_fresh(runtime, owner),
                task_id=upload.task.task_id,
            )
    doc = factories.get_document(runtime, upload.document.id)
    assert doc.processing_status == "failed"
    assert doc.processing_error == f"Cancelled by {owner.email}."


def test_purged_question_says_it_was_removed(runtime):
    owner = factories.make_user(runtime)
    admin = factories.make_user(runtime, role="admin")
    factories.upload_and_wait(runtime, owner, "pharos-q.txt", TEXT + b" Question test.")
    with _Paused(runtime, "question_answering"):
        with runtime.session() as session:
            question, _ = questions.submit_question(
                session=session,
                celery=runtime.celery,
                user=_fresh(runtime, owner),
                question="Where was the lighthouse built?",
                priority=False,
            )
            question_id = question.id
        with runtime.session() as session:
            admin_ops.purge_queue(
                session=session,
                celery=runtime.celery,
                user=_fresh(runtime, admin),
                queue="question_answering",
            )
    with runtime.session() as session:
        exchange = conversation.get_exchange(
            session=session, user=_fresh(runtime, owner), question_id=question_id
        )
        stored = session.get(Question, question_id)
        assert stored is not None and stored.answered_at is None
    assert exchange.state == conversation.FAILED
    assert "Removed from the question_answering queue" in (exchange.error or "")


def test_stuck_view_keeps_tasks_that_beat_flagged(runtime):
    owner = factories.make_user(runtime)
    admin = _fresh(runtime, factories.make_user(runtime, role="admin"))
    waited = timedelta(seconds=runtime.settings.stuck_pending_seconds + 60)
    with runtime.session() as session:
        session.add(
            TaskRecord(
                task_id="lost-message-0001",
                name="workers.tasks.documents.process_document",
                queue="document_processing",
                user_id=owner.id,
                args={"document_id": -1, "user_id": owner.id},
                state="PENDING",
                queued_at=utcnow() - waited,
            )
        )

    def stuck_ids() -> set[str]:
        with runtime.session() as session:
            rows = admin_tasks.stuck_tasks(session=session, user=admin, settings=runtime.settings)
            return {row.record.task_id for row, _ in rows}

    assert "lost-message-0001" in stuck_ids()
    with runtime.session() as session:
        flagged = maintenance.flag_stuck_tasks(session=session, settings=runtime.settings)
    assert "lost-message-0001" in flagged
    assert "lost-message-0001" in stuck_ids()
    with runtime.session() as session:
        record = session.get(TaskRecord, "lost-message-0001")
        assert record is not None and record.state == "STUCK"
        assert record.error and record.error.startswith("Stuck: Queued")


def test_waiting_for_a_result_looks_soon_then_less_often(monkeypatch):
    from backend.ledger import results

    class Backend:
        calls = 0

        def get_task_meta(self, task_id, cache=False):
            self.calls += 1
            return {"status": "SUCCESS" if self.calls == 7 else "STARTED"}

    clock = {"now": 1000.0}
    pauses: list[float] = []

    def sleep(seconds: float) -> None:
        pauses.append(seconds)
        clock["now"] += seconds

    monkeypatch.setattr(results.time, "sleep", sleep)
    monkeypatch.setattr(results.time, "monotonic", lambda: clock["now"])

    meta = results.wait_for_result(Backend(), "t", timeout=60)

    assert meta["status"] == "SUCCESS"
    assert pauses == [0.005, 0.01, 0.02, 0.02, 0.02, 0.02]  # the first seconds: every 20 ms

    Backend.calls = -200  # a long task: after two seconds, every 50 ms
    pauses.clear()
    results.wait_for_result(Backend(), "t", timeout=60)
    assert pauses[:3] == [0.005, 0.01, 0.02]
    assert set(pauses[-5:]) == {0.05} and 0.05 not in pauses[: int(2.0 / 0.02)]
