"""All tasks page: another user's failure with its error and Flower link, retry, bulk retry,
cancel, pagination, stuck view; the services refuse non-admins."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from backend.errors import PermissionDenied
from backend.ledger import admin_tasks, task_records
from backend.ledger.admin_tasks import TaskFilters
from backend.models import AuditEntry, TaskRecord, utcnow
from tests import factories, pdfs
from tests.admin_support import fresh_caches, open_admin_page  # noqa: F401
from tests.test_dashboard_support import button, messages, texts

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
    assert list(frame["Task"]) == [doc.processing_task_id]
    row = frame.iloc[0]
    assert row["User"] == owner.email and "no extractable text" in row["Error"]
    base = runtime.settings.flower_url.rstrip("/")
    assert row["Flower"] == f"{base}/task/{doc.processing_task_id}"
    assert "1 tasks match · page 1 of 1" in texts(at)

    at.selectbox(key="admin_tasks_selected").select(doc.processing_task_id).run()
    button(at, "Retry task").click().run()
    assert any(m.startswith("Retrying task") for m in messages(at, "success"))
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
    at.selectbox(key="admin_tasks_selected").select("stuck-task-0001").run()
    button(at, "Cancel task").click().run()
    assert "Cancelled task stuck-ta." in messages(at, "success")
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
