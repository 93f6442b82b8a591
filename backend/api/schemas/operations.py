"""Operations and health."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from backend.api.schemas.common import Model


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
