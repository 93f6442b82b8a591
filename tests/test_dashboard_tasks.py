"""My tasks page: the user's ledger with filters, each task saying what it was for; select a
row to see its details, cancel a queued task or retry a failed one."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from backend.models import Question, TaskRecord
from tests import factories, pdfs
from tests.test_dashboard_support import (
    SMALL_TEXT,
    button,
    messages,
    open_page,
    select_row,
    texts,
)

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
    assert sorted(table["What"]) == ["bees.txt", "scan.pdf"]
    assert all(len(task) == 8 for task in table["Task"])
    failed = table[table["State"] == "failed"].iloc[0]
    assert failed["What"] == "scan.pdf"
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
        question = Question(user_id=user.id, text="Where is the honey sold on Saturdays?")
        session.add(question)
        session.flush()
        session.add(
            TaskRecord(
                task_id="waiting-task-0001",
                name="workers.tasks.questions.answer_question",
                queue="question_answering",
                user_id=user.id,
                args={"question_id": question.id, "user_id": user.id},
                state="PENDING",
            )
        )
    at = open_page(user, "tasks")
    failed = doc.processing_task_id
    assert failed is not None
    # No picker: the table's rows are selected, and nothing is until one is.
    assert not [b for b in at.selectbox if b.label == "Task"]
    assert not [b for b in at.button if b.label in ("Cancel task", "Retry task")]
    assert "Select a row to see the task's details and cancel or retry it." in texts(at)

    select_row(at, failed[:8])
    assert f"Task {failed}" in texts(at)
    assert "This PDF has no extractable text" in texts(at)  # the whole error, in the details
    assert button(at, "Cancel task").disabled
    button(at, "Retry task").click().run()
    assert f"Retrying process document {failed[:8]} (scan.pdf) as task" in " ".join(
        messages(at, "success")
    )
    with runtime.session() as session:
        retried = session.scalar(select(TaskRecord).where(TaskRecord.retry_of == failed))
    assert retried is not None and retried.user_id == user.id

    at.run()  # the retry is listed now, and the selection went with the old list
    assert retried.task_id[:8] in list(at.dataframe[0].value["Task"])
    assert not [b for b in at.button if b.label == "Cancel task"]
    select_row(at, "waiting-")
    row = at.dataframe[0].value.set_index("Task").loc["waiting-"]
    assert (row["What"], row["State"]) == ("Where is the honey sold on Saturdays?", "queued")
    assert button(at, "Retry task").disabled
    button(at, "Cancel task").click().run()
    assert (
        "Cancelled answer question waiting- (Where is the honey sold on Saturdays?)."
        in messages(at, "success")
    )
    with runtime.session() as session:
        cancelled = session.get(TaskRecord, "waiting-task-0001")
    assert cancelled.state == "REVOKED" and user.email in cancelled.error
    # The same row now says so, with the same word in the table and the details.
    assert at.dataframe[0].value.set_index("Task").loc["waiting-"]["State"] == "cancelled"
    assert "<b>Answer question</b> · Where is the honey sold on Saturdays? · cancelled" in texts(at)
    assert not button(at, "Retry task").disabled


def test_state_filter_and_table_say_the_same_words(runtime):
    user = factories.make_user(runtime)
    with runtime.session() as session:
        states = ("PENDING", "STARTED", "RETRY", "STUCK", "SUCCESS", "FAILURE", "REVOKED")
        for i, state in enumerate(states):
            session.add(
                TaskRecord(
                    task_id=f"t{i}-{state.lower()}",
                    name="workers.tasks.documents.process_document",
                    queue="document_processing",
                    user_id=user.id,
                    args={"document_id": 999, "user_id": user.id},
                    state=state,
                )
            )
    at = open_page(user, "tasks")
    shown = set(at.dataframe[0].value["State"])
    assert shown == {
        "queued", "running", "retrying", "stuck", "succeeded", "failed", "cancelled"
    }  # fmt: skip
    assert shown == set(at.selectbox[0].options) - {"Any state"}
    assert set(at.dataframe[0].value["What"]) == {"deleted document 999"}
    at.selectbox[0].select("STUCK").run()
    assert list(at.dataframe[0].value["State"]) == ["stuck"]
    select_row(at, "t3-stuck")
    assert "<b>Process document</b> · deleted document 999 · stuck" in texts(at)
