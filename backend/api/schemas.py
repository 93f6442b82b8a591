"""Request and response shapes of the REST API (they are the OpenAPI document)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from backend.qa.questions import MAX_QUESTION_CHARS

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


# --- accounts and tokens


class TokenOut(Model):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_at: datetime | None = None


class UserOut(Model):
    id: int
    email: str
    role: str
    is_active: bool
    created_at: datetime
    last_login_at: datetime | None = None


class ApiTokenCreate(Model):
    name: Annotated[str, Field(min_length=1, max_length=100, examples=["nightly import"]), NoNul]
    expires_in_days: Annotated[int | None, Field(ge=1, le=3650)] = None


class ApiTokenOut(Model):
    id: int
    name: str
    prefix: str = Field(description="The token's first characters, to recognise it.")
    created_at: datetime
    expires_at: datetime | None = None
    last_used_at: datetime | None = None


class ApiTokenIssued(ApiTokenOut):
    token: str = Field(description="The token itself; shown this once, store it now.")


# --- documents and uploads


class DocumentOut(Model):
    id: int
    filename: str
    content_type: str | None = None
    size_bytes: int
    status: DocumentState
    stage: str | None = None
    progress: int
    error: str | None = None
    page_count: int | None = None
    chunk_count: int
    task_id: str | None = None
    created_at: datetime
    updated_at: datetime
    processed_at: datetime | None = None

    @classmethod
    def of(cls, document: Any) -> DocumentOut:
        return cls(
            id=document.id,
            filename=document.filename,
            content_type=document.content_type,
            size_bytes=document.size_bytes,
            status=document.processing_status,
            stage=document.processing_stage,
            progress=document.processing_progress,
            error=document.processing_error,
            page_count=document.page_count,
            chunk_count=document.chunk_count,
            task_id=document.processing_task_id,
            created_at=document.created_at,
            updated_at=document.updated_at,
            processed_at=document.processed_at,
        )


class UploadItem(Model):
    task_id: str | None = Field(description="The processing task to poll at /qa/upload/status.")
    document_id: int
    filename: str
    status: TaskState = Field(description="The processing task's state.")
    duplicate: bool = Field(description="True when you had already uploaded this content.")
    document: DocumentOut


class UploadResponse(UploadItem):
    """The top-level fields describe the first file; `files` lists every file in order."""

    files: list[UploadItem]


class Progress(Model):
    stage: str | None = None
    percent: int | None = None


class TaskTimes(Model):
    queued_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None


class UploadStatus(TaskTimes):
    task_id: str
    status: TaskState
    progress: Progress | None = None
    result: DocumentOut | None = None
    error: str | None = None


# --- questions


class AskRequest(Model):
    question: Annotated[
        str,
        Field(
            min_length=1,
            max_length=MAX_QUESTION_CHARS,
            examples=["What is this document about?"],
        ),
        NoNul,
    ]
    document_ids: Annotated[
        list[Id] | None,
        Field(max_length=200, description="Only search these documents (all when omitted)."),
    ] = None


class Source(Model):
    model_config = ConfigDict(extra="allow")

    document_id: int
    filename: str
    page: int | None = None
    chunk_id: int | None = None
    text: str
    score: float


class AnswerFields(Model):
    """What an answered question carries, in the task result and in a sync ask alike."""

    answer: str | None = None
    found: bool | None = None
    sources: list[Source] = []
    closest: list[Source] = Field(
        default=[],
        description="With no answer found: the passages that came closest (not citations).",
    )
    latency_ms: float | None = None


class Answer(AnswerFields):
    question_id: int | None = None
    question: str | None = None


class AskResponse(AnswerFields):
    """Async mode: the task to poll. Sync mode: the answer as well (`status` SUCCESS)."""

    task_id: str
    question_id: int
    queue: str
    status: TaskState
    error: str | None = None


class AskStatus(TaskTimes):
    task_id: str
    status: TaskState
    progress: Progress | None = None
    result: Answer | None = None
    error: str | None = None


# --- tasks


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


class ErrorOut(Model):
    detail: str
