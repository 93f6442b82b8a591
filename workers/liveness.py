"""A worker's liveness: a heartbeat while it runs, and recovery of what a previous run left.

The heartbeat runs in a thread of the worker's main process (`operations.recovery.beat_alive`);
a worker killed without a shutdown stops renewing it and is taken for gone ALIVE_SECONDS later.
Every worker also sweeps for lost tasks (`operations.recovery.recover_lost_tasks`) soon after
it starts and every RECOVER_SECONDS after that, one worker at a time (a Redis lock): a worker
that restarts picks up what its killed run held, and live workers pick up what a dead one held,
with or without beat.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import redis
from sqlalchemy.exc import SQLAlchemyError

from backend.config import get_settings
from backend.operations import recovery
from backend.runtime import build_runtime

log = logging.getLogger(__name__)
BOOTED_AT = time.time()  # reset by `started` when the worker process initialises
_stop = threading.Event()
SWEEP_LOCK = "qa:recovery:sweeping"


def started() -> None:
    """Remember when this worker process started (its runs of tasks begin after this)."""
    global BOOTED_AT
    BOOTED_AT = time.time()
    _stop.clear()


def keep_alive(hostname: str) -> None:
    """Start the heartbeat thread of this worker."""
    thread = threading.Thread(target=_beat, args=(hostname,), name="qa-heartbeat", daemon=True)
    thread.start()


def _beat(hostname: str) -> None:
    cache = redis.Redis.from_url(
        get_settings().cache_redis_url, socket_connect_timeout=2, socket_timeout=3
    )
    while not _stop.is_set():
        try:
            recovery.beat_alive(cache, hostname, BOOTED_AT)
        except redis.RedisError as exc:
            log.warning("heartbeat: Redis is not answering (%s); trying again", exc)
        _stop.wait(recovery.HEARTBEAT_SECONDS)
    try:
        recovery.forget_alive(cache, hostname)
    except redis.RedisError:
        pass
    cache.close()


def stop() -> None:
    """Stop the heartbeat (a clean shutdown: the worker is gone at once)."""
    _stop.set()


def recover_in_background(app: Any) -> None:
    """Sweep for lost tasks now and then, without delaying the worker's start."""
    threading.Thread(target=_recover, args=(app,), name="qa-recover", daemon=True).start()


def _recover(app: Any) -> None:
    cache = redis.Redis.from_url(
        get_settings().cache_redis_url, socket_connect_timeout=2, socket_timeout=3
    )
    pause = float(recovery.HEARTBEAT_SECONDS)  # first let every live worker's heartbeat be seen
    first = True
    while not _stop.wait(pause):
        pause = float(recovery.RECOVER_SECONDS)
        try:
            # The first sweep of a worker that starts does not wait for the lock, which its own
            # killed run may still hold: what that run left is picked up at once.
            if cache.set(SWEEP_LOCK, 1, nx=True, ex=recovery.RECOVER_SECONDS) or first:
                first = False
                sweep(app)
        except redis.RedisError as exc:
            log.warning("recovery: Redis is not answering (%s); trying again", exc)
    cache.close()


def sweep(app: Any) -> list[str]:
    """One recovery sweep with a short-lived runtime (this is the worker's main process)."""
    rt = build_runtime(get_settings(), celery=app)
    broker = recovery.broker_client(rt.settings.broker_url)
    try:
        with rt.session() as session:
            return recovery.recover_lost_tasks(
                session=session, celery=rt.celery, cache=rt.redis, broker=broker
            )
    except (SQLAlchemyError, redis.RedisError, OSError) as exc:
        log.warning("recovery did not run (%s); the next sweep tries again", exc)
        return []
    finally:
        if broker is not None:
            broker.close()
        rt.close()
