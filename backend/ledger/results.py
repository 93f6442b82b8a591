"""Task results in Redis, read by polling instead of a subscription.

Celery's Redis backend subscribes to a task's channel when the task is sent and retries a lost
subscription 20 times a second apart, then refuses to work until the process restarts. A
request that sends a task while Redis restarts would hang for about 20 s and the API would stay
broken. Here nothing subscribes at send time, waiting reads the stored result (soon, then
every 50 ms), and a sender gives up after one quick retry, so a request answers 503 at once
while Redis is away and works again as soon as it is back. Workers keep a longer retry for
storing results.
"""

from __future__ import annotations

import time
from typing import Any

from celery import states
from celery.backends.redis import RedisBackend

SENDER_RETRY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}
WORKER_RETRY = {"max_retries": 30, "interval_start": 0, "interval_step": 1, "interval_max": 2}


class PollingRedisBackend(RedisBackend):
    """Celery's Redis result backend without the subscription made when a task is sent."""

    def on_task_call(self, producer: Any, task_id: str) -> None:
        """Nothing to do: `wait_for_result` polls the stored result."""


def backend_url(url: str) -> str:
    """The result backend setting for a results URL (Redis URLs get the polling backend)."""
    if url.startswith(("redis://", "rediss://")):
        return f"{__name__}:PollingRedisBackend+{url}"
    return url


FIRST_POLL_SECONDS = 0.005
# While an answer may still be due (its first seconds), a look at least this often.
QUICK_POLL_SECONDS = 0.02
QUICK_PERIOD_SECONDS = 2.0


def wait_for_result(backend: Any, task_id: str, timeout: float, interval: float = 0.05) -> Any:
    """The task's stored meta once it is ready; TimeoutError when `timeout` passes first.
    Connection errors of the result store propagate. The first looks come quickly (5 ms,
    doubling up to 20 ms for the first two seconds, then every `interval`): an answer takes
    tens of milliseconds, and a fixed 50 ms step added 25 ms to each on average."""
    started = time.monotonic()
    deadline = started + timeout
    pause = min(FIRST_POLL_SECONDS, interval)
    while True:
        meta = backend.get_task_meta(task_id, cache=False)
        if meta.get("status") in states.READY_STATES:
            return meta
        now = time.monotonic()
        if now >= deadline:
            raise TimeoutError(task_id)
        time.sleep(pause)
        quick = now - started < QUICK_PERIOD_SECONDS
        pause = min(pause * 2, min(QUICK_POLL_SECONDS, interval) if quick else interval)
