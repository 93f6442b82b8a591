"""Administration (administrators only): every user's tasks, stuck tasks, bulk retry, purge.

Each route is a thin door to a service function, which checks the role itself as well.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Query, status

from backend.api.deps import AdminUser, RuntimeDep, SessionDep
from backend.api.routes.admin_common import (
    CHANGED,
    NOT_FOUND,
    Filter,
    QueuePath,
    admin_router,
    count_of,
)
from backend.api.routes.common import TaskIdPath
from backend.api.routes.tasks import LedgerState
from backend.api.schemas.admin import (
    AdminTaskOut,
    AdminTaskPage,
    BulkRetried,
    FailedCount,
    Purged,
    StuckTaskOut,
)
from backend.api.schemas.tasks import TaskAccepted, TaskOut
from backend.errors import Conflict
from backend.ledger import admin_tasks
from backend.ledger.catalog import QueueName
from backend.ledger.task_view import task_row
from backend.operations import admin_ops

router = admin_router()


def _admin_task(row: admin_tasks.AdminTaskRow) -> AdminTaskOut:
    return AdminTaskOut(
        **TaskOut.model_validate(task_row(row.record)).model_dump(),
        user_id=row.record.user_id,
        user_email=row.user_email,
        args_summary=row.record.args_summary,
    )


def task_filters(
    queue: QueueName | None = None,
    name: Annotated[Filter | None, Query(max_length=200, description="A task name.")] = None,
    user_email: Annotated[
        Filter | None, Query(max_length=320, description="Part of the owner's email.")
    ] = None,
    since: Annotated[
        datetime | None, Query(description="Only tasks queued at or after this time.")
    ] = None,
    text: Annotated[
        Filter | None,
        Query(max_length=200, description="Part of the task id, its arguments or its error."),
    ] = None,
) -> admin_tasks.TaskFilters:
    """The task browser's filters but the state (the failed-task routes always mean FAILURE)."""
    return admin_tasks.TaskFilters(
        queue=queue, name=name, user_email=user_email, since=since, text=text
    )


TaskFiltersDep = Annotated[admin_tasks.TaskFilters, Depends(task_filters)]


# --- tasks


@router.get("/tasks", summary="Every user's tasks, newest first")
def browse_tasks(
    session: SessionDep,
    admin: AdminUser,
    filters: TaskFiltersDep,
    state: LedgerState | None = None,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=200)] = admin_tasks.PAGE_SIZE,
) -> AdminTaskPage:
    found = admin_tasks.browse_tasks(
        session=session,
        user=admin,
        filters=replace(filters, state=state),
        page=page,
        page_size=page_size,
    )
    return AdminTaskPage(
        items=[_admin_task(r) for r in found.rows],
        total=found.total,
        page=found.page,
        page_size=found.page_size,
        pages=found.pages,
    )


@router.get("/tasks/failed-count", summary="Failed tasks a bulk retry would run again")
def failedcount_of(session: SessionDep, admin: AdminUser, filters: TaskFiltersDep) -> FailedCount:
    """Failed tasks matching the filters, with recorded arguments and not retried yet.

    Pass the count as `expected` to `POST /qa/admin/tasks/retry-failed` with the same filters.
    """
    count = admin_tasks.count_failed(session=session, user=admin, filters=filters)
    return FailedCount(count=count, max_retry=admin_tasks.BULK_RETRY_MAX)


@router.post(
    "/tasks/retry-failed",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Retry every failed task matching the filters",
    responses=CHANGED,
)
def retry_failed(
    rt: RuntimeDep,
    session: SessionDep,
    admin: AdminUser,
    filters: TaskFiltersDep,
    expected: Annotated[
        int,
        Query(
            ge=1,
            le=1_000_000,
            description="The count from GET /qa/admin/tasks/failed-count, confirmed; "
            "409 when the count is different now.",
        ),
    ],
) -> BulkRetried:
    """Each failed task runs again as a new task linked to it by `retry_of`."""
    now = admin_tasks.count_failed(session=session, user=admin, filters=filters)
    if now != expected:
        raise Conflict(
            f"{count_of(now, 'failed task matches', 'failed tasks match')} these filters now, "
            f"not the {expected} you confirmed; check the count again."
        )
    refs = admin_tasks.retry_failed(
        session=session, celery=rt.celery, user=admin, filters=filters, expected=expected
    )
    return BulkRetried(retried=len(refs), tasks=[TaskAccepted.model_validate(r) for r in refs])


@router.get("/tasks/stuck", summary="Tasks waiting or running for too long")
def stuck_tasks(rt: RuntimeDep, session: SessionDep, admin: AdminUser) -> list[StuckTaskOut]:
    """Queued and not started past the threshold, or running past their queue's time limit."""
    found = admin_tasks.stuck_tasks(session=session, user=admin, settings=rt.settings)
    return [StuckTaskOut(**_admin_task(row).model_dump(), why=why) for row, why in found]


@router.post("/tasks/{task_id}/cancel", summary="Cancel any user's task", responses=NOT_FOUND)
def cancel_task(
    task_id: TaskIdPath, rt: RuntimeDep, session: SessionDep, admin: AdminUser
) -> TaskOut:
    """Revoked; a running task is terminated."""
    record = admin_tasks.cancel_task(session=session, celery=rt.celery, user=admin, task_id=task_id)
    return TaskOut.model_validate(task_row(record))


@router.post(
    "/tasks/{task_id}/retry",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Run any user's failed or cancelled task again",
    responses=NOT_FOUND,
)
def retry_task(
    task_id: TaskIdPath, rt: RuntimeDep, session: SessionDep, admin: AdminUser
) -> TaskAccepted:
    """A new task, for the same user, linked to the original by `retry_of`."""
    ref = admin_tasks.retry_task(session=session, celery=rt.celery, user=admin, task_id=task_id)
    return TaskAccepted.model_validate(ref)


# --- queues


@router.post("/queues/{queue}/purge", summary="Remove every waiting message", responses=CHANGED)
def purge_queue(
    queue: QueuePath,
    rt: RuntimeDep,
    session: SessionDep,
    admin: AdminUser,
    expected: Annotated[
        int,
        Query(
            ge=0,
            le=100_000_000,
            description="The queue's messages as seen in GET /qa/system/queues, confirmed; "
            "409 when the queue holds a different number now.",
        ),
    ],
) -> Purged:
    """Messages a worker already prefetched still run; cancel those as tasks."""
    now = admin_ops.purge_preview(celery=rt.celery, user=admin, queue=queue)
    if now != expected:
        raise Conflict(
            f"{queue} holds {count_of(now, 'message', 'messages')} now, not the {expected} you "
            "confirmed; nothing was removed. Check the queue again."
        )
    removed = admin_ops.purge_queue(session=session, celery=rt.celery, user=admin, queue=queue)
    return Purged(queue=queue, removed=removed)


# --- audit log


