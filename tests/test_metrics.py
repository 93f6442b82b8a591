"""Prometheus: after tasks run on a real worker, a scrape of the API and of the worker's own
metrics port shows the counters moved; queue sizes are read from the broker at scrape time."""

from __future__ import annotations

import socket
import urllib.request

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from backend.api.app import create_app
from backend.ledger.catalog import ANSWER_QUESTION, PROCESS_DOCUMENT
from backend.operations import metrics
from tests import factories

pytestmark = pytest.mark.usefixtures("worker")


def _samples(text: str) -> dict[tuple[str, frozenset], float]:
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def _scrape(client: TestClient) -> dict[tuple[str, frozenset], float]:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return _samples(response.text)


def _value(samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def test_scrape_shows_tasks_counted_and_timed(runtime, squad_doc):
    with TestClient(create_app(runtime)) as client:
        before = _scrape(client)
        user = factories.make_user(runtime)
        doc = factories.upload_and_wait(runtime, user, squad_doc.name, squad_doc.read_bytes())
        assert doc.processing_status == "ready"
        factories.ask_and_wait(runtime, user, "Who conquered England in 1066?")
        after = _scrape(client)

    done = {"task_name": PROCESS_DOCUMENT, "status": "success"}
    answered = {"task_name": ANSWER_QUESTION, "status": "success"}
    assert (
        _value(after, "celery_tasks_total", **done)
        == _value(before, "celery_tasks_total", **done) + 1
    )
    assert (
        _value(after, "celery_tasks_total", **answered)
        == _value(before, "celery_tasks_total", **answered) + 1
    )
    count = "celery_task_duration_seconds_count"
    assert _value(after, count, task_name=PROCESS_DOCUMENT) > _value(
        before, count, task_name=PROCESS_DOCUMENT
    )
    assert _value(after, "celery_task_duration_seconds_sum", task_name=PROCESS_DOCUMENT) > 0
    ingest = "qa_document_ingestion_seconds_count"
    assert _value(after, ingest, status="success") == _value(before, ingest, status="success") + 1
    answer = "qa_answer_latency_seconds_count"
    labels = {"priority": "normal", "status": "success"}
    assert _value(after, answer, **labels) == _value(before, answer, **labels) + 1
    # The queues are read from the broker at scrape time: all four, empty once the work is done.
    for queue in ("high_priority", "question_answering", "document_processing", "user_management"):
        assert _value(after, "celery_queue_size", queue_name=queue) == 0
        assert ("celery_queue_size", frozenset({("queue_name", queue)})) in after
    assert _value(after, "celery_broker_up") == 1


def test_bad_file_task_is_counted_once(runtime):
    with TestClient(create_app(runtime)) as client:
        before = _scrape(client)
        user = factories.make_user(runtime)
        doc = factories.upload_and_wait(runtime, user, "broken.pdf", b"%PDF-1.4 not really a pdf")
        assert doc.processing_status == "failed"
        after = _scrape(client)
    labels = {"task_name": PROCESS_DOCUMENT}
    # A bad file is a handled failure recorded on the document; the task itself may end either
    # way, but it is counted exactly once.
    moved = sum(
        _value(after, "celery_tasks_total", status=s, **labels)
        - _value(before, "celery_tasks_total", status=s, **labels)
        for s in ("success", "failure")
    )
    assert moved == 1
    assert (
        _value(after, "qa_document_ingestion_seconds_count", status="success")
        + _value(after, "qa_document_ingestion_seconds_count", status="failure")
        >= 1
    )


def test_queue_size_shows_waiting_messages(runtime):
    """Messages nobody consumes are counted per queue (a broker database no worker reads)."""
    from backend.config import redis_db_url
    from backend.ledger.routing import make_celery
    from backend.operations import broker

    quiet = runtime.settings.model_copy(
        update={"celery_broker_url": redis_db_url(runtime.settings.redis_url, 11)}
    )
    celery = make_celery(quiet)
    registry = metrics.api_registry(lambda: broker.queue_depths(celery=celery))
    try:
        for _ in range(3):
            celery.send_task("workers.tasks.users.probe", kwargs={}, queue="user_management")
        samples = _samples(metrics.exposition(registry)[0].decode())
        assert _value(samples, "celery_queue_size", queue_name="user_management") == 3
        assert _value(samples, "celery_queue_size", queue_name="high_priority") == 0
    finally:
        with celery.connection_for_write() as conn:
            conn.default_channel.client.flushdb()


def test_queue_size_is_absent_and_broker_down_when_unreachable():
    class Down:
        ok = False
        queues: list = []

    registry = metrics.api_registry(lambda: Down())
    text = metrics.exposition(registry)[0].decode()
    samples = _samples(text)
    assert _value(samples, "celery_broker_up") == 0
    assert not any(name == "celery_queue_size" for name, _ in samples)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_worker_serves_its_metrics_on_a_port(runtime):
    port = _free_port()
    assert metrics.serve_worker_metrics(port, addr="127.0.0.1")
    assert not metrics.serve_worker_metrics(port, addr="127.0.0.1")  # taken: logged, not raised
    metrics.record_task("workers.tasks.users.probe", "success", 0.2)
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        samples = _samples(response.read().decode())
    labels = {"task_name": "workers.tasks.users.probe", "status": "success"}
    assert _value(samples, "celery_tasks_total", **labels) >= 1
