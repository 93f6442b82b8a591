"""Health of every system the service depends on, checked in parallel, each with a timeout."""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

import httpx
import redis
from sqlalchemy import text

from backend.models import utcnow
from backend.operations.broker import broker_check, ping_workers
from backend.runtime import Runtime
from backend.setting_values import redact_url

CHECK_TIMEOUT = 8.0
BEAT_INTERVAL = 30
BEAT_HEARTBEAT_KEY = "qa:beat:last_heartbeat"  # Redis key (cache db) holding a UNIX time
BEAT_STALE_AFTER = 3 * BEAT_INTERVAL
Check = Callable[[Runtime], tuple[bool, str]]


def health_report(*, rt: Runtime) -> dict[str, Any]:
    """{"ok", "checked_at", "checks": {name: {"ok", "detail"}}}; ok only when every check is."""
    checks: dict[str, Check] = {
        "database": check_database,
        "broker": check_broker,
        "result_backend": check_result_backend,
        "vector_store": check_vector_store,
        "beat": check_beat,
        "workers": check_workers,
    }
    pool = ThreadPoolExecutor(max_workers=len(checks), thread_name_prefix="health")
    try:
        futures = {name: pool.submit(_guarded, check, rt) for name, check in checks.items()}
        deadline = time.monotonic() + CHECK_TIMEOUT
        results = {}
        for name, future in futures.items():
            try:
                ok, detail = future.result(timeout=max(0.0, deadline - time.monotonic()))
            except FutureTimeout:
                ok, detail = False, f"No answer within {CHECK_TIMEOUT:g} seconds."
            results[name] = {"ok": ok, "detail": detail}
    finally:
        # A check stuck on a dead host must not hold the answer back.
        pool.shutdown(wait=False, cancel_futures=True)
    return {
        "ok": all(r["ok"] for r in results.values()),
        "checked_at": utcnow().isoformat(),
        "checks": results,
    }


def _guarded(check: Check, rt: Runtime) -> tuple[bool, str]:
    try:
        return check(rt)
    except Exception as exc:  # a health check reports failures, it never raises them
        return False, f"The check failed: {type(exc).__name__}: {str(exc)[:160]}"


def check_database(rt: Runtime) -> tuple[bool, str]:
    """A trivial query answers."""
    try:
        with rt.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:
        name = type(getattr(exc, "orig", None) or exc).__name__
        return False, f"The database is not answering ({name})."
    return True, f"The {rt.engine.dialect.name} database answers."


def check_broker(rt: Runtime) -> tuple[bool, str]:
    """The broker accepts a connection."""
    return broker_check(celery=rt.celery)


def check_result_backend(rt: Runtime) -> tuple[bool, str]:
    """The Redis that keeps task results answers a ping."""
    url = rt.settings.result_backend_url
    if not url.startswith(("redis://", "rediss://")):
        return True, "The result backend is not Redis; not checked."
    client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        return False, f"The result backend at {redact_url(url)} is not answering ({exc})."
    finally:
        client.close()
    return True, f"The result backend at {redact_url(url)} answers."


def check_vector_store(rt: Runtime) -> tuple[bool, str]:
    """Qdrant server: its readiness endpoint. Embedded shard: only the worker opens it, so
    this reads who holds it."""
    settings = rt.settings
    if not settings.qdrant_url:
        from backend.retrieval.shard_owner import describe_owner, read_owner

        folder = settings.vector_dir
        if not (folder / "edge_config.json").exists():
            return True, f"The vector store at {folder} is created by the worker on first use."
        held = f"open in {describe_owner(folder)}" if read_owner(folder) else "not open"
        return True, f"The vector store is a Qdrant Edge shard at {folder}, {held}."
    headers = {"api-key": settings.qdrant_api_key} if settings.qdrant_api_key else {}
    url = settings.qdrant_url.rstrip("/") + "/readyz"
    try:
        response = httpx.get(url, headers=headers, timeout=3.0)
    except httpx.HTTPError as exc:
        return False, f"Qdrant at {settings.qdrant_url} is not answering ({type(exc).__name__})."
    if response.status_code != 200:
        return False, f"Qdrant at {settings.qdrant_url} is not ready (HTTP {response.status_code})."
    return True, f"Qdrant at {settings.qdrant_url} is ready."


def check_beat(rt: Runtime) -> tuple[bool, str]:
    """Beat's heartbeat task ran recently (so beat and a user_management worker are alive)."""
    try:
        raw = rt.redis.get(BEAT_HEARTBEAT_KEY)
    except redis.RedisError as exc:
        return False, f"Redis is not answering, so beat's heartbeat cannot be read ({exc})."
    if raw is None:
        return False, "Beat has not reported yet; is celery beat running?"
    age = time.time() - float(raw)
    if age > BEAT_STALE_AFTER:
        return False, (
            f"Beat's last heartbeat ran {age:.0f} seconds ago (expected every {BEAT_INTERVAL}); "
            "beat or the user_management worker has stopped."
        )
    return True, f"Beat's heartbeat ran {max(age, 0):.0f} seconds ago."


def check_workers(rt: Runtime) -> tuple[bool, str]:
    """At least one worker answers a ping."""
    names, error = ping_workers(celery=rt.celery, timeout=1.0)
    if error:
        return False, error
    if not names:
        return False, "No worker answered within 1 second."
    plural = "s" if len(names) != 1 else ""
    return True, f"{len(names)} worker{plural} answering: {', '.join(names)}."
