"""The Celery configuration shared by every process that sends or runs tasks: queues and routes
derived from the task table (`catalog`), serialisation and reliability settings.

Senders (API, dashboard, CLI) build the app with `make_celery` and send tasks by name;
only `workers/celery_app.py` imports the task modules.
"""

from __future__ import annotations

from typing import Any

from celery import Celery
from kombu import Exchange, Queue

from backend.config import Settings
from backend.ledger import catalog
from backend.ledger.results import SENDER_RETRY, backend_url

EXCHANGE = Exchange("qa", type="direct")


def task_queues() -> tuple[Queue, ...]:
    """The declared queues, high_priority first so a worker consuming several serves it first."""
    return tuple(
        Queue(q.name, EXCHANGE, routing_key=q.routing_key, max_priority=10)
        for q in catalog.QUEUES
    )


def task_routes() -> dict[str, dict[str, str]]:
    """Each declared task's queue and routing key, by task name."""
    return {
        task.name: {"queue": task.queue, "routing_key": task.routing_key}
        for task in catalog.TASKS
    }


def celery_config(settings: Settings) -> dict[str, Any]:
    """Reliability, serialisation and routing settings for every process."""
    return {
        "broker_url": settings.broker_url,
        # Celery prefers CELERY_BROKER_URL from the environment over broker_url; the read and
        # write URLs make the settings object the one source of truth.
        "broker_read_url": settings.broker_url,
        "broker_write_url": settings.broker_url,
        "result_backend": settings.result_backend_url,
        "task_always_eager": settings.celery_task_always_eager,
        "task_serializer": "json",
        "result_serializer": "json",
        "accept_content": ["json"],
        "result_accept_content": ["json"],
        "timezone": "UTC",
        "enable_utc": True,
        "task_queues": task_queues(),
        "task_default_queue": catalog.DEFAULT_QUEUE,
        "task_default_exchange": EXCHANGE.name,
        "task_default_routing_key": catalog.queue_spec(catalog.DEFAULT_QUEUE).routing_key,
        "task_routes": task_routes(),
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        # The ledger records a task's start; a result-store write before the task body would
        # fail the task outside its body (and strand it) while Redis restarts.
        "task_track_started": False,
        "task_send_sent_event": True,
        "worker_send_task_events": True,
        "worker_prefetch_multiplier": 1,
        "worker_max_tasks_per_child": 1000,
        "worker_max_memory_per_child": 1_500_000,  # KiB; the model and Qdrant need ~600 MB
        "result_expires": settings.result_expires_seconds,
        "result_extended": True,
        "broker_connection_retry_on_startup": True,
        "broker_connection_timeout": 4,
        "broker_transport_options": _transport_options(settings),
        "result_backend_transport_options": {
            "socket_connect_timeout": 2,
            "socket_timeout": 5,
            "retry_policy": SENDER_RETRY,
        },
        "redis_socket_connect_timeout": 3,
        "task_publish_retry_policy": {
            "max_retries": 2,
            "interval_start": 0,
            "interval_step": 0.5,
            "interval_max": 1,
        },
    }


def _transport_options(settings: Settings) -> dict[str, Any]:
    if settings.broker_url.startswith("amqp"):
        return {"confirm_publish": True}
    return {
        # Poll queues in the declared order, so high_priority is always drained first.
        "queue_order_strategy": "priority",
        "priority_steps": list(range(10)),
        "sep": ":",
        # Unacknowledged messages come back after this many seconds unless recovery
        # (operations/recovery.py) expires them sooner because their worker is gone.
        "visibility_timeout": settings.visibility_timeout,
        # Every consuming worker looks for expired unacknowledged messages this often.
        "unacked_restore_interval": 2,
        "unacked_restore_throttle": 1,
        "socket_connect_timeout": 3,
        "socket_timeout": 10,
    }


def urgent_priority(celery: Celery) -> int:
    """The highest message priority: 0 on Redis (lowest number first), 9 on RabbitMQ."""
    # broker_write_url: Celery lets CELERY_BROKER_URL in the environment outrank broker_url.
    url = celery.conf.broker_write_url or celery.conf.broker_url
    return 9 if str(url).startswith("amqp") else 0


def configure(app: Celery, settings: Settings) -> None:
    """Point an app at the settings' broker and result backend, whatever the environment says."""
    app.conf.update(celery_config(settings))
    # A backend URL set here outranks CELERY_RESULT_BACKEND in the environment.
    app.backend_cls = backend_url(settings.result_backend_url)


def make_celery(settings: Settings, name: str = "qa_service") -> Celery:
    """A Celery app configured from the settings (no task modules imported)."""
    app = Celery(name)
    configure(app, settings)
    return app
