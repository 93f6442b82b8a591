"""What the administration routers share: the router's shape, responses, filters."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from backend.api.schemas.common import MAX_ID, ErrorOut, NoNul
from backend.reports.usage import MAX_DAYS

Responses = dict[int | str, dict[str, Any]]


def admin_router() -> APIRouter:
    """A router under /qa/admin that documents the 403 every route gives non-admins."""
    return APIRouter(
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


def count_of(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"
