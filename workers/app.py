"""The Celery app class of workers and beat: it owns the process's runtime.

Tasks reach their dependencies (database sessions, upload store, embedder, vector store,
cache) through `self.app.runtime`, built once per process on first use, so no task module
imports a process-wide global and pool children each build their own after the fork.
"""

from __future__ import annotations

import threading
from typing import Any

from celery import Celery

from backend.config import get_settings
from backend.ledger.results import WORKER_RETRY
from backend.ledger.routing import configure
from backend.runtime import Runtime, build_runtime
from workers import redis_transport


class WorkerApp(Celery):
    """A Celery app configured from the settings, with the runtime its tasks use."""

    def __init__(self, main: str = "qa_service", **kwargs: Any) -> None:
        super().__init__(main, **kwargs)
        redis_transport.apply()  # survive broker restarts (see workers/redis_transport.py)
        configure(self, get_settings())
        # Storing a result rides out a Redis restart; senders give up at once (results.py).
        options = dict(self.conf.result_backend_transport_options or {})
        self.conf.result_backend_transport_options = options | {"retry_policy": WORKER_RETRY}
        self.conf.result_backend_always_retry = True  # every result write waits for Redis
        self.conf.result_backend_max_retries = 60
        self.conf.result_backend_max_sleep_between_retries_ms = 5000
        self._runtime: Runtime | None = None
        self._runtime_lock = threading.Lock()

    @property
    def runtime(self) -> Runtime:
        """This process's runtime (database, stores, model), built on first use."""
        if self._runtime is None:
            with self._runtime_lock:
                if self._runtime is None:
                    self._runtime = build_runtime(get_settings(), celery=self)
        return self._runtime

    def use_runtime(self, runtime: Runtime | None) -> None:
        """Install a runtime built elsewhere (tests and embedded benchmarks run a worker in
        their own process); None lets the next use build a fresh one."""
        with self._runtime_lock:
            self._runtime = runtime


def runtime_of(task: Any) -> Runtime:
    """The runtime of the app a task (or a signal's sender) belongs to."""
    app = getattr(task, "app", None)
    if not isinstance(app, WorkerApp):
        raise RuntimeError("tasks run on workers.celery_app, whose app owns the runtime")
    return app.runtime
