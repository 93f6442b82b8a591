"""Questions: submit (sender side) and answer from the user's own documents (worker side)."""

from __future__ import annotations

import logging
from typing import Any, NamedTuple

from celery import Celery
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.accounts.rate_limits import RateLimiter
from backend.accounts.users import require_active
from backend.documents.library import ready_document_count
from backend.errors import InvalidInput, NotFound, PermissionDenied, ServiceUnavailable
from backend.ledger.catalog import ANSWER_QUESTION, PRIORITY_QUESTION
from backend.ledger.task_records import TaskRef, submit_task
from backend.models import Document, Question, User
from backend.retrieval.vector_store import SearchMode

log = logging.getLogger(__name__)
MAX_QUESTION_CHARS = 2000


def submit_question(
    *,
    session: Session,
    celery: Celery,
    user: User,
    question: str,
    document_ids: list[int] | None = None,
    priority: bool | None = None,
    retrieval: str | None = None,
    limiter: RateLimiter | None = None,
) -> tuple[Question, TaskRef]:
    """Record the question and queue it; with a limiter, a user over the hourly limit is
    refused before anything is queued.

    `priority` None follows the account: premium users' questions go to high_priority, ahead
    of normal ones. True asks for high_priority (premium only); False keeps the normal queue.
    """
    require_active(user)
    text = " ".join((question or "").split())
    if not text:
        raise InvalidInput("Please type a question.")
    if len(text) > MAX_QUESTION_CHARS:
        raise InvalidInput(f"Questions are limited to {MAX_QUESTION_CHARS} characters.")
    if priority is None:
        priority = user.is_premium
    if priority and not user.is_premium:
        raise PermissionDenied(
            "Urgent questions are a premium feature; your question can be asked normally."
        )
    if retrieval is not None:
        parse_method(retrieval)
    ids = _owned_document_ids(session, user, document_ids)
    if ready_document_count(session=session, user=user) == 0:
        raise InvalidInput("You have no processed documents yet; upload a document first.")
    admission = limiter.admit(user, "question") if limiter is not None else None
    record = Question(user_id=user.id, text=text, document_ids=ids, priority=priority)
    session.add(record)
    session.flush()
    try:
        task = submit_task(
            session=session,
            celery=celery,
            name=PRIORITY_QUESTION if priority else ANSWER_QUESTION,
            kwargs={"question_id": record.id, "user_id": user.id}
            | ({"retrieval": retrieval} if retrieval else {}),
            user_id=user.id,
        )
    except ServiceUnavailable:
        # Nothing was queued: a question left behind would wait for an answer forever.
        session.delete(record)
        session.commit()
        if limiter is not None:
            limiter.release(admission)
        raise
    record.task_id = task.task_id
    session.commit()
    return record, task


def _owned_document_ids(
    session: Session, user: User, document_ids: list[int] | None
) -> list[int] | None:
    if not document_ids:
        return None
    ids = sorted(set(document_ids))
    owned = set(
        session.scalars(
            select(Document.id).where(Document.id.in_(ids), Document.owner_id == user.id)
        )
    )
    missing = [i for i in ids if i not in owned]
    if missing:
        raise NotFound(f"No such document: {', '.join(map(str, missing))}.")
    return ids


METHODS = ("hybrid", "dense", "sparse")


class Method(NamedTuple):
    mode: SearchMode
    rerank: bool  # sources re-ranked by their best sentence
    lexical: bool  # sentences scored with shared words as well as meaning


def parse_method(method: str) -> Method:
    """'hybrid', 'dense' or 'sparse'; with '-plain' the sources keep their retrieval order
    instead of being re-ranked by their best sentence, and with '-semantic' sentences are
    scored by meaning alone (for the baselines of `eval`)."""
    mode, _, suffix = method.partition("-")
    if mode not in METHODS or suffix not in ("", "plain", "semantic"):
        raise InvalidInput(f"Unknown retrieval method '{method}'.")
    return Method(mode, suffix != "plain", suffix != "semantic")  # type: ignore[arg-type]


def list_questions(*, session: Session, user: User, limit: int = 50) -> list[Question]:
    """The user's past questions, newest first."""
    query = select(Question).where(Question.user_id == user.id)
    return list(session.scalars(query.order_by(Question.created_at.desc()).limit(limit)))


def question_result(record: Question) -> dict[str, Any]:
    """The answer in the API's shape."""
    return {
        "question_id": record.id,
        "question": record.text,
        "answer": record.answer,
        "found": record.found,
        "sources": record.sources or [],
        "closest": record.closest or [],
        "missing_names": record.missing_names or [],
        "ungiven": record.ungiven,
        "confidence": record.confidence,
        "latency_ms": record.latency_ms,
    }


def stored_answer(*, session: Session, user: User, question_id: int) -> dict[str, Any] | None:
    """The user's answered question in the API's shape (the result store forgets answers
    after RESULT_EXPIRES_SECONDS; the database keeps them); None while unanswered."""
    record = session.get(Question, question_id)
    if record is None or record.user_id != user.id or record.answered_at is None:
        return None
    return question_result(record)
