"""question_answering and high_priority queues: answer questions."""

from __future__ import annotations

from typing import Any

from backend.ledger import catalog
from backend.qa import questions
from workers.celery_app import celery_app
from workers.tasks import secure_user, task_options


@celery_app.task(**task_options(catalog.ANSWER_QUESTION))
def answer_question(
    self: Any, *, question_id: int, user_id: int, retrieval: str | None = None
) -> dict[str, Any]:
    """Answer a question from the user's documents."""
    rt = self.app.runtime
    secure_user(rt, user_id)
    return questions.answer_question(
        rt=rt, question_id=question_id, user_id=user_id, retrieval=retrieval
    )


@celery_app.task(**task_options(catalog.PRIORITY_QUESTION))
def priority_question(
    self: Any, *, question_id: int, user_id: int, retrieval: str | None = None
) -> dict[str, Any]:
    """Answer an urgent question (routed to high_priority)."""
    rt = self.app.runtime
    secure_user(rt, user_id)
    return questions.answer_question(
        rt=rt, question_id=question_id, user_id=user_id, retrieval=retrieval
    )
