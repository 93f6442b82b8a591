"""Documents and uploads."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from backend.api.schemas.common import DocumentState, Model, Progress, TaskState, TaskTimes


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


class UploadStatus(TaskTimes):
    task_id: str
    status: TaskState
    progress: Progress | None = None
    result: DocumentOut | None = None
    error: str | None = None
