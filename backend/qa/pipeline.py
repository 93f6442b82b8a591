"""A question on the worker: retrieve the user's passages, rerank their sentences, answer
(extractively, or through the LLM when one is set), and store the answer once."""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from typing import Any

import numpy as np
from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from backend.config import Settings
from backend.db import SessionScope
from backend.errors import NotFound
from backend.models import Chunk, Document, DocumentStatus, Question, utcnow
from backend.qa.answering import NOT_FOUND, Answer, confidence, extractive_answer
from backend.qa.llm import LLMAnswerer, LLMError
from backend.qa.questions import parse_method, question_result
from backend.qa.sentence_scores import LEXICAL_WEIGHT, Passage
from backend.retrieval.embeddings import EMBEDDING_DIM, Embedder
from backend.retrieval.points import Hit
from backend.retrieval.pooling import unpack_token_states, unpack_vectors
from backend.retrieval.term_stats import question_term_weights
from backend.retrieval.vector_cache import TextEmbedder
from backend.retrieval.vector_store import SearchMode, VectorStore

log = logging.getLogger(__name__)


def retrieve(
    *,
    sessions: SessionScope,
    settings: Settings,
    embedder: Embedder,
    store: VectorStore,
    user_id: int,
    question: str,
    document_ids: list[int] | None,
    limit: int,
    mode: SearchMode = "hybrid",
    vector: np.ndarray | None = None,
) -> tuple[Any, list[Passage]]:
    """The question's vector (`vector`, when the caller has encoded the question) and the
    user's best passages, resolved against the database."""
    if vector is None:
        vector = embedder.embed([question])[0]
    hits = store.search(
        vector,
        user_id=user_id,
        document_ids=document_ids,
        limit=limit,
        query_text=question,
        mode=mode,
        candidates=settings.retrieval_candidates,
        # Words weighed by their rarity in this account's own documents only.
        term_weights=question_term_weights(
            sessions=sessions, user_id=user_id, question=question, mode=mode
        ),
    )
    with sessions() as session:
        passages = resolve_hits(session, user_id, hits)
    return vector, passages


def resolve_hits(session: Session, user_id: int, hits: list[Hit]) -> list[Passage]:
    """Passages for hits whose document still exists, is ready and belongs to the user."""
    if not hits:
        return []
    rows = session.execute(
        select(
            Chunk.id,
            Chunk.document_id,
            Chunk.ordinal,
            Chunk.sentence_spans,
            Chunk.sentence_vectors,
            Chunk.token_states,
            Document.filename,
        )
        .join(Document, Document.id == Chunk.document_id)
        .where(
            # The hit passages only: a chunk row carries its sentence vectors and token states
            # (some 60 KB), and a document holds hundreds of chunks.
            tuple_(Chunk.document_id, Chunk.ordinal).in_(
                sorted({(h.document_id, h.ordinal) for h in hits})
            ),
            Document.owner_id == user_id,
            Document.processing_status == DocumentStatus.READY.value,
        )
    ).all()
    index = {(r.document_id, r.ordinal): r for r in rows}
    passages = []
    for hit in hits:
        row = index.get((hit.document_id, hit.ordinal))
        if row is not None:
            passages.append(
                Passage(
                    row.id,
                    hit.document_id,
                    row.filename,
                    hit.page,
                    hit.text,
                    hit.score,
                    hit.similarity,
                    stored_sentences(row.sentence_spans, row.sentence_vectors),
                    unpack_token_states(row.token_states) if row.token_states else None,
                    ordinal=hit.ordinal,
                )
            )
    return passages


def stored_sentences(spans: Any, data: bytes | None) -> dict[tuple[int, int], Any] | None:
    """The chunk's sentence vectors by (start, end), as stored at processing (None for a
    chunk stored before they were; zero rows, for spans the encoder did not reach, left out)."""
    if not spans or not data:
        return None
    rows = unpack_vectors(data, EMBEDDING_DIM)
    if len(rows) != len(spans):
        return None
    return {(int(a), int(b)): v for (a, b), v in zip(spans, rows, strict=True) if v.any()}


