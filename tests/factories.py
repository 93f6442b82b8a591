"""Builders for test data and the wipe between tests."""

from __future__ import annotations

import itertools
import time
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.exc import OperationalError

from backend.accounts import users
from backend.db import Base
from backend.documents import library
from backend.ledger import task_records
from backend.models import Chunk, Document, User
from backend.qa import questions
from backend.runtime import Runtime

_counter = itertools.count(1)
PASSWORD = "correct horse battery"


def make_user(rt: Runtime, *, role: str = "user", email: str | None = None) -> User:
    """A new active account with a known password."""
    email = email or f"user{next(_counter)}-{time.time_ns()}@example.com"
    with rt.session() as session:
        return users.create_user(session=session, email=email, password=PASSWORD, role=role)


def upload(rt: Runtime, user: User, filename: str, data: bytes) -> library.UploadResult:
    """Upload through the service, as every door does."""
    with rt.session() as session:
        fresh = session.get(User, user.id)
        assert fresh is not None
        return library.upload_document(
            session=session,
            celery=rt.celery,
            uploads=rt.uploads,
            settings=rt.settings,
            user=fresh,
            filename=filename,
            data=data,
        )


def upload_and_wait(rt: Runtime, user: User, filename: str, data: bytes) -> Document:
    """Upload, wait for the worker, and return the document row as it ended."""
    result = upload(rt, user, filename, data)
    if result.task is not None:
        try:
            task_records.wait_for_task(celery=rt.celery, task_id=result.task.task_id, timeout=120)
        except task_records.TaskFailed:
            pass
    return get_document(rt, result.document.id)


def get_document(rt: Runtime, document_id: int) -> Document:
    with rt.session() as session:
        doc = session.get(Document, document_id)
        assert doc is not None
        return doc


def document_chunks(rt: Runtime, document_id: int) -> list[Chunk]:
    """The document's stored passages, in order."""
    with rt.session() as session:
        query = select(Chunk).where(Chunk.document_id == document_id).order_by(Chunk.ordinal)
        return list(session.scalars(query))


def ask_and_wait(rt: Runtime, user: User, question: str, **kwargs: Any) -> dict[str, Any]:
    """Ask through the queue and wait for the worker's answer."""
    with rt.session() as session:
        fresh = session.get(User, user.id)
        assert fresh is not None
        _, task = questions.submit_question(
            session=session, celery=rt.celery, user=fresh, question=question, **kwargs
        )
    result = task_records.wait_for_task(celery=rt.celery, task_id=task.task_id, timeout=60)
    result["task_id"] = task.task_id
    return result


def _empty_tables(rt: Runtime) -> None:
    with rt.engine.begin() as conn:
        if rt.engine.dialect.name == "postgresql":
            names = ", ".join(t.name for t in Base.metadata.sorted_tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in reversed(Base.metadata.sorted_tables):
                conn.execute(table.delete())


def _settle_tasks(rt: Runtime) -> None:
    """Drop the tasks a test left queued, let the in-process worker finish those it holds and
    revoke the retries it holds for later.

    Ids start again at 1 after a wipe, so a task left behind (a deactivation a test sent without
    waiting for it, retried after the wipe's TRUNCATE made it a deadlock's victim, say) would
    otherwise act on a later test's rows of the same id."""
    from celery.worker import state

    rt.celery.control.purge()
    deadline = time.monotonic() + 30
    while (state.active_requests or state.reserved_requests) and time.monotonic() < deadline:
        time.sleep(0.02)
    later = [request.id for request in list(state.scheduled_requests)]
    if later:
        rt.celery.control.revoke(later)
    rt.celery.control.purge()


def wipe(rt: Runtime) -> None:
    """Empty the queues, every table, the vector collection and the cache database."""
    _settle_tasks(rt)
    # The in-process worker may still be finishing a task a test started; if PostgreSQL picks
    # the TRUNCATE as a deadlock's victim, it is rolled back whole and tried again.
    for attempt in range(10):
        try:
            _empty_tables(rt)
            break
        except OperationalError:
            if attempt == 9:
                raise
            time.sleep(0.2)
    if "vector_store" in rt.__dict__:
        store = rt.vector_store
        for document_id in store.document_ids():
            store.delete_document(document_id)
    rt.redis.flushdb()
