"""Which workers exist: a Redis record of who is expected to answer a ping, and when each
worker last answered.

Workers register when they start and leave when they stop cleanly; every ping updates the
record. Knowing how many workers to expect lets a ping return as soon as they all answered
instead of always waiting out its timeout.
"""

from __future__ import annotations

import time
from typing import Any

import redis

LAST_SEEN_KEY = "qa:workers:last_seen"  # Redis hash: worker name -> UNIX time last answered
RUNNING_KEY = "qa:workers:running"  # Redis hash: the workers expected to answer a ping
FORGET_AFTER = 24 * 3600  # a worker silent this long is no longer listed


def register_worker(cache: redis.Redis, name: str) -> None:
    """A worker that starts says so, so the Operations page knows how many replies to expect."""
    try:
        now = time.time()
        cache.hset(RUNNING_KEY, name, now)
        cache.hset(LAST_SEEN_KEY, name, now)
    except redis.RedisError:
        pass  # the page then waits out the ping timeout instead


def unregister_worker(cache: redis.Redis, name: str) -> None:
    """A worker that stops cleanly is no longer expected to answer (it stays listed as seen)."""
    try:
        cache.hdel(RUNNING_KEY, name)
    except redis.RedisError:
        pass


def record_answering(
    cache: redis.Redis,
    names: set[str] | list[str],
    now: float,
    *,
    lost: set[str] | None = None,
    complete: bool = False,
) -> dict[str, float]:
    """Record who answered a ping and who did not; return every remembered last-seen time.

    `complete` marks a ping that waited its full timeout: whoever did not answer it is no
    longer expected. Without Redis, only the workers that answered now are known.
    """
    try:
        with cache.pipeline() as pipe:
            if names:
                pipe.hset(LAST_SEEN_KEY, mapping=dict.fromkeys(names, now))
                pipe.hset(RUNNING_KEY, mapping=dict.fromkeys(names, now))
            if complete:
                pipe.delete(RUNNING_KEY)
                if names:
                    pipe.hset(RUNNING_KEY, mapping=dict.fromkeys(names, now))
            elif lost:
                pipe.hdel(RUNNING_KEY, *lost)
            pipe.execute()
        raw: dict[Any, Any] = cache.hgetall(LAST_SEEN_KEY)
        stale = [k for k, v in raw.items() if now - float(v) > FORGET_AFTER]
        if stale:
            cache.hdel(LAST_SEEN_KEY, *stale)
    except redis.RedisError:
        return dict.fromkeys(names, now)
    return {_text(k): float(v) for k, v in raw.items()}


def running_workers(cache: redis.Redis) -> set[str]:
    try:
        return {_text(k) for k in cache.hkeys(RUNNING_KEY)}
    except redis.RedisError:
        return set()


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
