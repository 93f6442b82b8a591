"""Operations page: queues with priority sub-queues, workers, 'no workers', purge with audit."""

from __future__ import annotations

import re

import pytest
import streamlit as st
from sqlalchemy import select

from backend.accounts import audit
from backend.errors import PermissionDenied
from backend.models import AuditEntry, QueueDepthSample
from backend.operations import admin_ops, queue_history
from backend.runtime import build_runtime
from dashboard import common
from tests import factories
from tests.admin_support import fresh_caches, open_admin_page  # noqa: F401
from tests.test_dashboard_support import button, messages, texts

pytestmark = pytest.mark.usefixtures("worker")
QUEUE = "document_processing"
TASK = "workers.tasks.documents.process_document"


def _pause_consuming(rt, queue: str) -> None:
    """Make the running worker stop taking messages from one queue (so they wait there)."""
    rt.celery.control.cancel_consumer(queue, reply=True, timeout=2)


def _resume_consuming(rt, queue: str) -> None:
    rt.celery.control.add_consumer(queue, reply=True, timeout=2)


def test_shows_queues_and_the_running_worker_with_flower_links(runtime, monkeypatch):
    admin = factories.make_user(runtime, role="admin")
    at = open_admin_page(admin, "operations")

    shown = texts(at)
    assert "Queues" in shown and "Workers" in shown
    workers = at.dataframe[1].value
    assert list(workers["Status"]) == ["answering"]
    name = workers["Worker"].iloc[0]
    assert "document_processing" in workers["Queues"].iloc[0]
    base = runtime.settings.flower_url.rstrip("/")
    assert workers["Flower"].iloc[0] == f"{base}/worker/{name}"
    assert workers["Tasks tab"].iloc[0] == f"{base}/worker/{name}#tab-tasks"
    # The figures and links before the long queue list, so they fit in a 1280 px window.
    assert list(workers.columns) == [
        "Worker", "Status", "Active", "Reserved", "Processed", "Uptime", "Last seen", "Flower",
        "Tasks tab", "Pool", "Queues",
    ]  # fmt: skip
    assert re.fullmatch(r"\d+ (s|min)", workers["Uptime"].iloc[0]), workers["Uptime"].iloc[0]
    assert not [m for m in messages(at, "error") if "No workers" in m]


def test_flower_links_keep_a_url_prefix():
    from backend.operations.flower import FlowerLinks

    links = FlowerLinks.from_url("https://ops.example.com/flower/")
    assert links.worker("celery@host-1", "pool") == (
        "https://ops.example.com/flower/worker/celery@host-1#tab-pool"
    )
    assert links.task("abc") == "https://ops.example.com/flower/task/abc"
    assert links.failed_tasks() == "https://ops.example.com/flower/tasks?state=FAILURE"


def test_no_workers_is_a_loud_state(runtime, settings, monkeypatch):
    """A broker no worker listens on: the page says plainly that nothing will run."""
    lonely = build_runtime(
        settings.model_copy(update={"celery_broker_url": f"{settings.redis_url}/11"})
    )
    monkeypatch.setattr(common, "runtime", lambda: lonely)
    admin = factories.make_user(runtime, role="admin")
    try:
        at = open_admin_page(admin, "operations")
    finally:
        lonely.close()
    assert any(m.startswith("No workers are answering") for m in messages(at, "error")), texts(at)


def test_purge_asks_with_queue_and_count_then_empties_it_and_audits(runtime, monkeypatch):
    admin = factories.make_user(runtime, role="admin")
    _pause_consuming(runtime, QUEUE)
    try:
        for priority in (0, 0, 5):
            runtime.celery.send_task(TASK, kwargs={"document_id": -1}, priority=priority)
        report = admin_ops.queues(celery=runtime.celery, user=admin)
        depth = {q.name: q for q in report.queues}[QUEUE]
        assert depth.messages == 3 and depth.sub_queues == {QUEUE: 2, f"{QUEUE}:5": 1}

        at = open_admin_page(admin, "operations")
        at.selectbox(key="ops_purge_queue").select(QUEUE).run()
        button(at, "Purge…").click().run()
        assert any(m.startswith(f"Purge 3 messages from {QUEUE}?") for m in messages(at, "warning"))
        spinners: list[str] = []
        real_spinner = st.spinner

        def recording_spinner(text: str = "", *args, **kwargs):
            spinners.append(text)
            return real_spinner(text, *args, **kwargs)

        with monkeypatch.context() as patch:
            patch.setattr(st, "spinner", recording_spinner)
            button(at, "Confirm purge").click().run()
        assert spinners == [f"Purging {QUEUE}…"]
        assert f"Purged 3 messages from {QUEUE}." in messages(at, "success")
        after = {q.name: q for q in admin_ops.queues(celery=runtime.celery, user=admin).queues}
        assert after[QUEUE].messages == 0
    finally:
        _resume_consuming(runtime, QUEUE)
    with runtime.session() as session:
        entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "purge_queue"))
    assert entry is not None and entry.actor_email == admin.email and entry.target == QUEUE
    assert entry.data["removed"] == 3
    assert "Recent purges" in texts(at)


def test_purging_an_empty_queue_says_so_and_offers_nothing(runtime):
    admin = factories.make_user(runtime, role="admin")
    _pause_consuming(runtime, QUEUE)
    try:
        runtime.celery.control.purge()
        at = open_admin_page(admin, "operations")
        at.selectbox(key="ops_purge_queue").select(QUEUE).run()
        button(at, "Purge…").click().run()
        assert f"{QUEUE} is empty: there is nothing to purge." in messages(at, "info")
        assert not [m for m in messages(at, "warning") if m.startswith("Purge ")]
        assert "cannot be brought back" not in texts(at)
        labels = [b.label for b in at.button]
        assert "Confirm purge" not in labels and "Keep them" not in labels
    finally:
        _resume_consuming(runtime, QUEUE)


def test_purge_note_names_the_menu_entry_of_the_task_browser(runtime):
    admin = factories.make_user(runtime, role="admin")
    at = open_admin_page(admin, "operations")
    shown = texts(at)
    assert "cancel those from All tasks in the menu." in shown
    assert "Tasks page" not in shown


def test_beat_samples_store_depths(runtime, tmp_path):
    from workers.celery_app import QueueSamplingScheduler

    beat = QueueSamplingScheduler(app=runtime.celery, schedule_filename=str(tmp_path), lazy=True)
    assert beat.sample_queues() == 4
    with runtime.session() as session:
        assert len(list(session.scalars(select(QueueDepthSample)))) == 4
    admin = factories.make_user(runtime, role="admin")
    with runtime.session() as session:
        points = queue_history.depth_history(session=session, user=admin, minutes=5)
    assert {p.queue for p in points} == {
        "high_priority",
        "question_answering",
        "document_processing",
        "user_management",
    }


def test_operations_services_refuse_non_admins(runtime):
    user = factories.make_user(runtime, role="premium")
    with pytest.raises(PermissionDenied):
        admin_ops.queues(celery=runtime.celery, user=user)
    with pytest.raises(PermissionDenied):
        admin_ops.workers(celery=runtime.celery, cache=runtime.redis, user=user)
    with runtime.session() as session, pytest.raises(PermissionDenied):
        admin_ops.purge_queue(session=session, celery=runtime.celery, user=user, queue=QUEUE)
    with runtime.session() as session, pytest.raises(PermissionDenied):
        audit.recent_entries(session=session, user=user)
    with runtime.session() as session, pytest.raises(PermissionDenied):
        queue_history.depth_history(session=session, user=user)
