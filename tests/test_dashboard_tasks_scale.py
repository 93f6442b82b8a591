"""All tasks over a ledger of 100,000 task records: the page loads in bounded time, and each
row still says what it was for (file name, question, account) from one query per page.

The figures (AppTest run time of the page, p50 and p95 over repeated loads, and the time of
each service call the page makes) are printed; run with `-s` to read them.
"""

from __future__ import annotations

import json
import statistics
import time
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event, insert, select

from backend.ledger import admin_tasks
from backend.ledger.admin_tasks import TaskFilters
from backend.ledger.task_view import task_rows
from backend.models import Document, Question, TaskRecord, User, utcnow
from tests import factories
from tests.admin_support import fresh_caches, open_admin_page  # noqa: F401

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("worker")]

TASKS = 100_000
USERS = 40
DOCUMENTS = 4_000
QUESTIONS = 10_000
LOADS = 20
STATES = ("SUCCESS",) * 14 + ("FAILURE", "FAILURE", "REVOKED", "PENDING", "STARTED", "RETRY")
ERROR = "This PDF has no extractable text; it may be a scanned image. Run OCR on it first."


def _fill(runtime) -> int:
    """100,000 ledger rows over the last 30 days: document, question and account tasks of
    USERS accounts, with their documents and questions; returns the admin's id."""
    now = utcnow()
    admin = factories.make_user(runtime, role="admin", email="scale-admin@example.com")
    with runtime.engine.begin() as conn:
        conn.execute(
            insert(User),
            [
                {"email": f"user{u:03d}@example.com", "password_hash": "x", "role": "user"}
                for u in range(USERS)
            ],
        )
        ids = [
            row[0]
            for row in conn.execute(
                select(User.id).where(User.email.like("user%@example.com")).order_by(User.id)
            )
        ]
        conn.execute(
            insert(Document),
            [
                {
                    "owner_id": ids[d % USERS],
                    "filename": f"report-{d:05d}.pdf",
                    "size_bytes": 1000,
                    "sha256": f"{d:064d}",
                    "processing_status": "ready",
                }
                for d in range(DOCUMENTS)
            ],
        )
        conn.execute(
            insert(Question),
            [
                {"user_id": ids[q % USERS], "text": f"What does report {q} say about the hives?"}
                for q in range(QUESTIONS)
            ],
        )
        documents = [(r[0], r[1]) for r in conn.execute(select(Document.id, Document.owner_id))]
        questions = [(r[0], r[1]) for r in conn.execute(select(Question.id, Question.user_id))]
        batch: list[dict[str, Any]] = []
        for i in range(TASKS):
            state = STATES[i % len(STATES)]
            kind = i % 10
            if kind < 5:
                doc, owner = documents[i % len(documents)]
                name, queue = "workers.tasks.documents.process_document", "document_processing"
                args: dict[str, Any] = {"document_id": doc, "user_id": owner}
            elif kind < 9:
                question, owner = questions[i % len(questions)]
                name, queue = "workers.tasks.questions.answer_question", "question_answering"
                args = {"question_id": question, "user_id": owner}
            else:
                owner = ids[i % USERS]
                name, queue = "workers.tasks.users.generate_user_report", "user_management"
                args = {"user_id": owner, "days": 30}
            queued = now - timedelta(seconds=i * 26)  # 100,000 rows over 30 days
            batch.append(
                {
                    "task_id": f"{i:08x}-scale-0000-0000-000000000000",
                    "name": name,
                    "queue": queue,
                    "user_id": owner,
                    "args": args,
                    "args_summary": json.dumps(args, sort_keys=True),
                    "state": state,
                    "queued_at": queued,
                    "started_at": queued + timedelta(seconds=1),
                    "finished_at": queued + timedelta(seconds=3) if state != "STARTED" else None,
                    "runtime_ms": 2000.0,
                    "retries": 0,
                    "error": ERROR if state == "FAILURE" else None,
                    "worker": "celery@scale-host",
                }
            )
            if len(batch) == 10_000:
                conn.execute(insert(TaskRecord), batch)
                batch = []
        if batch:
            conn.execute(insert(TaskRecord), batch)
    if runtime.engine.dialect.name == "postgresql":
        with runtime.engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE task_records; ANALYZE documents; ANALYZE questions;")
    return admin.id


