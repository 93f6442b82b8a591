"""question_answering and high_priority queues: answer questions."""

from __future__ import annotations

from typing import Any

from backend.ledger import catalog
from backend.qa import pipeline
from workers.celery_app import celery_app
from workers.tasks import secure_user, task_options


def _answer(task: Any, question_id: int, user_id: int, retrieval: str | None) -> dict[str, Any]:
    rt = task.app.runtime
    secure_user(rt, user_id)
    return pipeline.answer_question(
        sessions=rt.session,
        settings=rt.settings,
        embedder=rt.embedder,
        sentence_vectors=rt.sentence_vectors,
        store=rt.vector_store,
        question_id=question_id,
        user_id=user_id,
        retrieval=retrieval,
    )


@celery_app.task(**task_options(catalog.ANSWER_QUESTION))
def answer_question(
    self: Any, *, question_id: int, user_id: int, retrieval: str | None = None
) -> dict[str, Any]:
    """Answer a question from the user's documents."""
    return _answer(self, question_id, user_id, retrieval)


@celery_app.task(**task_options(catalog.PRIORITY_QUESTION))
def priority_question(
    self: Any, *, question_id: int, user_id: int, retrieval: str | None = None
) -> dict[str, Any]:
    """Answer an urgent question (routed to high_priority)."""
    return _answer(self, question_id, user_id, retrieval)
