"""Administration (administrators only): accounts and usage, and the audit log.

Each route is a thin door to a service function, which checks the role itself as well.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import Query, status

from backend.accounts import admin_users, audit, users
from backend.api.deps import AdminUser, RuntimeDep, SessionDep
from backend.api.routes.admin_common import (
    NOT_FOUND,
    Days,
    Filter,
    UserIdPath,
    admin_router,
)
from backend.api.schemas.accounts import UserOut
from backend.api.schemas.admin import (
    AccountChange,
    AccountCreate,
    AdminDocumentOut,
    AuditEntryOut,
    AuditPageOut,
    PasswordIssued,
    UsageRow,
    UserDetailOut,
)
from backend.api.schemas.common import ErrorOut
from backend.api.schemas.reports import DayStateCount
from backend.api.schemas.tasks import TaskAccepted, TaskOut
from backend.ledger.task_view import task_row
from backend.models import User
from backend.operations import user_admin

router = admin_router()


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
    "/users/{user_id}/unlock-sign-in",
    summary="Clear an account's sign-in back-off",
    responses=NOT_FOUND,
)
def unlock_sign_in(
    user_id: UserIdPath, rt: RuntimeDep, session: SessionDep, admin: AdminUser
) -> UserOut:
    """Forget the account's failed sign-ins from every client, so it can sign in at once."""
    target, _ = admin_users.unlock_sign_in(
        session=session, redis=rt.redis, user=admin, user_id=user_id
    )
    return UserOut.model_validate(target)


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
