"""When the broker or the database is down the API answers 503 with a sentence, quickly."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from backend.accounts import tokens
from backend.api.app import create_app
from backend.api.errors import DATABASE_DOWN
from backend.ledger.task_records import BROKER_DOWN
from backend.models import Document, DocumentStatus, TaskRecord, User
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