def _percentiles(times: list[float]) -> tuple[float, float]:
    ordered = sorted(times)
    return statistics.median(ordered), ordered[max(0, round(0.95 * len(ordered)) - 1)]


def test_all_tasks_page_over_100k_records(runtime):
    started = time.perf_counter()
    admin_id = _fill(runtime)
    filled = time.perf_counter() - started
    with runtime.session() as session:
        admin = session.get(User, admin_id)
        assert session.scalar(select(TaskRecord.task_id).limit(1)) is not None
    assert admin is not None

    at = open_admin_page(admin, "tasks")
    frame = at.dataframe[0].value
    assert len(frame) == admin_tasks.PAGE_SIZE
    assert all(what for what in frame["What"]), frame["What"]
    assert any(what.startswith("report-") for what in frame["What"])
    assert any(what.startswith("What does report") for what in frame["What"])

    loads = []
    for _ in range(LOADS):
        begin = time.perf_counter()
        at.run()
        loads.append(time.perf_counter() - begin)
        assert not at.exception, [e.value for e in at.exception]
    p50, p95 = _percentiles(loads)

    (period,) = [box for box in at.selectbox if box.label == "Period"]
    period.select("All time").run()
    assert "100000 tasks match · page 1 of 2000" in [str(c.value) for c in at.caption]
    everything = []
    for _ in range(LOADS):
        begin = time.perf_counter()
        at.run()
        everything.append(time.perf_counter() - begin)
    all_p50, all_p95 = _percentiles(everything)

    # The page's service calls one by one, and how many statements describing a page takes.
    calls: dict[str, list[float]] = {}
    statements: list[str] = []
    with runtime.session() as session:
        me = session.get(User, admin_id)
        assert me is not None
        since = utcnow() - timedelta(days=7)
        filters = TaskFilters(since=since)
        for _ in range(5):
            for label, call in (
                ("task names", lambda: admin_tasks.task_names(session=session, user=me)),
                (
                    "browse page",
                    lambda: admin_tasks.browse_tasks(session=session, user=me, filters=filters),
                ),
                (
                    "count failed",
                    lambda: admin_tasks.count_failed(session=session, user=me, filters=filters),
                ),
                (
                    "stuck",
                    lambda: admin_tasks.stuck_tasks(
                        session=session, user=me, settings=runtime.settings
                    ),
                ),
            ):
                begin = time.perf_counter()
                call()
                calls.setdefault(label, []).append(time.perf_counter() - begin)
        page = admin_tasks.browse_tasks(session=session, user=me, filters=filters)
        records = [r.record for r in page.rows]

        def count(conn, cursor, statement, *args) -> None:
            statements.append(statement)

        event.listen(runtime.engine, "before_cursor_execute", count)
        try:
            for _ in range(5):
                begin = time.perf_counter()
                rows = task_rows(session=session, records=records)
                calls.setdefault("describe page", []).append(time.perf_counter() - begin)
        finally:
            event.remove(runtime.engine, "before_cursor_execute", count)
    assert len(statements) == 5  # one query per page, five pages described
    assert all(r.subject for r in rows)

    print(
        f"\n{TASKS:,} task records ({runtime.engine.dialect.name}), filled in {filled:.1f} s; "
        f"All tasks page over {LOADS} loads (AppTest run): p50 {p50 * 1000:.0f} ms, "
        f"p95 {p95 * 1000:.0f} ms"
    )
    print(f"  period 'All time' (100,000 rows counted): p50 {all_p50 * 1000:.0f} ms, "
          f"p95 {all_p95 * 1000:.0f} ms")  # fmt: skip
    for label, times in calls.items():
        print(f"  {label}: median {statistics.median(times) * 1000:.1f} ms")
