"""question_answering and high_priority queues: answer questions."""

from __future__ import annotations

import logging
from typing import Any

from backend.config import get_settings
from backend.ledger import catalog
from backend.qa import pipeline
from workers.celery_app import celery_app
from workers.tasks import secure_user, task_options

_QUESTION_TASKS = frozenset({catalog.ANSWER_QUESTION, catalog.PRIORITY_QUESTION})
_NOT_LOGGED = "(the question and answer are not logged; LOG_CONTENT=true logs them)"


class _NoAnswersInTaskLogs(logging.Filter):
    """Celery logs a finished task's return value, which for a question is its text and its
    answer: the pipeline logs ids and timings instead, and the text only with LOG_CONTENT."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if (
            isinstance(args, dict)
            and args.get("name") in _QUESTION_TASKS
            and "return_value" in args
            and not get_settings().log_content
        ):
            record.args = {**args, "return_value": _NOT_LOGGED}
        return True


logging.getLogger("celery.app.trace").addFilter(_NoAnswersInTaskLogs())


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
