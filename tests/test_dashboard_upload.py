"""Upload page: several files at once, each its own task, progress read from document rows."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from backend.models import Document, TaskRecord, utcnow
from tests import factories, pdfs
from tests.test_dashboard_support import (
    SMALL_TEXT,
    button,
    messages,
    open_page,
    rerun_until,
    texts,
)

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


def test_outcomes_stay_until_cleared(runtime):
    user = factories.make_user(runtime)
    factories.upload_and_wait(runtime, user, "bees.txt", SMALL_TEXT)
    at = open_page(user, "upload")
    at.file_uploader[0].set_value(
        [("copy.txt", SMALL_TEXT, "text/plain"), ("empty.txt", b"", "text/plain")]
    )
    at.form_submit_button[0].click().run()
    for _ in range(2):
        at.run()
        assert "copy.txt is already in your documents as bees.txt." in messages(at, "info")
        assert "empty.txt: the file is empty." in messages(at, "error")
    button(at, "Clear").click().run()
    assert "copy.txt" not in texts(at) and "empty.txt" not in texts(at)


def test_embedding_progress_counts_passages_and_estimates_time_left(runtime):
    user = factories.make_user(runtime)
    started = utcnow() - timedelta(seconds=30)
    with runtime.session() as session:
        session.add(
            TaskRecord(task_id="t-embed", name="process", state="STARTED", started_at=started)
        )
        session.add(
            Document(
                owner_id=user.id,
                filename="big.txt",
                size_bytes=10,
                sha256="1" * 64,
                processing_status="processing",
                processing_stage="embedding 96 of 400",
                processing_progress=43,
                processing_task_id="t-embed",
            )
        )
    at = open_page(user, "upload")
    (bar,) = at.get("progress")
    label, left = bar.text.split(" · ")
    assert label == "**big.txt** — Embedding passages: 96 of 400"
    assert bar.value == 43
    # 30 s to reach 43 %: about 40 s more at that rate.
    seconds = int(re.fullmatch(r"about (\d+) s left", left)[1])
    assert 35 <= seconds <= 42


def test_embedding_reports_after_every_batch_with_the_count():
    import numpy as np

    from backend.documents import processing
    from backend.documents.ingest import ChunkDraft
    from backend.retrieval.pooling import TokenStates

    class Embedder:
        def read_passages(self, texts, spans):
            states = [TokenStates(np.ones((3, 4)) / 2, [(0, 3), (4, 12), (13, 17)])] * len(texts)
            return np.zeros((len(texts), 4)), [np.zeros((len(s), 4)) for s in spans], states

    reports: list[tuple[str, int]] = []
    drafts = [ChunkDraft(i, None, "One sentence here. And a second one.", 9) for i in range(100)]
    vectors, sentences = processing._embed_with_progress(
        Embedder(), drafts, lambda s, p: reports.append((s, p))
    )
    assert vectors.shape == (100, 4)
    assert [len(reading.spans) for reading in sentences] == [2] * 100
    assert all(reading.tokens for reading in sentences)  # each passage's token states, packed
    assert [s for s, _ in reports] == [
        "embedding 32 of 100",
        "embedding 64 of 100",
        "embedding 96 of 100",
        "embedding 100 of 100",
    ]
    assert [p for _, p in reports] == sorted(p for _, p in reports) and reports[-1][1] == 85
