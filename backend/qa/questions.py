"""Questions: submit (sender side) and answer from the user's own documents (worker side)."""

from __future__ import annotations

import logging
import time
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
from backend.models import Chunk, Document, DocumentStatus, Question, User, utcnow
from backend.qa.answering import LEXICAL_WEIGHT, NOT_FOUND, Answer, Passage, extractive_answer
from backend.qa.llm import LLMAnswerer, LLMError
from backend.retrieval.vector_store import Hit, SearchMode
from backend.runtime import Runtime

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


# --- worker side


def retrieve(
    rt: Runtime,
    *,
    user_id: int,
    question: str,
    document_ids: list[int] | None,
    limit: int,
    mode: SearchMode = "hybrid",
) -> tuple[Any, list[Passage]]:
    """The question's vector and the user's best passages, resolved against the database."""
    vector = rt.embedder.embed([question])[0]
    hits = rt.vector_store.search(
        vector,
        user_id=user_id,
        document_ids=document_ids,
        limit=limit,
        query_text=question,
        mode=mode,
        candidates=rt.settings.retrieval_candidates,
    )
    with rt.session() as session:
        passages = resolve_hits(session, user_id, hits)
    return vector, passages


def resolve_hits(session: Session, user_id: int, hits: list[Hit]) -> list[Passage]:
    """Passages for hits whose document still exists, is ready and belongs to the user."""
    if not hits:
        return []
    doc_ids = {h.document_id for h in hits}
    rows = session.execute(
        select(Chunk.id, Chunk.document_id, Chunk.ordinal, Document.filename)
        .join(Document, Document.id == Chunk.document_id)
        .where(
            Chunk.document_id.in_(doc_ids),
            Document.owner_id == user_id,
            Document.processing_status == DocumentStatus.READY.value,
        )
    ).all()
    index = {(r.document_id, r.ordinal): (r.id, r.filename) for r in rows}
    passages = []
    for hit in hits:
        found = index.get((hit.document_id, hit.ordinal))
        if found is not None:
            chunk_id, filename = found
            passages.append(
                Passage(
                    chunk_id,
                    hit.document_id,
                    filename,
                    hit.page,
                    hit.text,
                    hit.score,
                    hit.similarity,
                )
            )
    return passages


def answer_text(
    rt: Runtime,
    *,
    user_id: int,
    question: str,
    document_ids: list[int] | None = None,
    method: str | None = None,
) -> Answer:
    """Retrieve and answer in this process (the worker's core, also used by benchmarks)."""
    settings = rt.settings
    chosen = parse_method(method or settings.retrieval_mode)
    vector, passages = retrieve(
        rt,
        user_id=user_id,
        question=question,
        document_ids=document_ids,
        limit=max(settings.rerank_pool, settings.retrieval_top_k),
        mode=chosen.mode,
    )
    answer = extractive_answer(
        question,
        vector,
        passages,
        embedder=rt.sentence_vectors,
        min_score=settings.answer_min_score,
        top_k=settings.retrieval_top_k,
        rerank=chosen.rerank,
        lexical_weight=LEXICAL_WEIGHT if chosen.lexical else 0.0,
    )
    llm = LLMAnswerer.from_settings(settings)
    if llm is None or not answer.found:
        return answer
    return rewrite_with_llm(llm, question, answer)


def rewrite_with_llm(llm: LLMAnswerer, question: str, answer: Answer) -> Answer:
    """The LLM's answer from the same sources; the extractive one when the LLM fails."""
    try:
        reply = llm.answer(question, answer.sources)
    except LLMError as exc:
        log.warning("LLM answerer failed; keeping the extractive answer (%s)", exc)
        return answer
    if not reply.found:
        return Answer(
            text=NOT_FOUND,
            found=False,
            score=answer.score,
            answerer="llm",
            closest=answer.sources,
        )
    return Answer(
        text=reply.text, found=True, sources=answer.sources, score=answer.score, answerer="llm"
    )


def answer_question(
    *, rt: Runtime, question_id: int, user_id: int, retrieval: str | None = None
) -> dict[str, Any]:
    """Answer a recorded question once (a second run returns the stored answer)."""
    with rt.session() as session:
        record = session.get(Question, question_id)
        if record is None or record.user_id != user_id:
            raise NotFound(f"Question {question_id} no longer exists.")
        if record.answered_at is not None:
            return question_result(record)
        text, document_ids, created = record.text, record.document_ids, record.created_at
    started = time.perf_counter()
    answer = answer_text(
        rt, user_id=user_id, question=text, document_ids=document_ids, method=retrieval
    )
    compute_ms = (time.perf_counter() - started) * 1000
    with rt.session() as session:
        record = session.get(Question, question_id)
        if record is None:
            raise NotFound(f"Question {question_id} no longer exists.")
        record.answer = answer.text
        record.found = answer.found
        record.sources = answer.sources
        record.closest = answer.closest or None
        record.answered_at = utcnow()
        record.latency_ms = _elapsed_ms(created, record.answered_at, compute_ms)
        result = question_result(record)
    result["compute_ms"] = round(compute_ms, 1)
    result["answerer"] = answer.answerer
    return result


def _elapsed_ms(created: Any, answered: Any, fallback: float) -> float:
    if created is None:
        return fallback
    if created.tzinfo is None:
        created = created.replace(tzinfo=answered.tzinfo)
    return round((answered - created).total_seconds() * 1000, 1)


def question_result(record: Question) -> dict[str, Any]:
    """The answer in the API's shape."""
    return {
        "question_id": record.id,
        "question": record.text,
        "answer": record.answer,
        "found": record.found,
        "sources": record.sources or [],
        "closest": record.closest or [],
        "latency_ms": record.latency_ms,
    }
