"""The one wrapper over Celery inspect/control and the broker's queue depth.

Every call has a timeout and tolerates the broker or the workers being away: the result says
so in a sentence (`ok=False`, `detail`), never with an exception.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from typing import Any

from celery import Celery

from backend.models import utcnow
from backend.setting_values import redact_url

log = logging.getLogger(__name__)
BROKER_TIMEOUT = 3.0


@dataclass(frozen=True)
class QueueDepth:
    name: str
    messages: int
    consumers: int | None  # None where the broker cannot tell (Redis)
    sub_queues: dict[str, int] = field(default_factory=dict)  # Redis priority lists


@dataclass(frozen=True)
class QueuesReport:
    ok: bool
    detail: str
    broker: str
    queues: list[QueueDepth]
    checked_at: datetime

    @property
    def total(self) -> int:
        return sum(q.messages for q in self.queues)

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "total": self.total, "checked_at": self.checked_at.isoformat()}


@dataclass(frozen=True)
class WorkerStatus:
    name: str
    queues: list[str]
    active: list[dict[str, Any]]  # running tasks: id, name, started (UNIX time)
    reserved: int  # prefetched, not started
    pool: str | None
    concurrency: int | None
    processed: int | None
    pid: int | None
    uptime_seconds: int | None


@dataclass(frozen=True)
class WorkersReport:
    ok: bool
    detail: str
    workers: list[WorkerStatus]
    errors: list[str]
    checked_at: datetime

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "checked_at": self.checked_at.isoformat()}


def queue_names(celery: Celery) -> list[str]:
    """The queues the app declares, in priority order."""
    return [q.name for q in celery.conf.task_queues or ()]


def broker_check(*, celery: Celery, timeout: float = BROKER_TIMEOUT) -> tuple[bool, str]:
    """Whether the broker accepts a connection, with a sentence."""
    url = redact_url(celery.conf.broker_url or "")
    try:
        with celery.connection_for_write() as conn:
            conn.ensure_connection(
                max_retries=1, interval_start=0, interval_step=0, timeout=timeout
            )
            if conn.transport.driver_type == "redis":
                conn.default_channel.client.ping()
        return True, f"The broker at {url} answers."
    except Exception as exc:  # any broker failure is reported, not raised
        return False, f"The broker at {url} is not answering ({_reason(exc)})."


def queue_depths(*, celery: Celery) -> QueuesReport:
    """Messages waiting per queue (with Redis priority sub-queues) and consumers when known."""
    url = redact_url(celery.conf.broker_url or "")
    names = queue_names(celery)
    try:
        with celery.connection_for_read() as conn:
            conn.ensure_connection(
                max_retries=1, interval_start=0, interval_step=0, timeout=BROKER_TIMEOUT
            )
            if conn.transport.driver_type == "redis":
                queues = _redis_depths(conn.default_channel, names)
            else:
                queues = _declared_depths(conn, names)
    except Exception as exc:
        log.warning("queue depth: broker error: %s", exc)
        return QueuesReport(
            ok=False,
            detail=f"The broker at {url} is not answering ({_reason(exc)}); "
            "queue depths are unknown.",
            broker=url,
            queues=[],
            checked_at=utcnow(),
        )
    waiting = sum(q.messages for q in queues)
    return QueuesReport(
        ok=True,
        detail=f"{waiting} message{'s' if waiting != 1 else ''} waiting in {len(queues)} queues.",
        broker=url,
        queues=queues,
        checked_at=utcnow(),
    )


def _redis_depths(channel: Any, names: list[str]) -> list[QueueDepth]:
    """LLEN of every priority list, named as kombu names them (queue, queue:3, ...)."""
    steps = sorted(set(channel.priority_steps))
    keys = {name: [channel._q_for_pri(name, step) for step in steps] for name in names}
    with channel.client.pipeline() as pipe:
        for name in names:
            for key in keys[name]:
                pipe.llen(key)
        sizes = iter(pipe.execute())
    depths = []
    for name in names:
        subs = {key: int(next(sizes)) for key in keys[name]}
        depths.append(
            QueueDepth(
                name=name,
                messages=sum(subs.values()),
                consumers=None,
                sub_queues={k: v for k, v in subs.items() if v},
            )
        )
    return depths


def _declared_depths(conn: Any, names: list[str]) -> list[QueueDepth]:
    """RabbitMQ and other brokers: a passive declare reports messages and consumers."""
    depths = []
    channel = conn.channel()
    try:
        for name in names:
            try:
                _, messages, consumers = channel.queue_declare(queue=name, passive=True)
            except Exception as exc:
                if "NOT_FOUND" not in str(exc):
                    raise
                # Not declared yet (no worker has started): empty. The error closed the channel.
                messages, consumers = 0, 0
                channel.close()
                channel = conn.channel()
            depths.append(QueueDepth(name=name, messages=messages, consumers=consumers))
    finally:
        channel.close()
    return depths


def queue_overview(*, celery: Celery, timeout: float = 1.0, expected: int = 0) -> QueuesReport:
    """Queue depths, with consumers counted from the workers' queues where the broker
    cannot tell (Redis keeps no consumer list). With `expected` (the number of running
    workers) the question returns once they all answered."""
    report = queue_depths(celery=celery)
    if not report.ok or all(q.consumers is not None for q in report.queues):
        return report
    errors: list[str] = []
    replies = _inspect(celery, "active_queues", errors, timeout=timeout, limit=expected or None)
    if replies is None:
        return report
    counts: dict[str, int] = {}
    for worker_queues in replies.values():
        for name in {q.get("name") for q in worker_queues or []}:
            counts[name] = counts.get(name, 0) + 1
    queues = [
        q if q.consumers is not None else replace(q, consumers=counts.get(q.name, 0))
        for q in report.queues
    ]
    return replace(report, queues=queues)


def ping_workers(
    *, celery: Celery, timeout: float = 1.0, expected: int = 0
) -> tuple[list[str], str | None]:
    """Names of the workers that answered a ping, and a sentence when asking failed.

    With `expected` (how many workers are known to be running), the ping returns as soon as
    that many answered instead of always waiting out the timeout; it stays a broadcast, so an
    unknown worker that answers early is still listed.
    """
    reachable, detail = broker_check(celery=celery)
    if not reachable:  # checked first: control calls retry a dead broker for seconds
        return [], f"The workers cannot be reached: {detail[0].lower()}{detail[1:]}"
    try:
        replies = celery.control.ping(timeout=timeout, limit=expected or None) or []
    except Exception as exc:  # an unreachable broker is an answer here, not an error
        return [], f"The workers cannot be reached through the broker ({_reason(exc)})."
    return sorted(name for reply in replies for name in reply), None


def workers_status(*, celery: Celery, timeout: float = 1.0, expected: int = 0) -> WorkersReport:
    """Which workers answer, and their queues, running and reserved tasks and pool figures."""
    names, error = ping_workers(celery=celery, timeout=timeout, expected=expected)
    if error:
        return WorkersReport(False, error, [], [error], utcnow())
    if not names:
        return WorkersReport(False, f"No worker answered within {timeout:g} s.", [], [], utcnow())
    errors: list[str] = []
    # Known destinations with a reply limit: each call returns once all of them answered.
    ask = {"destination": names, "limit": len(names), "timeout": timeout}
    stats = _inspect(celery, "stats", errors, **ask) or {}
    active = _inspect(celery, "active", errors, **ask) or {}
    reserved = _inspect(celery, "reserved", errors, **ask) or {}
    queues = _inspect(celery, "active_queues", errors, **ask) or {}
    workers = [
        _worker(name, stats.get(name) or {}, active.get(name), reserved.get(name), queues.get(name))
        for name in names
    ]
    detail = f"{len(workers)} worker{'s' if len(workers) != 1 else ''} answering."
    return WorkersReport(True, detail, workers, errors, utcnow())


def _inspect(celery: Celery, method: str, errors: list[str], **options: Any) -> Any:
    try:
        call: Callable[[], Any] = getattr(celery.control.inspect(**options), method)
        return call()
    except Exception as exc:
        log.warning("inspect %s failed: %s", method, exc)
        errors.append(f"Asking the workers for {method} failed ({_reason(exc)}).")
        return None


def _worker(
    name: str, stats: dict[str, Any], active: Any, reserved: Any, queues: Any
) -> WorkerStatus:
    pool = stats.get("pool") or {}
    total = stats.get("total")
    return WorkerStatus(
        name=name,
        queues=[q.get("name", "?") for q in queues or []],
        active=[
            {"id": t.get("id"), "name": t.get("name"), "started": t.get("time_start")}
            for t in active or []
        ],
        reserved=len(reserved or []),
        pool=_pool_name(pool.get("implementation")),
        concurrency=pool.get("max-concurrency"),
        processed=sum(total.values()) if isinstance(total, dict) else None,
        pid=stats.get("pid"),
        uptime_seconds=stats.get("uptime"),
    )


def _pool_name(implementation: Any) -> str | None:
    """'celery.concurrency.prefork:TaskPool' -> 'prefork'."""
    if not isinstance(implementation, str) or not implementation:
        return None
    return implementation.split(":", 1)[0].rsplit(".", 1)[-1]


def _reason(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text if len(text) <= 160 else text[:157] + "..."
