"""Administration (administrators only): accounts and usage, every user's tasks, queues, audit.

Each route is a thin door to a service function, which checks the role itself as well.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, status

from backend.accounts import admin_users, audit, users
from backend.api.deps import AdminUser, RuntimeDep, SessionDep
from backend.api.routes.common import TaskIdPath
from backend.api.routes.tasks import LedgerState
from backend.api.schemas.accounts import UserOut
from backend.api.schemas.admin import (
    AccountChange,
    AccountCreate,
    AdminDocumentOut,
    AdminTaskOut,
    AdminTaskPage,
    AuditEntryOut,
    AuditPageOut,
    BulkRetried,
    FailedCount,
    PasswordIssued,
    Purged,
    StuckTaskOut,
    UsageRow,
    UserDetailOut,
)
from backend.api.schemas.common import MAX_ID, ErrorOut, NoNul
from backend.api.schemas.reports import DayStateCount
from backend.api.schemas.tasks import TaskAccepted, TaskOut
from backend.errors import Conflict
from backend.ledger import admin_tasks
from backend.ledger.catalog import QueueName
from backend.ledger.task_view import task_row
from backend.models import User
from backend.operations import admin_ops, user_admin
from backend.reports.usage import MAX_DAYS

Responses = dict[int | str, dict[str, Any]]
router = APIRouter(
    prefix="/qa/admin",
    tags=["administration"],
    responses={403: {"model": ErrorOut, "description": "Not an administrator."}},
)
NOT_FOUND: Responses = {404: {"model": ErrorOut, "description": "No such account or task."}}
CHANGED: Responses = {
    409: {"model": ErrorOut, "description": "The count changed since you looked; look again."}
}

UserIdPath = Annotated[int, Path(ge=1, le=MAX_ID, description="An account id.")]
Days = Annotated[int, Query(ge=1, le=MAX_DAYS, description="The period, in days up to today.")]
Filter = Annotated[str, NoNul]  # PostgreSQL text cannot hold NUL characters
QueuePath = Annotated[
    str, Path(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.:-]+$", description="A queue.")
]


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


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


# --- accounts


@router.get("/users", summary="Every account with its usage")
def list_users(session: SessionDep, admin: AdminUser, days: Days = 30) -> list[UsageRow]:
    """Documents, questions, tasks, failure rate and latency per account over the period."""
    rows = admin_users.usage_by_user(session=session, user=admin, days=days)
    return [UsageRow.model_validate(r) for r in rows]


@router.get("/users/{user_id}", summary="One account in detail", responses=NOT_FOUND)
def user_detail(
    user_id: UserIdPath, session: SessionDep, admin: AdminUser, days: Days = 30
) -> UserDetailOut:
    """Usage, tasks by state and per day, recent tasks, documents and the audit of the account."""
    detail = admin_users.user_detail(session=session, user=admin, user_id=user_id, days=days)
    return UserDetailOut(
        account=UserOut.model_validate(detail.account),
        usage=UsageRow.model_validate(detail.usage),
        tasks_by_state=detail.tasks_by_state,
        per_day=[DayStateCount.model_validate(d) for d in detail.per_day],
        recent_tasks=[TaskOut.model_validate(task_row(t)) for t in detail.recent_tasks],
        documents=[
            AdminDocumentOut(
                id=d.id,
                filename=d.filename,
                status=d.processing_status,
                size_bytes=d.size_bytes,
                chunk_count=d.chunk_count,
                error=d.processing_error,
                created_at=d.created_at,
            )
            for d in detail.documents
        ],
        audit=[AuditEntryOut.model_validate(e) for e in detail.audit],
    )


@router.post(
    "/users",
    status_code=status.HTTP_201_CREATED,
    summary="Create an account",
    responses={409: {"model": ErrorOut, "description": "The email is taken."}},
)
def create_account(body: AccountCreate, session: SessionDep, admin: AdminUser) -> UserOut:
    created = admin_users.create_account(
        session=session, user=admin, email=body.email, password=body.password, role=body.role
    )
    return UserOut.model_validate(created)


@router.patch("/users/{user_id}", summary="Change the role or reactivate", responses=NOT_FOUND)
def change_account(
    user_id: UserIdPath, body: AccountChange, session: SessionDep, admin: AdminUser
) -> UserOut:
    """`role` sets user, premium or admin; `active: true` reactivates the account.

    `active: false` is refused with 422: deactivating revokes the account's unfinished tasks
    in a background task, so it has its own route, `POST /qa/admin/users/{user_id}/deactivate`
    (202 with the task), and this route always answers with the account as it is now.
    """
    target: User | None = None
    if body.active:
        target = admin_users.set_active(session=session, user=admin, user_id=user_id, active=True)
    if body.role is not None:
        target = admin_users.set_role(session=session, user=admin, user_id=user_id, role=body.role)
    assert target is not None  # AccountChange asks for one change at least
    return UserOut.model_validate(target)


@router.post(
    "/users/{user_id}/password", summary="Reset an account's password", responses=NOT_FOUND
)
def reset_password(user_id: UserIdPath, session: SessionDep, admin: AdminUser) -> PasswordIssued:
    """A new generated password, shown this once; give it to the account's owner."""
    password = admin_users.reset_password(session=session, user=admin, user_id=user_id)
    email = users.get_user(session=session, user_id=user_id).email
    return PasswordIssued(user_id=user_id, email=email, password=password)


