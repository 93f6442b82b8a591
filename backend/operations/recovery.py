"""A task whose worker is gone runs again within about a minute, once.

With late acknowledgement a killed worker's messages stay unacknowledged in Redis until the
visibility timeout (4 x the longest time limit: 24 minutes) brings them back. Instead:

- every worker keeps a liveness key alive (`beat_alive`, every HEARTBEAT_SECONDS, expiring
  after ALIVE_SECONDS), so a worker killed by SIGKILL or the out-of-memory killer falls silent;
- `recover_lost_tasks` (beat, every RECOVER_SECONDS, and each worker as it starts) finds the
  ledger's running or retrying tasks whose worker is silent, or that a previous run of a
  restarted worker held, and records them LOST (queued again) through the ledger's write path;
- on Redis their unacknowledged message is marked expired, so kombu's own restore (which every
  consuming worker runs every few seconds, under a lock, moving each message exactly once) puts
  it back on its queue; a message Redis no longer holds is published again under the same id.
  RabbitMQ re-queues a dead consumer's messages by itself.

A copy that arrives while the task already ended, or while a live worker runs it, is not run
again: the task class checks the ledger first (`workers/tasks/base.py`).
"""

from __future__ import annotations

import json
import logging
import time
from datetime import UTC, datetime
from typing import Any

import redis
from celery import Celery
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.ledger.transitions import Event, transition
from backend.models import TaskRecord

log = logging.getLogger(__name__)

ALIVE_PREFIX = "qa:workers:alive:"
HEARTBEAT_SECONDS = 5
ALIVE_SECONDS = 20
RECOVER_SECONDS = 15
ORPHAN_SECONDS = 20  # an unacknowledged message no live worker holds, this old, is lost
UNACKED_KEY, UNACKED_INDEX_KEY = "unacked", "unacked_index"  # kombu's Redis transport


def beat_alive(cache: redis.Redis, hostname: str, booted_at: float) -> None:
    """Say that this worker (and which start of it) is alive for the next ALIVE_SECONDS."""
    cache.set(ALIVE_PREFIX + hostname, booted_at, ex=ALIVE_SECONDS)


def forget_alive(cache: redis.Redis, hostname: str) -> None:
    """A worker that stops cleanly is no longer alive."""
    cache.delete(ALIVE_PREFIX + hostname)


def alive_since(cache: redis.Redis, hostname: str) -> float | None:
    """When this live worker started, or None when it is silent."""
    value = cache.get(ALIVE_PREFIX + hostname)
    return float(value) if value is not None else None


def alive_workers(cache: redis.Redis) -> dict[str, float]:
    """Live workers' hostnames and when each started."""
    found: dict[str, float] = {}
    for key in cache.scan_iter(match=ALIVE_PREFIX + "*", count=200):
        value = cache.get(key)
        name = key.decode() if isinstance(key, bytes) else str(key)
        if value is not None:
            found[name.removeprefix(ALIVE_PREFIX)] = float(value)
    return found


def held_by_a_live_run(record: TaskRecord, alive: dict[str, float]) -> bool:
    """The task is running right now on a live worker (not on one that has since restarted)."""
    if record.state != "STARTED" or record.worker not in alive or record.started_at is None:
        return False
    return _timestamp(record.started_at) >= alive[record.worker] - 1.0


