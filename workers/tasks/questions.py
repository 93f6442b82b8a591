"""question_answering and high_priority queues: answer questions."""

from __future__ import annotations

from typing import Any

from backend.config import get_settings
from backend.qa import questions
from workers.celery_app import celery_app
from workers.runtime import get_runtime
from workers.tasks import RETRY_OPTIONS, secure_user

_settings = get_settings()
_LIMITS = {
    "soft_time_limit": _settings.question_soft_time_limit,
    "time_limit": _settings.question_time_limit,
}


@celery_app.task(
    bind=True, name="workers.tasks.questions.answer_question", **_LIMITS, **RETRY_OPTIONS
)
def answer_question(
    self: Any, *, question_id: int, user_id: int, retrieval: str | None = None
) -> dict[str, Any]:
    """Answer a question from the user's documents."""
    secure_user(user_id)
    return questions.answer_question(
        rt=get_runtime(), question_id=question_id, user_id=user_id, retrieval=retrieval
    )


@celery_app.task(
    bind=True, name="workers.tasks.questions.priority_question", **_LIMITS, **RETRY_OPTIONS
)
def priority_question(
    self: Any, *, question_id: int, user_id: int, retrieval: str | None = None
) -> dict[str, Any]:
    """Answer an urgent question (routed to high_priority)."""
    secure_user(user_id)
    return questions.answer_question(
        rt=get_runtime(), question_id=question_id, user_id=user_id, retrieval=retrieval
    )
