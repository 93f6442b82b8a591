"""Per-account BM25 statistics: a term's IDF over the asking account's own ready chunks.

The vector store holds each chunk's BM25 term-frequency weights and scores a question by a
plain dot product, so the question's weights are the terms' IDF. An engine computing IDF
itself would count every account's chunks, and one account's answers would move whenever
another uploaded or deleted a document. So each document records in how many of its chunks
each term occurs (`document_terms`, written in the transaction that stores its chunk rows),
and a question's weights come from the asking account's ready documents alone.

The IDF is taken over the account's whole ready library, also when a question is asked of a
few of its documents: a word's rarity is then a property of the library, the same for every
question, and a one-document question does not get degenerate weights (in a single document
nearly every word of the question is "common").
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

from sqlalchemy import delete, exists, func, insert, select
from sqlalchemy.orm import Session

from backend.db import SessionScope
from backend.models import Chunk, Document, DocumentStatus, DocumentTerm
from backend.retrieval.lexical import Sparse, document_vector, query_vector

INSERT_BATCH = 5_000


def idf(chunks: int, containing: int) -> float:
    """BM25's IDF, as Qdrant's IDF modifier computes it: ln(1 + (N - df + 0.5) / (df + 0.5))."""
    chunks = max(chunks, containing)
    return math.log(1.0 + (chunks - containing + 0.5) / (containing + 0.5))


def chunk_term_counts(vectors: Iterable[Sparse | None]) -> dict[int, int]:
    """In how many of the chunks each term occurs, from the chunks' BM25 vectors."""
    counts: Counter[int] = Counter()
    for vector in vectors:
        if vector is not None:
            counts.update(set(vector.indices))
    return dict(counts)


def replace_document_terms(
    session: Session, *, document_id: int, user_id: int, counts: Mapping[int, int]
) -> None:
    """Make the document's term rows exactly `counts` (a document processed again is
    counted once)."""
    session.execute(delete(DocumentTerm).where(DocumentTerm.document_id == document_id))
    rows = [
        {"document_id": document_id, "user_id": user_id, "term_id": term, "chunks": n}
        for term, n in sorted(counts.items())
    ]
    for start in range(0, len(rows), INSERT_BATCH):
        session.execute(insert(DocumentTerm), rows[start : start + INSERT_BATCH])


def library_term_weights(
    session: Session, *, user_id: int, terms: Sequence[int]
) -> dict[int, float]:
    """The IDF of each term over the account's ready chunks; terms none of them holds are
    left out (they can match nothing)."""
    if not terms:
        return {}
    ready = Document.processing_status == DocumentStatus.READY.value
    chunks = session.scalar(
        select(func.coalesce(func.sum(Document.chunk_count), 0)).where(
            Document.owner_id == user_id, ready
        )
    )
    found = session.execute(
        select(DocumentTerm.term_id, func.sum(DocumentTerm.chunks))
        .join(Document, Document.id == DocumentTerm.document_id)
        .where(DocumentTerm.user_id == user_id, DocumentTerm.term_id.in_(set(terms)), ready)
        .group_by(DocumentTerm.term_id)
    ).all()
    return {int(term): idf(int(chunks or 0), int(df)) for term, df in found if df}


def question_term_weights(
    *, sessions: SessionScope, user_id: int, question: str, mode: str
) -> dict[int, float] | None:
    """The question's lexical weights for `VectorStore.search` (None for a dense search)."""
    if mode == "dense":
        return None
    terms = query_vector(question).indices
    with sessions() as session:
        return library_term_weights(session, user_id=user_id, terms=terms)


def documents_without_terms(sessions: SessionScope) -> list[tuple[int, int]]:
    """(document id, owner id) of ready documents that have passages but no term rows
    (processed before the statistics existed)."""
    query = (
        select(Document.id, Document.owner_id)
        .where(
            Document.processing_status == DocumentStatus.READY.value,
            Document.chunk_count > 0,
            ~exists().where(DocumentTerm.document_id == Document.id),
        )
        .order_by(Document.id)
    )
    with sessions() as session:
        return [(row.id, row.owner_id) for row in session.execute(query)]


def count_document_terms(sessions: SessionScope, document_id: int, owner_id: int) -> int:
    """Count the terms of a document's stored passages into its rows; returns the terms."""
    with sessions() as session:
        texts = session.scalars(select(Chunk.text).where(Chunk.document_id == document_id))
        counts = chunk_term_counts(document_vector(text) for text in texts)
        replace_document_terms(session, document_id=document_id, user_id=owner_id, counts=counts)
    return len(counts)


def backfill_document_terms(sessions: SessionScope) -> int:
    """Count the terms of every ready document that lacks them; returns how many documents
    got terms (one of stop words only has none, and is looked at again next time: cheaply)."""
    missing = documents_without_terms(sessions)
    return sum(1 for doc, owner in missing if count_document_terms(sessions, doc, owner))