def recover_lost_tasks(
    *,
    session: Session,
    celery: Celery,
    cache: redis.Redis,
    broker: redis.Redis | None,
) -> list[str]:
    """Queue again every task whose worker is gone; the ids recovered.

    Lost: a running or retrying task whose worker is silent (or has restarted since), and on
    Redis any unacknowledged message older than ORPHAN_SECONDS that no live worker lists as
    active, reserved or scheduled (a dead worker had taken it but not started it)."""
    alive = alive_workers(cache)
    rows = session.scalars(
        select(TaskRecord).where(
            TaskRecord.state.in_(("STARTED", "RETRY")), TaskRecord.worker.is_not(None)
        )
    )
    lost = {r.task_id: r for r in rows if not _on_live_worker(r, alive)}
    orphans: dict[str, bytes] = {}
    if broker is not None:
        held = held_by_live_workers(celery, expected=len(alive))
        now = time.time()
        for task_id, tag, since in unacked_messages(broker):
            unclaimed = held is not None and task_id not in held and now - since > ORPHAN_SECONDS
            if task_id in lost or unclaimed:
                orphans[task_id] = tag
        for tag in orphans.values():
            # Expired now: kombu's next restore puts it back on its queue, exactly once.
            broker.zadd(UNACKED_INDEX_KEY, {tag: 0}, xx=True)
        for record in lost.values():
            if record.task_id not in orphans and record.args is not None:
                _publish_again(celery, record)  # Redis no longer holds its message
    recovered = set(lost) | set(orphans)
    for task_id in recovered:
        found = lost.get(task_id) or session.get(TaskRecord, task_id)
        if found is not None:
            record = found
            where = f"Its worker {record.worker}" if record.worker else "The worker that took it"
            error = f"{where} stopped before it ended; it was queued again."
            transition(session, task_id=task_id, event=Event.LOST, error=error)
    if recovered:
        log.warning("recovery: %d task(s) of stopped workers queued again", len(recovered))
    return sorted(recovered)


def held_by_live_workers(celery: Celery, *, expected: int) -> set[str] | None:
    """Ids of the tasks live workers are running, hold or have scheduled; None when a worker
    we expect did not answer (then only the ledger's evidence is acted on)."""
    inspect = celery.control.inspect(timeout=2.0, limit=expected or None)
    held: set[str] = set()
    replies = 0
    for method in ("active", "reserved", "scheduled"):
        try:
            answer = getattr(inspect, method)() or {}
        except Exception:  # a broker hiccup: act on the ledger alone this time
            return None
        replies = max(replies, len(answer))
        for tasks in answer.values():
            for task in tasks or []:
                request = task.get("request", task) if isinstance(task, dict) else {}
                if request.get("id"):
                    held.add(str(request["id"]))
    if replies < expected:
        return None
    return held


def _on_live_worker(record: TaskRecord, alive: dict[str, float]) -> bool:
    if record.worker not in alive:
        return False
    # A running task held by an earlier run of a worker restarted under the same name is lost.
    return record.state == "RETRY" or record.started_at is None or held_by_a_live_run(record, alive)


def unacked_messages(broker: redis.Redis) -> list[tuple[str, bytes, float]]:
    """(task id, delivery tag, when delivered) of every unacknowledged message."""
    scored: Any = broker.zrange(UNACKED_INDEX_KEY, 0, -1, withscores=True)
    since = {tag: float(score) for tag, score in scored}
    found = []
    for tag, raw in broker.hscan_iter(UNACKED_KEY, count=500):
        task_id = _task_id(raw)
        if task_id is not None:
            found.append((task_id, tag, float(since.get(tag, 0.0))))
    return found


def _task_id(raw: bytes | str) -> str | None:
    try:
        message = json.loads(raw)[0]
        return str(message["headers"]["id"])
    except (ValueError, KeyError, IndexError, TypeError):
        return None


def _publish_again(celery: Celery, record: TaskRecord) -> None:
    kwargs = dict(record.args or {})
    celery.send_task(record.name, kwargs=kwargs, task_id=record.task_id, priority=record.priority)


def _timestamp(moment: datetime) -> float:
    if moment.tzinfo is None:  # SQLite hands back naive UTC times
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def broker_client(broker_url: str) -> redis.Redis | None:
    """A client on the broker's Redis (None for RabbitMQ, which re-queues by itself)."""
    if not broker_url.startswith(("redis://", "rediss://")):
        return None
    return redis.Redis.from_url(broker_url, socket_connect_timeout=3, socket_timeout=5)
