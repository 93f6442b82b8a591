"""The worker process's runtime: built once per process on first use."""

from __future__ import annotations

import threading

from backend.config import get_settings
from backend.runtime import Runtime, build_runtime

_runtime: Runtime | None = None
_lock = threading.Lock()


def get_runtime() -> Runtime:
    """This process's runtime (database, stores, model), built on first use."""
    global _runtime
    if _runtime is None:
        with _lock:
            if _runtime is None:
                from workers.celery_app import celery_app

                _runtime = build_runtime(get_settings(), celery=celery_app)
    return _runtime


def set_runtime(runtime: Runtime | None) -> None:
    """Install a runtime (tests and embedded benchmarks run a worker in their own process)."""
    global _runtime
    with _lock:
        _runtime = runtime
