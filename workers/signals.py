"""Task lifecycle signals -> the task ledger, for what happens outside a task's own call:
revocations, and failures the pool reports (a hard time limit, a lost worker). Retries are
recorded by `LedgerTask.retry` itself, before the retry's message is published."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import redis
from celery import signals

from backend.config import get_settings
from backend.ledger.transitions import Event
from backend.operations import metrics, worker_registry
from backend.retrieval.vector_store import VectorStoreUnavailable
from workers import liveness
from workers.app import WorkerApp, runtime_of
from workers.tasks.base import RECORDED, LedgerTask, error_text, owner_reason, record

log = logging.getLogger(__name__)


def _is_ledger_task(sender: Any) -> bool:
    return isinstance(sender, LedgerTask)


@signals.task_failure.connect
def on_failure(
    sender: Any = None, task_id: str = "", exception: BaseException | None = None, **_: Any
) -> None:
    # A failure the task raised is recorded by the task itself (before its result is stored);
    # this records only what the pool reports: a hard time limit, a lost worker process.
    if _is_ledger_task(sender) and not getattr(exception, RECORDED, False):
        record(
            runtime_of(sender),
            task_id,
            Event.FAILED,
            error=error_text(exception),
            reason=owner_reason(exception),
        )


@signals.task_revoked.connect
def on_revoked(sender: Any = None, request: Any = None, expired: bool = False, **_: Any) -> None:
    if _is_ledger_task(sender) and request is not None:
        reason = "Expired before it ran." if expired else "Cancelled."
        record(runtime_of(sender), request.id, Event.REVOKED, error=reason)


# --- Prometheus metrics (backend.operations.metrics): every task, ledger or not, is counted.
_started: dict[str, float] = {}
_OUTCOMES = {"SUCCESS": "success", "FAILURE": "failure", "RETRY": "retry"}


@signals.task_prerun.connect
def on_prerun(task_id: str = "", **_: Any) -> None:
    _started[task_id] = time.monotonic()


@signals.task_postrun.connect
def on_postrun(sender: Any = None, task_id: str = "", state: str | None = None, **_: Any) -> None:
    began = _started.pop(task_id, None)
    status = _OUTCOMES.get(state or "", (state or "unknown").lower())
    duration = None if began is None else time.monotonic() - began
    metrics.record_task(getattr(sender, "name", "unknown"), status, duration)


@signals.task_revoked.connect
def on_revoked_metric(sender: Any = None, **_: Any) -> None:
    metrics.record_task(getattr(sender, "name", "unknown"), "revoked", None)


@signals.worker_init.connect
def on_worker_init(sender: Any = None, **_: Any) -> None:
    settings = get_settings()
    if not settings.qdrant_url:
        processes = _processes(sender)
        if processes > 1:
            # Every pool child would open the embedded shard, and all but one would fail.
            raise SystemExit(
                "The embedded vector store (QDRANT_URL empty) serves one process: run this "
                "worker with --pool threads (or solo, or prefork with --concurrency 1), or set "
                "QDRANT_URL to a Qdrant server."
            )
        if processes == 1 and isinstance(getattr(sender, "app", None), WorkerApp):
            _open_vector_store(sender.app)
    # Before the pool forks, so every pool child reports errors too.
    metrics.init_error_tracking(settings.sentry_dsn, celery=True)
    liveness.started()


def _open_vector_store(app: WorkerApp) -> None:
    """Open the shard as the worker starts, so a held or unreadable folder stops it at once
    with a sentence naming the folder (and `reindex`), not at its first task."""
    try:
        app.runtime.vector_store  # noqa: B018 - opening is the point
    except VectorStoreUnavailable as exc:
        log.critical(exc.message)
        raise SystemExit(exc.message) from None


def _processes(worker: Any) -> int:
    """How many processes the worker's pool runs tasks in (1 for threads, solo and gevent)."""
    pool = getattr(worker, "pool_cls", None)
    name = pool if isinstance(pool, str) else f"{getattr(pool, '__module__', '')}"
    if "prefork" not in name and name != "processes":
        return 1
    try:
        return int(getattr(worker, "concurrency", 0) or 0)
    except (TypeError, ValueError):
        return 0  # 'auto': resolved later; the start scripts never ask for it


@signals.worker_ready.connect
def on_worker_ready(sender: Any = None, **_: Any) -> None:
    # After the pool forked: the children never inherit the listening socket.
    settings = get_settings()
    if settings.metrics_port:
        metrics.serve_worker_metrics(settings.metrics_port)
    hostname = getattr(sender, "hostname", None)
    if hostname:
        with _cache() as cache:
            worker_registry.register_worker(cache, hostname)
        liveness.keep_alive(hostname)
        liveness.recover_in_background(sender.app)


@signals.worker_shutdown.connect
def on_worker_shutdown(sender: Any = None, **_: Any) -> None:
    hostname = getattr(sender, "hostname", None)
    liveness.stop()
    if hostname:
        with _cache() as cache:
            worker_registry.unregister_worker(cache, hostname)


@contextmanager
def _cache() -> Iterator[redis.Redis]:
    """A short-lived client: the worker's main process builds no runtime (pool children
    would inherit it)."""
    client = redis.Redis.from_url(get_settings().cache_redis_url, socket_connect_timeout=3)
    try:
        yield client
    finally:
        client.close()


@signals.worker_process_shutdown.connect
def on_pool_child_exit(pid: int | None = None, **_: Any) -> None:
    if pid and os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid)
