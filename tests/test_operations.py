"""Queue depth and worker status through the one Celery/broker wrapper, on Redis and RabbitMQ."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid

import pytest
from kombu import Connection, Queue

from backend.ledger.routing import EXCHANGE, make_celery
from backend.operations import broker

RABBITMQ = "amqp://guest:guest@127.0.0.1:5672//"


def _private_queues(settings, broker_url: str, monkeypatch):
    """A sender app on the given broker with two queues of its own (no worker consumes them)."""
    monkeypatch.setenv("CELERY_BROKER_URL", broker_url)
    app = make_celery(settings.model_copy(update={"celery_broker_url": broker_url}))
    names = [f"ops-test-{uuid.uuid4().hex[:8]}-{i}" for i in range(2)]
    app.conf.task_queues = tuple(
        Queue(name, EXCHANGE, routing_key=name, max_priority=10) for name in names
    )
    return app, names


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_redis_depth_counts_priority_sub_queues(runtime, settings, monkeypatch):
    app, (first, second) = _private_queues(settings, settings.broker_url, monkeypatch)
    for priority in (0, 0, 3, 9):
        app.send_task("x.task", queue=first, routing_key=first, priority=priority)
    try:
        report = broker.queue_depths(celery=app)
    finally:
        with app.connection_for_write() as conn:
            client = conn.default_channel.client
            client.delete(first, f"{first}:3", f"{first}:9", second)

    assert report.ok is True
    depth = {q.name: q for q in report.queues}
    assert depth[first].messages == 4
    assert depth[first].sub_queues == {first: 2, f"{first}:3": 1, f"{first}:9": 1}
    assert depth[first].consumers is None  # Redis cannot tell
    assert depth[second].messages == 0 and depth[second].sub_queues == {}
    assert report.total == 4
    assert report.detail == "4 messages waiting in 2 queues."


def test_rabbitmq_depth_and_consumers_from_a_passive_declare(settings, monkeypatch):
    try:
        Connection(RABBITMQ, connect_timeout=2).ensure_connection(max_retries=1)
    except Exception:
        pytest.skip("RabbitMQ is not answering on 127.0.0.1:5672")
    app, (declared, never_declared) = _private_queues(settings, RABBITMQ, monkeypatch)
    with app.connection_for_write() as conn:
        queue = Queue(declared, EXCHANGE, routing_key=declared, max_priority=10)
        queue(conn.default_channel).declare()
        try:
            for _ in range(3):
                app.send_task("x.task", queue=declared, routing_key=declared)
            time.sleep(0.2)
            report = broker.queue_depths(celery=app)
        finally:
            queue(conn.default_channel).delete()

    assert report.ok is True, report.detail
    depth = {q.name: q for q in report.queues}
    assert depth[declared].messages == 3 and depth[declared].consumers == 0
    assert depth[never_declared].messages == 0 and depth[never_declared].consumers == 0


@pytest.mark.parametrize("scheme", ["redis", "amqp"])
def test_broker_down_is_reported_not_raised(settings, monkeypatch, scheme):
    port = _closed_port()
    url = f"redis://127.0.0.1:{port}/0" if scheme == "redis" else f"amqp://u:p@127.0.0.1:{port}//"
    monkeypatch.setenv("CELERY_BROKER_URL", url)
    app = make_celery(settings.model_copy(update={"celery_broker_url": url}))

    started = time.monotonic()
    queues = broker.queue_depths(celery=app)
    workers = broker.workers_status(celery=app, timeout=0.5)
    elapsed = time.monotonic() - started

    assert queues.ok is False and queues.queues == []
    assert "is not answering" in queues.detail and "queue depths are unknown" in queues.detail
    assert ":p@" not in queues.detail  # passwords are never shown
    assert workers.ok is False and workers.workers == []
    assert "cannot be reached" in workers.detail or "No worker answered" in workers.detail
    assert elapsed < 15


@pytest.mark.usefixtures("worker")
def test_workers_status_describes_the_running_worker(runtime):
    report = broker.workers_status(celery=runtime.celery, timeout=1.0)

    assert report.ok is True, report.detail
    assert report.detail == "1 worker answering."
    (worker,) = report.workers
    assert set(worker.queues) == {
        "high_priority",
        "question_answering",
        "document_processing",
        "user_management",
    }
    assert worker.pool == "solo"
    assert worker.concurrency == 1
    assert worker.active == [] and worker.reserved == 0
    assert report.as_dict()["checked_at"]


@pytest.mark.usefixtures("worker")
def test_queue_overview_counts_consumers_from_the_workers(runtime):
    report = broker.queue_overview(celery=runtime.celery)

    assert report.ok is True
    assert {q.name: q.consumers for q in report.queues} == {
        "high_priority": 1,
        "question_answering": 1,
        "document_processing": 1,
        "user_management": 1,
    }


@pytest.mark.usefixtures("worker")
def test_a_worker_registers_when_it_starts_and_shows_as_stopped_after_it_leaves(
    runtime, tmp_path
):
    """A `celery worker` process says it is running; after a warm shutdown it is listed as
    not answering, with the time it was last seen, and no longer expected to answer."""
    from backend.operations import admin_ops, maintenance, worker_registry
    from tests import factories

    admin = factories.make_user(runtime, role="admin")
    # Beat's minute check pings at full length and records whoever answers (here the
    # in-thread test worker, which never sends worker_ready).
    with runtime.session() as session:
        maintenance.check_service(
            session=session, settings=runtime.settings, celery=runtime.celery, redis=runtime.redis
        )
    assert len(worker_registry.running_workers(runtime.redis)) == 1
    name = f"second-{uuid.uuid4().hex[:6]}@tests"
    command = [sys.executable, "-m", "celery", "-A", "workers.celery_app:celery_app", "worker"]
    process = subprocess.Popen(
        [*command, "-Q", "user_management", "-n", name, "--pool", "solo", "-l", "WARNING"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        # Its own vector store: this session's shard belongs to the in-process worker.
        env={**os.environ, "VECTOR_PATH": str(tmp_path / "vectors")},
    )
    try:
        deadline = time.monotonic() + 60
        while name not in worker_registry.running_workers(runtime.redis):
            assert process.poll() is None, "the worker exited while starting"
            assert time.monotonic() < deadline, "the worker never registered"
            time.sleep(0.2)
        overview = admin_ops.workers(celery=runtime.celery, cache=runtime.redis, user=admin)
        by_name = {w.name: w for w in overview.workers}
        assert by_name[name].answering and by_name[name].status.queues == ["user_management"]
        assert len([w for w in overview.workers if w.answering]) == 2
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)

    assert name not in worker_registry.running_workers(runtime.redis)
    overview = admin_ops.workers(celery=runtime.celery, cache=runtime.redis, user=admin)
    gone = next(w for w in overview.workers if w.name == name)
    assert not gone.answering and gone.last_seen is not None
    assert [w.answering for w in overview.workers if w.name != name] == [True]


@pytest.mark.usefixtures("worker")
def test_a_crashed_worker_is_dropped_from_the_expected_after_one_silent_ping(runtime):
    from backend.operations import admin_ops, worker_registry
    from tests import factories

    admin = factories.make_user(runtime, role="admin")
    worker_registry.register_worker(runtime.redis, "crashed@tests")  # never unregistered

    overview = admin_ops.workers(celery=runtime.celery, cache=runtime.redis, user=admin)

    crashed = next(w for w in overview.workers if w.name == "crashed@tests")
    assert not crashed.answering
    assert worker_registry.running_workers(runtime.redis) == {
        w.name for w in overview.workers if w.answering
    }


def test_a_process_pool_worker_on_local_qdrant_refuses_to_start_with_a_reason():
    """The embedded shard serves one process: prefork with two children would fail task by
    task."""
    command = [sys.executable, "-m", "celery", "-A", "workers.celery_app:celery_app", "worker"]
    env = {**os.environ, "QDRANT_URL": ""}
    result = subprocess.run(
        [*command, "--pool", "prefork", "--concurrency", "2", "-l", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert "The embedded vector store (QDRANT_URL empty) serves one process" in result.stderr
    assert "--pool threads" in result.stderr


@pytest.mark.usefixtures("worker")
def test_a_second_worker_on_a_held_shard_stops_at_start_naming_its_owner(runtime):
    """The session's shard is open in this process: another worker says so and stops at
    once, instead of failing task by task."""
    runtime.vector_store.count()  # opened here
    command = [sys.executable, "-m", "celery", "-A", "workers.celery_app:celery_app", "worker"]
    result = subprocess.run(
        [*command, "--pool", "solo", "-n", f"late-{uuid.uuid4().hex[:6]}@tests", "-l", "WARNING"],
        env={**os.environ, "QDRANT_URL": ""},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    folder = str(runtime.settings.vector_dir)
    assert f"The vector store at {folder} is open in process {os.getpid()}" in result.stderr
    assert "Traceback" not in result.stderr