@router.post(
    "/users/{user_id}/deactivate",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Deactivate an account",
    responses=NOT_FOUND,
)
def deactivate_account(
    user_id: UserIdPath, rt: RuntimeDep, session: SessionDep, admin: AdminUser
) -> TaskAccepted:
    """The account cannot sign in from now on; a task revokes its unfinished tasks."""
    ref = user_admin.deactivate_user(
        session=session, celery=rt.celery, actor=admin, user_id=user_id
    )
    return TaskAccepted.model_validate(ref)


@router.delete(
    "/users/{user_id}",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Delete an account and everything it owns",
    responses=NOT_FOUND,
)
def delete_account(
    user_id: UserIdPath, rt: RuntimeDep, session: SessionDep, admin: AdminUser
) -> TaskAccepted:
    """Deactivated at once; a task removes its documents, vectors, files, questions and tasks."""
    ref = user_admin.delete_user(session=session, celery=rt.celery, actor=admin, user_id=user_id)
    return TaskAccepted.model_validate(ref)


@router.post(
    "/users/{user_id}/report",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Prepare an account's usage report",
    responses=NOT_FOUND,
)
def request_report(
    user_id: UserIdPath, rt: RuntimeDep, session: SessionDep, admin: AdminUser, days: Days = 30
) -> TaskAccepted:
    """A task builds the report and stores it with the account's reports."""
    ref = user_admin.request_report(
        session=session, celery=rt.celery, actor=admin, user_id=user_id, days=days
    )
    return TaskAccepted.model_validate(ref)


# --- every user's tasks


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
def failed_count(session: SessionDep, admin: AdminUser, filters: TaskFiltersDep) -> FailedCount:
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
            f"{_count(now, 'failed task matches', 'failed tasks match')} these filters now, "
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
            f"{queue} holds {_count(now, 'message', 'messages')} now, not the {expected} you "
            "confirmed; nothing was removed. Check the queue again."
        )
    removed = admin_ops.purge_queue(session=session, celery=rt.celery, user=admin, queue=queue)
    return Purged(queue=queue, removed=removed)


# --- audit log


@router.get("/audit", summary="The audit log, newest first")
def browse_audit(
    session: SessionDep,
    admin: AdminUser,
    action: Annotated[
        Filter | None, Query(max_length=50, description="One action, e.g. purge_queue.")
    ] = None,
    actor: Annotated[
        Filter | None, Query(max_length=320, description="Part of the acting admin's email.")
    ] = None,
    text: Annotated[
        Filter | None, Query(max_length=200, description="Part of the target or the detail.")
    ] = None,
    since: Annotated[datetime | None, Query(description="Only entries at or after this.")] = None,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=500)] = 50,
) -> AuditPageOut:
    found = audit.browse_entries(
        session=session,
        user=admin,
        filters=audit.AuditFilters(action=action, actor=actor, text=text, since=since),
        page=page,
        page_size=page_size,
    )
    return AuditPageOut(
        items=[AuditEntryOut.model_validate(e) for e in found.rows],
        total=found.total,
        page=found.page,
        page_size=found.page_size,
        pages=found.pages,
    )
