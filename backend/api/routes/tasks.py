"""The caller's task ledger: list with filters, one task, cancel, retry; and usage reports."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, status

from backend.api.deps import CurrentUser, RuntimeDep, SessionDep
from backend.api.routes.common import TaskIdPath
from backend.api.schemas.reports import UserReport
from backend.api.schemas.tasks import TaskAccepted, TaskOut, TaskPage
from backend.errors import PermissionDenied
from backend.ledger import task_records
from backend.ledger.catalog import QueueName
from backend.ledger.task_view import task_row
from backend.operations import user_admin
from backend.reports import usage
from backend.reports.usage import MAX_DAYS

router = APIRouter(prefix="/qa", tags=["tasks"])
LedgerState = Literal["PENDING", "STARTED", "RETRY", "SUCCESS", "FAILURE", "REVOKED", "STUCK"]


@router.get("/tasks", summary="Your tasks, newest first")
def list_tasks(
    session: SessionDep,
    user: CurrentUser,
    state: LedgerState | None = None,
    queue: QueueName | None = None,
    since: Annotated[
        datetime | None, Query(description="Only tasks queued at or after this time.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    all_users: Annotated[
        bool, Query(description="Everyone's tasks (administrators only).")
    ] = False,
) -> TaskPage:
    if all_users and not user.is_admin:
        raise PermissionDenied("Only administrators can list everyone's tasks.")
    rows = task_records.list_tasks(
        session=session,
        user=user,
        all_users=all_users,
        state=state,
        queue=queue,
        since=since,
        limit=limit,
        offset=offset,
    )
    return TaskPage(
        items=[TaskOut.model_validate(task_row(r)) for r in rows],
        limit=limit,
        offset=offset,
        next_offset=offset + limit if len(rows) == limit else None,
    )


@router.get("/tasks/{task_id}", summary="One of your tasks")
def get_task(task_id: TaskIdPath, session: SessionDep, user: CurrentUser) -> TaskOut:
    record = task_records.get_task(session=session, user=user, task_id=task_id)
    return TaskOut.model_validate(task_row(record))


@router.post("/tasks/{task_id}/cancel", summary="Cancel a task that has not finished")
def cancel_task(
    task_id: TaskIdPath, rt: RuntimeDep, session: SessionDep, user: CurrentUser
) -> TaskOut:
    record = task_records.cancel_task(session=session, celery=rt.celery, user=user, task_id=task_id)
    return TaskOut.model_validate(task_row(record))


@router.post(
    "/tasks/{task_id}/retry",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Run a failed or cancelled task again",
)
def retry_task(
    task_id: TaskIdPath, rt: RuntimeDep, session: SessionDep, user: CurrentUser
) -> TaskAccepted:
    """A new task, linked to the original by `retry_of`."""
    ref = task_records.retry_task(session=session, celery=rt.celery, user=user, task_id=task_id)
    return TaskAccepted.model_validate(ref)


@router.get("/user/report", summary="Your usage over the last days", tags=["reports"])
def user_report(
    session: SessionDep, user: CurrentUser, days: Annotated[int, Query(ge=1, le=MAX_DAYS)] = 30
) -> UserReport:
    """Questions, documents and tasks per day, by state and queue, latency and failures."""
    return UserReport.model_validate(usage.user_report(session=session, user=user, days=days))


@router.post(
    "/user/report",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Prepare and store your usage report",
    tags=["reports"],
)
def request_user_report(
    rt: RuntimeDep,
    session: SessionDep,
    user: CurrentUser,
    days: Annotated[int, Query(ge=1, le=MAX_DAYS)] = 30,
) -> TaskAccepted:
    """A task builds the report over the last days and stores it with your reports."""
    ref = user_admin.request_report(
        session=session, celery=rt.celery, actor=user, user_id=user.id, days=days
    )
    return TaskAccepted.model_validate(ref)
