"""My tasks page: the user's ledger with filters; cancel a queued task, retry a failed one."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from backend.models import TaskRecord
from tests import factories, pdfs
from tests.test_dashboard_support import SMALL_TEXT, button, messages, open_page, texts

pytestmark = pytest.mark.usefixtures("worker")


def test_shows_own_tasks_filtered_and_not_other_users(runtime):
    user = factories.make_user(runtime)
    other = factories.make_user(runtime)
    factories.upload_and_wait(runtime, user, "bees.txt", SMALL_TEXT)
    factories.upload_and_wait(runtime, user, "scan.pdf", pdfs.shapes_only_pdf())
    factories.upload_and_wait(runtime, other, "theirs.txt", b"Someone else's file.")

    at = open_page(user, "tasks")
    table = at.dataframe[0].value
    assert sorted(table["State"]) == ["failed", "succeeded"]
    assert set(table["Type"]) == {"Process document"}
    assert set(table["Queue"]) == {"document_processing"}
    failed = table[table["State"] == "failed"].iloc[0]
    assert "no extractable text" in failed["Error"]
    with runtime.session() as session:
        theirs = session.scalar(select(TaskRecord).where(TaskRecord.user_id == other.id))
    assert theirs.task_id[:8] not in texts(at)

    at.selectbox[0].select("FAILURE").run()
    assert list(at.dataframe[0].value["State"]) == ["failed"]
    at.selectbox[1].select("Answer question").run()
    assert "No tasks match these filters." in messages(at, "info")


def test_retry_a_failed_task_and_cancel_a_queued_one(runtime):
    user = factories.make_user(runtime)
    doc = factories.upload_and_wait(runtime, user, "scan.pdf", pdfs.shapes_only_pdf())
    with runtime.session() as session:
        session.add(
            TaskRecord(
                task_id="waiting-task-0001",
                name="workers.tasks.questions.answer_question",
                queue="question_answering",
                user_id=user.id,
                args={"question_id": 1, "user_id": user.id},
                state="PENDING",
            )
        )
    at = open_page(user, "tasks")

    picker = at.selectbox(key="tasks_selected")
    assert len(picker.options) == 2
    picker.select(doc.processing_task_id).run()
    button(at, "Retry task").click().run()
    assert any(m.startswith("Retrying process document") for m in messages(at, "success"))
    with runtime.session() as session:
        retried = session.scalar(
            select(TaskRecord).where(TaskRecord.retry_of == doc.processing_task_id)
        )
    assert retried is not None and retried.user_id == user.id

    at.selectbox(key="tasks_selected").select("waiting-task-0001").run()
    assert button(at, "Retry task").disabled
    button(at, "Cancel task").click().run()
    assert "Cancelled answer question waiting-." in messages(at, "success")
    with runtime.session() as session:
        cancelled = session.get(TaskRecord, "waiting-task-0001")
    assert cancelled.state == "REVOKED" and user.email in cancelled.error
