"""Prometheus metrics with the seed's names, recorded by workers and served at /metrics.

Workers count tasks and their durations (`record_task`); the API serves the counters of its
own process (or, with `PROMETHEUS_MULTIPROC_DIR` set, of every process writing there) plus
`celery_queue_size` read from the broker at scrape time. A prefork worker's pool children
share their numbers through `PROMETHEUS_MULTIPROC_DIR`; the worker's main process serves them
on `METRICS_PORT` (`serve_worker_metrics`).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    start_http_server,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from backend.ledger.catalog import find_task

log = logging.getLogger(__name__)

LATENCY_BUCKETS = (0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600)

TASK_COUNTER = Counter("celery_tasks_total", "Tasks finished, by outcome", ["task_name", "status"])
TASK_DURATION = Histogram(
    "celery_task_duration_seconds", "Task run time", ["task_name"], buckets=LATENCY_BUCKETS
)
INGESTION_SECONDS = Histogram(
    "qa_document_ingestion_seconds",
    "Time to extract, chunk, embed and store one document",
    ["status"],
    buckets=LATENCY_BUCKETS,
)
ANSWER_SECONDS = Histogram(
    "qa_answer_latency_seconds",
    "Time to answer one question on a worker",
    ["priority", "status"],
    buckets=LATENCY_BUCKETS,
)


def record_task(task_name: str, status: str, duration: float | None) -> None:
    """Count one finished task (status: success, failure, retry, revoked) and its run time."""
    TASK_COUNTER.labels(task_name=task_name, status=status).inc()
    if duration is None or status == "revoked":
        return
    TASK_DURATION.labels(task_name=task_name).observe(duration)
    spec = find_task(task_name)
    if spec is None:
        return
    # The task table says whose run time is also an ingestion or answer latency.
    if spec.latency_metric == "ingestion":
        INGESTION_SECONDS.labels(status=status).observe(duration)
    elif spec.latency_metric == "answer":
        priority = "urgent" if spec.urgent else "normal"
        ANSWER_SECONDS.labels(priority=priority, status=status).observe(duration)


class QueueSizeCollector(Collector):
    """`celery_queue_size{queue_name}` read from the broker when Prometheus scrapes."""

    def __init__(self, read_depths: Callable[[], Any]) -> None:
        self._read_depths = read_depths

    def collect(self) -> Iterator[Metric]:
        sizes = GaugeMetricFamily("celery_queue_size", "Messages waiting", labels=["queue_name"])
        up = GaugeMetricFamily("celery_broker_up", "1 when the broker answered this scrape")
        report = self._read_depths()
        for queue in report.queues:
            sizes.add_metric([queue.name], queue.messages)
        up.add_metric([], 1 if report.ok else 0)
        yield sizes
        yield up


class _Chain(Collector):
    def __init__(self, parts: Iterable[Any]) -> None:
        self._parts = list(parts)

    def collect(self) -> Iterator[Metric]:
        for part in self._parts:
            yield from part.collect()


def process_registry() -> Any:
    """The task metrics: every process's (multiprocess mode) or this process's."""
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder:
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=folder)
        return registry
    return REGISTRY


def api_registry(read_depths: Callable[[], Any]) -> CollectorRegistry:
    """What the API serves: the task metrics plus queue sizes read at scrape time."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Chain([process_registry(), QueueSizeCollector(read_depths)]))
    return registry


def exposition(registry: Any) -> tuple[bytes, str]:
    """The text a scrape returns, and its content type."""
    return generate_latest(registry), CONTENT_TYPE_LATEST


def serve_worker_metrics(port: int, addr: str = "0.0.0.0") -> bool:
    """Serve this worker's task metrics on a port; False (logged) when the port is taken."""
    try:
        start_http_server(port, addr=addr, registry=process_registry())
    except OSError as exc:
        log.warning("metrics: cannot listen on port %s (%s); not serving worker metrics", port, exc)
        return False
    log.info("metrics: serving worker metrics on :%s/metrics", port)
    return True


def init_error_tracking(dsn: str, *, celery: bool = False) -> bool:
    """Send errors to Sentry when a DSN is set; nothing is imported when it is not."""
    if not dsn:
        return False
    try:
        import sentry_sdk  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        log.warning("SENTRY_DSN is set but sentry-sdk is not installed; errors are not sent")
        return False
    integrations: list[Any] = []
    if celery:
        from sentry_sdk.integrations.celery import (  # type: ignore[import-not-found,unused-ignore]
            CeleryIntegration,
        )

        integrations.append(CeleryIntegration())
    sentry_sdk.init(dsn=dsn, integrations=integrations)
    return True
