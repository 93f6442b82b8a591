"""Questions and answers."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import ConfigDict, Field

from backend.api.schemas.common import Id, Model, NoNul, Progress, TaskState, TaskTimes
from backend.qa.questions import MAX_QUESTION_CHARS


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
    missing_names: list[str] = Field(
        default=[],
        description="Names the question uses that none of the passages searched mention.",
    )
    ungiven: str | None = Field(
        default=None,
        description=(
            "The kind of answer the question asks for that the answer (or, with no answer "
            "found, the closest passage) gives none of: 'an amount of money', 'a figure', "
            "'a year' or 'a time of day'."
        ),
    )
    confidence: Literal["well supported", "partly supported", "not found"] | None = Field(
        default=None,
        description="How well your documents support the answer, in words.",
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
