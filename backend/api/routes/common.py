"""Path parameters and small helpers the routers share."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path
from sqlalchemy.orm import Session

from backend.api.schemas.common import MAX_ID
from backend.ledger import task_records
from backend.models import TaskRecord, User
from backend.runtime import Runtime

TaskIdPath = Annotated[
    str,
    Path(
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9_.:-]+$",
        description="A task id, as returned when the task was submitted.",
    ),
]
DocumentIdPath = Annotated[int, Path(ge=1, le=MAX_ID)]


def live_status(
    *, session: Session, rt: Runtime, user: User, task_id: str
) -> tuple[dict[str, Any], TaskRecord]:
    """The task's status (ledger plus live progress) and its ledger row, for its owner."""
    live = task_records.task_status(session=session, celery=rt.celery, user=user, task_id=task_id)
    record = task_records.get_task(session=session, user=user, task_id=task_id)
    return live, record
