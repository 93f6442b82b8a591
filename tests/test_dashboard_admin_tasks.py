"""All tasks page: another user's failure with its error and Flower link, what each task was
for, row selection with cancel, terminate, retry and Flower, bulk retry, pagination, stuck
view; the services refuse non-admins."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import event, select

from backend.errors import PermissionDenied
from backend.ledger import admin_tasks, task_records
from backend.ledger.admin_tasks import TaskFilters
from backend.ledger.task_view import task_rows
from backend.models import AuditEntry, Document, Question, TaskRecord, User, utcnow
from tests import factories, pdfs
from tests.admin_support import fresh_caches, open_admin_page  # noqa: F401
from tests.test_dashboard_support import button, messages, select_row, texts

pytestmark = pytest.mark.usefixtures("worker")


def _wait_retry_of(runtime, task_id: str) -> TaskRecord:
    with runtime.session() as session:
        retried = session.scalar(select(TaskRecord).where(TaskRecord.retry_of == task_id))
    assert retried is not None
    try:
        task_records.wait_for_task(celery=runtime.celery, task_id=retried.task_id, timeout=60)
    except task_records.TaskFailed:
        pass
    with runtime.session() as session:
        fresh = session.get(TaskRecord, retried.task_id)
    assert fresh is not None
    return fresh


def test_failed_task_of_another_user_shows_error_and_flower_link_and_retries(runtime):
    admin = factories.make_user(runtime, role="admin")
    owner = factories.make_user(runtime)
    doc = factories.upload_and_wait(runtime, owner, "scan.pdf", pdfs.shapes_only_pdf())
    at = open_admin_page(admin, "tasks")

    at.selectbox[0].select("FAILURE").run()
    frame = at.dataframe[0].value
    assert list(frame["Task"]) == [doc.processing_task_id[:8]]
    row = frame.iloc[0]
    assert row["User"] == owner.email and "no extractable text" in row["Error"]
    assert (row["What"], row["State"]) == ("scan.pdf", "failed")
    base = runtime.settings.flower_url.rstrip("/")
    assert row["Flower"] == f"{base}/task/{doc.processing_task_id}"
    assert "1 tasks match · page 1 of 1" in texts(at)

    assert not [b for b in at.selectbox if b.label == "Task to act on"]
    select_row(at, doc.processing_task_id[:8])
    assert f"Task {doc.processing_task_id} · user {owner.email}" in texts(at)
    (flower,) = at.link_button
    assert (flower.value, flower.proto.url) == (
        "Open in Flower",
        f"{base}/task/{doc.processing_task_id}",
    )
    button(at, "Retry task").click().run()
    assert any(
        m.startswith(f"Retrying process document {doc.processing_task_id[:8]} (scan.pdf) as")
        for m in messages(at, "success")
    )
    retried = _wait_retry_of(runtime, doc.processing_task_id)
    assert retried.user_id == owner.id
    assert retried.state == "FAILURE"  # the same unreadable PDF fails again, now linked
    with runtime.session() as session:
        entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "retry_task"))
    assert entry is not None and entry.target == doc.processing_task_id


def test_bulk_retry_of_filtered_failures_counts_and_confirms(runtime):
    admin = factories.make_user(runtime, role="admin")
    failed = [
        factories.upload_and_wait(
            runtime, factories.make_user(runtime), "scan.pdf", pdfs.shapes_only_pdf()
        )
        for _ in range(2)
    ]
    at = open_admin_page(admin, "tasks")
    button(at, "Retry 2 failed tasks…").click().run()
    assert any(m.startswith("Retry 2 failed tasks") for m in messages(at, "warning"))
    button(at, "Confirm retry").click().run()
    assert "Retrying 2 failed tasks." in messages(at, "success")
    for doc in failed:
        assert _wait_retry_of(runtime, doc.processing_task_id).retry_of == doc.processing_task_id
    with runtime.session() as session:
        entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "bulk_retry"))
        # The originals were retried, so only the (failing again) retries are offered now.
        assert admin_tasks.count_failed(session=session, user=admin, filters=TaskFilters()) == 2
    assert entry is not None and sorted(entry.data["task_ids"]) == sorted(
        d.processing_task_id for d in failed
    )


def test_cancel_a_queued_task_and_see_it_as_stuck(runtime):
    admin = factories.make_user(runtime, role="admin")
    owner = factories.make_user(runtime)
    with runtime.session() as session:
        session.add(
            TaskRecord(
                task_id="stuck-task-0001",
                name="workers.tasks.questions.answer_question",
                queue="question_answering",
                user_id=owner.id,
                args={"question_id": 1, "user_id": owner.id},
                state="PENDING",
                queued_at=utcnow() - timedelta(hours=3),
            )
        )
    at = open_admin_page(admin, "tasks")
    assert "Queued 180 min ago and not started." in texts(at)
    stuck = at.dataframe[1].value
    assert (stuck.iloc[0]["Task"], stuck.iloc[0]["What"]) == ("stuck-ta", "deleted question 1")
    select_row(at, "stuck-ta")
    button(at, "Cancel task").click().run()
    assert "Cancelled answer question stuck-ta (deleted question 1)." in messages(at, "success")
    with runtime.session() as session:
        record = session.get(TaskRecord, "stuck-task-0001")
    assert record.state == "REVOKED" and admin.email in record.error
    assert "Nothing is stuck." in messages(at, "success")


def test_pagination_and_text_filter_run_in_sql(runtime):
    admin = factories.make_user(runtime, role="admin")
    now = utcnow()
    with runtime.session() as session:
        session.add_all(
            TaskRecord(
                task_id=f"bulk-{i:04d}",
                name="workers.tasks.questions.answer_question",
                queue="question_answering",
                state="SUCCESS",
                args_summary=f'{{"question_id": {i}}}',
                queued_at=now - timedelta(seconds=i),
            )
            for i in range(120)
        )
    with runtime.session() as session:
        page = admin_tasks.browse_tasks(
            session=session, user=admin, filters=TaskFilters(), page=3, page_size=50
        )
        assert (page.total, page.pages, len(page.rows)) == (120, 3, 20)
        assert page.rows[0].record.task_id == "bulk-0100"
        found = admin_tasks.browse_tasks(
            session=session, user=admin, filters=TaskFilters(text='"question_id": 42}')
        )
        assert [r.record.task_id for r in found.rows] == ["bulk-0042"]


def _task(task_id: str, name: str, user_id: int | None, args: dict, **fields) -> TaskRecord:
    return TaskRecord(
        task_id=task_id,
        name=f"workers.tasks.{name}",
        queue=fields.pop("queue", "user_management"),
        user_id=user_id,
        args=args,
        args_summary=json.dumps(args, sort_keys=True),
        state=fields.pop("state", "SUCCESS"),
        **fields,
    )


def test_each_row_says_what_it_was_for_from_one_query(runtime):
    admin = factories.make_user(runtime, role="admin")
    owner = factories.make_user(runtime)
    target = factories.make_user(runtime)
    long_question = (
        "Which of the forty hives near the old mill on the river gave the most honey "
        "sold at the Saturday market in Elmsford last September?"
    )
    now = utcnow()
    with runtime.session() as session:
        doc = Document(owner_id=owner.id, filename="hives.pdf", size_bytes=10, sha256="0" * 64)
        question = Question(user_id=owner.id, text=long_question)
        session.add_all([doc, question])
        session.flush()
        session.add_all(
            [
                _task("a-doc", "documents.process_document", owner.id,
                      {"document_id": doc.id, "user_id": owner.id}, queue="document_processing",
                      queued_at=now),
                _task("b-question", "questions.answer_question", owner.id,
                      {"question_id": question.id, "user_id": owner.id},
                      queue="question_answering", queued_at=now - timedelta(seconds=1)),
                _task("c-account", "users.deactivate_user", admin.id,
                      {"target_user_id": target.id}, queued_at=now - timedelta(seconds=2)),
                _task("d-report", "users.generate_user_report", target.id,
                      {"user_id": target.id, "days": 30}, queued_at=now - timedelta(seconds=3)),
                _task("e-gone", "documents.delete_document", owner.id,
                      {"document_id": doc.id + 1000, "user_id": owner.id, "sha256": "x"},
                      queue="document_processing", queued_at=now - timedelta(seconds=4)),
            ]
        )  # fmt: skip
        session.flush()
        # Only the argument summary of a row may have been kept.
        session.get(TaskRecord, "c-account").args = None
    at = open_admin_page(admin, "tasks")
    frame = at.dataframe[0].value.set_index("Task")
    shortened = frame.loc["b-questi", "What"]
    assert shortened.endswith("…") and len(shortened) <= 60
    assert long_question.startswith(shortened[:-1])
    assert dict(frame["What"]) == {
        "a-doc": "hives.pdf",
        "b-questi": shortened,
        "c-accoun": target.email,
        "d-report": target.email,
        "e-gone": "deleted document " + str(doc.id + 1000),
    }
    select_row(at, "b-questi")
    assert f"<b>Answer question</b> · {shortened} · succeeded" in texts(at)

    statements: list[str] = []

    def count(conn, cursor, statement, *args) -> None:
        statements.append(statement)

    with runtime.session() as session:
        records = list(session.scalars(select(TaskRecord)))
        event.listen(runtime.engine, "before_cursor_execute", count)
        try:
            rows = task_rows(session=session, records=records)
        finally:
            event.remove(runtime.engine, "before_cursor_execute", count)
    assert len(statements) == 1, statements
    assert {r.subject for r in rows} >= {"hives.pdf", target.email}


def test_a_running_task_is_terminated_after_a_confirmation(runtime):
    admin = factories.make_user(runtime, role="admin")
    owner = factories.make_user(runtime)
    with runtime.session() as session:
        doc = Document(owner_id=owner.id, filename="big.pdf", size_bytes=10, sha256="0" * 64)
        session.add(doc)
        session.flush()
        session.add(
            _task("running-0001", "documents.process_document", owner.id,
                  {"document_id": doc.id, "user_id": owner.id}, queue="document_processing",
                  state="STARTED", started_at=utcnow(), worker="celery@elsewhere",
                  error=None)
        )  # fmt: skip
    at = open_admin_page(admin, "tasks")
    select_row(at, "running-")
    assert not [b for b in at.button if b.label == "Cancel task"]
    assert button(at, "Retry task").disabled
    button(at, "Terminate task…").click().run()
    assert (
        "Terminate running process document running- (big.pdf)? Its worker process is sent "
        "SIGTERM." in messages(at, "warning")
    )
    button(at, "Confirm terminate").click().run()
    assert "Cancelled process document running- (big.pdf)." in messages(at, "success")
    with runtime.session() as session:
        record = session.get(TaskRecord, "running-0001")
        entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "terminate_task"))
    assert record.state == "REVOKED"
    assert entry is not None and entry.target == "running-0001"
    assert at.dataframe[0].value.set_index("Task").loc["running-", "State"] == "cancelled"


def test_long_errors_stay_in_a_narrow_column_and_show_whole_in_the_details(runtime):
    admin = factories.make_user(runtime, role="admin")
    error = "Traceback: " + "the worker ran out of patience " * 30 + "and stopped."
    with runtime.session() as session:
        owner = session.scalar(select(User).where(User.id == admin.id))
        session.add(
            _task("failing-1", "users.generate_user_report", owner.id,
                  {"user_id": owner.id, "days": 30}, state="FAILURE", error=error)
        )  # fmt: skip
    at = open_admin_page(admin, "tasks")
    config = json.loads(at.dataframe[0].proto.columns)
    widths = {name: config[name]["width"] for name in ("Task", "What", "Error", "Flower")}
    assert widths["Error"] <= 150 and widths["Flower"] <= 80 and widths["Task"] <= 90, widths
    assert config["Flower"]["type_config"]["display_text"] == "open"
    order = list(at.dataframe[0].value.columns)
    assert order[:8] == ["Task", "What", "User", "State", "Queued", "Error", "Flower", "Type"]
    select_row(at, "failing-")
    assert f"<b>Error:</b> {error}" in texts(at)


def test_task_services_refuse_non_admins(runtime):
    user = factories.make_user(runtime, role="premium")
    with runtime.session() as session:
        for call in (
            lambda: admin_tasks.browse_tasks(session=session, user=user, filters=TaskFilters()),
            lambda: admin_tasks.count_failed(session=session, user=user, filters=TaskFilters()),
            lambda: admin_tasks.stuck_tasks(session=session, user=user, settings=runtime.settings),
            lambda: admin_tasks.retry_task(
                session=session, celery=runtime.celery, user=user, task_id="x"
            ),
        ):
            with pytest.raises(PermissionDenied):
                call()
