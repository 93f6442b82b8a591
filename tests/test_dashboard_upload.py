"""Upload page: several files at once, each its own task, progress read from document rows."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from backend.models import Document, TaskRecord
from tests import factories, pdfs
from tests.test_dashboard_support import SMALL_TEXT, messages, open_page, rerun_until, texts

pytestmark = pytest.mark.usefixtures("worker")


def _documents(rt, user_id):
    with rt.session() as session:
        return list(session.scalars(select(Document).where(Document.owner_id == user_id)))


def test_each_file_is_its_own_task_and_ends_ready_or_with_the_reason(runtime):
    user = factories.make_user(runtime)
    at = open_page(user, "upload")
    assert "Files you upload appear here" in texts(at)

    at.file_uploader[0].set_value(
        [
            ("bees.txt", SMALL_TEXT, "text/plain"),
            ("scan.pdf", pdfs.shapes_only_pdf(), "application/pdf"),
            ("empty.txt", b"", "text/plain"),
        ]
    )
    at.form_submit_button[0].click().run()
    assert not at.exception

    # The empty file is refused at once with a sentence; the other two are queued separately.
    assert any("empty.txt" in m and "empty" in m for m in messages(at, "error"))
    docs = _documents(runtime, user.id)
    assert sorted(d.filename for d in docs) == ["bees.txt", "scan.pdf"]
    with runtime.session() as session:
        task_ids = {t.task_id for t in session.scalars(select(TaskRecord))}
    assert {d.processing_task_id for d in docs} <= task_ids
    assert len({d.processing_task_id for d in docs}) == 2

    rerun_until(at, lambda a: "bees.txt is ready" in texts(a) and "scan.pdf failed" in texts(a))
    shown = texts(at)
    assert "bees.txt is ready: 1 passage." in shown
    failure = next(m for m in messages(at, "error") if "scan.pdf failed" in m)
    scan = next(d for d in _documents(runtime, user.id) if d.filename == "scan.pdf")
    assert scan.processing_error and scan.processing_error in failure


def test_progress_shows_stage_while_processing_and_not_other_users_uploads(runtime):
    owner = factories.make_user(runtime)
    other = factories.make_user(runtime)
    factories.upload(runtime, other, "secret-plans.txt", SMALL_TEXT)
    at = open_page(owner, "upload")
    assert "secret-plans.txt" not in texts(at)

    with runtime.session() as session:
        doc = Document(
            owner_id=owner.id,
            filename="slow.txt",
            size_bytes=10,
            sha256="0" * 64,
            processing_status="processing",
            processing_stage="embedding",
            processing_progress=55,
        )
        session.add(doc)
    at.run()
    bars = at.get("progress")
    assert [b.text for b in bars] == ["**slow.txt** — Embedding passages"]
    assert bars[0].value == 55


def test_duplicate_upload_points_to_the_existing_document(runtime):
    user = factories.make_user(runtime)
    factories.upload_and_wait(runtime, user, "bees.txt", SMALL_TEXT)
    at = open_page(user, "upload")
    at.file_uploader[0].set_value(("copy.txt", SMALL_TEXT, "text/plain"))
    at.form_submit_button[0].click().run()
    assert "copy.txt is already in your documents as bees.txt." in messages(at, "info")
    assert len(_documents(runtime, user.id)) == 1
