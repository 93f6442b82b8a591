"""Tasks (the ledger's rows as the API shows them)."""

from __future__ import annotations

from pydantic import Field

from backend.api.schemas.common import Model, TaskState, TaskTimes


class TaskOut(TaskTimes):
    task_id: str
    name: str
    queue: str | None = None
    state: str
    runtime_ms: float | None = None
    retries: int
    error: str | None = None
    retry_of: str | None = None


class TaskPage(Model):
    items: list[TaskOut]
    limit: int
    offset: int
    next_offset: int | None = Field(description="Pass as `offset` for the next page; null at end.")


class TaskAccepted(Model):
    task_id: str
    name: str
    queue: str
    status: TaskState = "PENDING"
    document_id: int | None = None
