"""What every API shape shares: the base model, id bounds, state names, the error body."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

MAX_ID = 2**31 - 1  # ids are 32-bit integers in the database
TaskState = Literal[
    "PENDING", "STARTED", "PROGRESS", "RETRY", "SUCCESS", "FAILURE", "REVOKED", "STUCK"
]
DocumentState = Literal["pending", "processing", "ready", "failed"]


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


NoNul = AfterValidator(_no_nul)  # PostgreSQL text cannot hold NUL characters
Id = Annotated[int, Field(ge=1, le=MAX_ID)]


class Model(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class ErrorOut(Model):
    detail: str


class Progress(Model):
    stage: str | None = None
    percent: int | None = None


class TaskTimes(Model):
    queued_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