def answer_text(
    *,
    sessions: SessionScope,
    settings: Settings,
    embedder: Embedder,
    sentence_vectors: TextEmbedder,
    store: VectorStore,
    user_id: int,
    question: str,
    document_ids: list[int] | None = None,
    method: str | None = None,
) -> Answer:
    """Retrieve and answer in this process (the worker's core, also used by benchmarks)."""
    chosen = parse_method(method or settings.retrieval_mode)
    # One encoder run gives the question's vector and the token states the token match reads.
    vector, asked = embedder.encode_question(question)
    _, passages = retrieve(
        sessions=sessions,
        settings=settings,
        embedder=embedder,
        store=store,
        user_id=user_id,
        question=question,
        document_ids=document_ids,
        limit=max(settings.rerank_pool, settings.retrieval_top_k),
        mode=chosen.mode,
        vector=vector,
    )
    answer = extractive_answer(
        question,
        vector,
        passages,
        embedder=sentence_vectors,
        min_score=settings.answer_min_score,
        top_k=settings.retrieval_top_k,
        rerank=chosen.rerank,
        lexical_weight=LEXICAL_WEIGHT if chosen.lexical else 0.0,
        tokens=embedder,
        question_tokens=asked,
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
        return replace(
            answer, text=NOT_FOUND, found=False, answerer="llm", sources=[], closest=answer.sources
        )
    return replace(answer, text=reply.text, answerer="llm")


def answer_question(
    *,
    sessions: SessionScope,
    settings: Settings,
    embedder: Embedder,
    sentence_vectors: TextEmbedder,
    store: VectorStore,
    question_id: int,
    user_id: int,
    retrieval: str | None = None,
) -> dict[str, Any]:
    """Answer a recorded question once (a second run returns the stored answer)."""
    with sessions() as session:
        record = session.get(Question, question_id)
        if record is None or record.user_id != user_id:
            raise NotFound(f"Question {question_id} no longer exists.")
        if record.answered_at is not None:
            return question_result(record)
        text, document_ids, created = record.text, record.document_ids, record.created_at
    started = time.perf_counter()
    answer = answer_text(
        sessions=sessions,
        settings=settings,
        embedder=embedder,
        sentence_vectors=sentence_vectors,
        store=store,
        user_id=user_id,
        question=text,
        document_ids=document_ids,
        method=retrieval,
    )
    compute_ms = (time.perf_counter() - started) * 1000
    with sessions() as session:
        record = session.get(Question, question_id)
        if record is None:
            raise NotFound(f"Question {question_id} no longer exists.")
        record.answer = answer.text
        record.found = answer.found
        record.sources = answer.sources
        record.closest = answer.closest or None
        record.missing_names = answer.missing_names or None
        record.ungiven = answer.ungiven
        record.confidence = confidence(answer, strong=settings.answer_strong_score)
        record.answered_at = utcnow()
        record.latency_ms = _elapsed_ms(created, record.answered_at, compute_ms)
        result = question_result(record)
    result["compute_ms"] = round(compute_ms, 1)
    result["answerer"] = answer.answerer
    log.info(
        "question %s of user %s answered in %.0f ms (%s, %d sources, %s)",
        question_id,
        user_id,
        compute_ms,
        "found" if answer.found else "not found",
        len(answer.sources),
        answer.answerer,
    )
    if settings.log_content:  # debugging only: questions and answers are the users' own text
        log.info("question %s: %r -> %r", question_id, text, answer.text)
    return result


def _elapsed_ms(created: Any, answered: Any, fallback: float) -> float:
    if created is None:
        return fallback
    if created.tzinfo is None:
        created = created.replace(tzinfo=answered.tzinfo)
    return round((answered - created).total_seconds() * 1000, 1)
