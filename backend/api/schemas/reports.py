"""Usage reports."""

from __future__ import annotations

from backend.api.schemas.common import Model


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
