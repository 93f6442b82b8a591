"""Response shapes of the usage report, operations and health routes."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from backend.api.schemas import Model

# --- reports


class Period(Model):
    start: str
    end: str
    days: int


class Totals(Model):
    questions: int
    answered: int
    not_found: int
    documents_uploaded: int
    documents_ready: int
    documents_failed: int
    tasks: int
    task_failures: int


class DayCount(Model):
    date: str
    count: int


class DayStateCount(DayCount):
    state: str


class Latency(Model):
    p50: float | None = None
    p95: float | None = None
    p99: float | None = None
    mean: float | None = None


class Failure(Model):
    task_id: str
    name: str
    error: str | None = None
    finished_at: str | None = None


class UserReport(Model):
    period: Period
    totals: Totals
    questions_per_day: list[DayCount]
    documents_per_day: list[DayCount]
    tasks_by_state: dict[str, int]
    tasks_by_queue: dict[str, int]
    tasks_per_day: list[DayStateCount]
    latency_ms: Latency
    failures: list[Failure]


# --- operations and health


class QueueOut(Model):
    name: str
    messages: int
    consumers: int | None = None
    sub_queues: dict[str, int] = Field(
        default_factory=dict,
        description="Redis priority lists holding messages, e.g. 'high_priority:3'.",
    )


class QueuesOut(Model):
    ok: bool
    detail: str
    broker: str
    total: int
    queues: list[QueueOut]
    checked_at: datetime


class WorkerOut(Model):
    name: str
    queues: list[str]
    active: list[dict[str, Any]]
    reserved: int
    pool: str | None = None
    concurrency: int | None = None
    processed: int | None = None
    pid: int | None = None
    uptime_seconds: int | None = None


class WorkersOut(Model):
    ok: bool
    detail: str
    workers: list[WorkerOut]
    errors: list[str]
    checked_at: datetime


class Check(Model):
    ok: bool
    detail: str


class HealthOut(Model):
    ok: bool
    checked_at: datetime
    checks: dict[str, Check]


class CeleryHealth(Model):
    status: Literal["healthy", "unhealthy"]
    workers: int = 0
    detail: str
