"""Administration: accounts, audit log, every user's tasks, purge."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, model_validator
from pydantic_core import PydanticCustomError

from backend.api.schemas.accounts import UserOut
from backend.api.schemas.common import Model, NoNul
from backend.api.schemas.reports import DayStateCount
from backend.api.schemas.tasks import TaskAccepted, TaskOut

RoleName = Literal["user", "premium", "admin"]
USE_DEACTIVATE = (
    "To deactivate an account use POST /qa/admin/users/{user_id}/deactivate, which also revokes "
    "its unfinished tasks"
)


class UsageRow(Model):
    """One account's figures over the period."""

    id: int
    email: str
    role: str
    active: bool
    documents: int = Field(description="Documents owned now (whatever the period).")
    questions: int
    tasks: int
    failed: int
    failure_rate: float = Field(description="Failed tasks / tasks, 0 to 1.")
    latency_p50_ms: float | None = None
    latency_p95_ms: float | None = None
    last_active: datetime | None = Field(
        default=None, description="The latest sign-in or task, whichever came last."
    )


class AdminDocumentOut(Model):
    id: int
    filename: str
    status: str
    size_bytes: int
    chunk_count: int
    error: str | None = None
    created_at: datetime


class AuditEntryOut(Model):
    id: int
    at: datetime
    actor_id: int | None = None
    actor_email: str
    action: str
    target: str | None = None
    detail: str | None = None
    data: dict[str, Any] | None = None


class AuditPageOut(Model):
    items: list[AuditEntryOut]
    total: int
    page: int
    page_size: int
    pages: int


class UserDetailOut(Model):
    account: UserOut
    usage: UsageRow
    tasks_by_state: dict[str, int]
    per_day: list[DayStateCount] = Field(description="Tasks per day and state.")
    recent_tasks: list[TaskOut] = Field(description="The account's newest tasks.")
    documents: list[AdminDocumentOut]
    audit: list[AuditEntryOut] = Field(description="Administrative actions on this account.")


class AccountCreate(Model):
    email: Annotated[str, Field(min_length=3, max_length=320, examples=["bob@example.com"]), NoNul]
    password: Annotated[str, Field(min_length=1, max_length=1024), NoNul]
    role: RoleName = "user"


def _only_activate(active: bool | None) -> bool | None:
    if active is False:
        raise PydanticCustomError("use_deactivate", USE_DEACTIVATE)
    return active


class AccountChange(Model):
    """Change the role, reactivate, or both; at least one of them."""

    role: RoleName | None = None
    active: Annotated[
        bool | None,
        AfterValidator(_only_activate),
        Field(
            description="Only `true` (reactivate); deactivate with "
            "`POST /qa/admin/users/{user_id}/deactivate`."
        ),
    ] = None

    @model_validator(mode="after")
    def _something(self) -> AccountChange:
        if self.role is None and self.active is None:
            raise PydanticCustomError("nothing_to_change", "Send a role, active: true or both")
        return self


class PasswordIssued(Model):
    user_id: int
    email: str
    password: str = Field(description="The new password; shown this once.")


class AdminTaskOut(TaskOut):
    user_id: int | None = None
    user_email: str | None = None
    args_summary: str | None = None


class AdminTaskPage(Model):
    items: list[AdminTaskOut]
    total: int
    page: int
    page_size: int
    pages: int


class StuckTaskOut(AdminTaskOut):
    why: str


class FailedCount(Model):
    count: int = Field(description="Failed tasks matching the filters not retried yet.")
    max_retry: int = Field(description="The most a bulk retry takes at once.")


class BulkRetried(Model):
    retried: int
    tasks: list[TaskAccepted]


class Purged(Model):
    queue: str
    removed: int
