"""The vector store contract: every user's chunks in one collection, every query, count and
delete filtered to one user or one document.

Two adapters keep it: `EdgeStore` (the embedded default: a Qdrant Edge shard in the worker
process) and `ServerStore` (a Qdrant server at `QDRANT_URL`). Both hold the same named vectors
(`dense`: cosine, 384 dimensions; `lexical`: sparse BM25 term-frequency weights scored by dot
product), the same point ids, the same payload indexes (`user_id`, `document_id`) and run the
same query: a dense and a lexical search, each filtered to the tenant, fused here by reciprocal
rank. Fusing here, not in the engine, keeps the answers the same from one ingestion of the same
text to the next: the engine orders points of equal score in an order of its own (it follows
the order the points were written), so a list cut inside a tie (common for BM25: chunks
holding the same question word as often, at the same length) could keep other points. Here
a tie at the cut-off is kept whole and tied points share their rank. The question's lexical
weights are the terms' IDF over the asking account's own chunks (`term_stats`), so no
account's answers depend on another's documents.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from backend.errors import ServiceError
from backend.retrieval.lexical import Sparse, query_vector
from backend.retrieval.points import ChunkPoint, Hit

DENSE = "dense"
LEXICAL = "lexical"
# Reciprocal rank fusion's constant: 10, not the usual 60, so the top of each list counts
# for more against its tail. On squad-dev the pool of 20 passages the answer is read from
# held the gold passage for 99.41 % of questions (60: 99.18 %), and squad-val, not used to
# choose it, agrees (98.11 % against 97.63 %).
RRF_K = 10
# Points asked of the engine beyond a list's cut-off, to see whether a tie runs past it.
TIE_MARGIN = 8
DIMENSIONS = 384
SearchMode = Literal["dense", "sparse", "hybrid"]


class VectorStoreUnavailable(ServiceError):
    """The store cannot be opened; the message names the folder and what to do."""

    status = 503


class VectorStoreBusy(VectorStoreUnavailable):
    """Another process holds the embedded shard (the worker, usually)."""


@dataclass(frozen=True)
class Found:
    """One point as an adapter returns it: payload and stored dense vector."""

    payload: dict[str, Any]
    dense: Sequence[float] | None


# Points as (point id, score): a signal's list from the engine, or the lists fused.
Scored = list[tuple[str, float]]
# What a question is searched by: its dense vector, or its BM25 terms.
Signal = np.ndarray | Sparse


class VectorStore(ABC):
    """What the rest of the service may ask of the vector store."""

    dim: int = DIMENSIONS
    where: str  # a folder or a URL, for messages
    # True for a store made before per-account statistics: its engine applies IDF over every
    # account's chunks (the IDF modifier). It is searched as it was made to be until it is
    # rebuilt (`operations.vectors`, at start-up).
    engine_idf: bool = False

    # --- writing
    @abstractmethod
    def replace_document(self, document_id: int, points: Sequence[ChunkPoint]) -> None:
        """Make the document's points exactly these (idempotent: stable ids, old ones removed)."""

    @abstractmethod
    def delete_document(self, document_id: int) -> None:
        """Remove every point of the document."""

    @abstractmethod
    def delete_user(self, user_id: int) -> None:
        """Remove every point of the user (account deletion)."""

    @abstractmethod
    def reset(self) -> None:
        """Remove every point and make the store anew in the current layout (before a
        rebuild from the stored passages)."""

    # --- reading
    @abstractmethod
    def count(self, *, user_id: int | None = None, document_id: int | None = None) -> int:
        """Points of a user and/or a document (exact); of everyone with neither."""

    @abstractmethod
    def document_ids(self) -> set[int]:
        """Every document id that has points (for the orphaned-vector clean-up)."""

    @abstractmethod
    def _nearest(
        self, *, user_id: int, document_ids: Sequence[int] | None, signal: Signal, limit: int
    ) -> Scored:
        """The engine's best `limit` points for one signal (a dense vector, or the question's
        BM25 terms): ids and scores only, best first."""

    @abstractmethod
    def _points(self, ids: Sequence[str]) -> dict[str, Found]:
        """The points of these ids with their payloads and stored dense vectors."""

    def search(
        self,
        vector: np.ndarray,
        *,
        user_id: int,
        document_ids: Sequence[int] | None = None,
        limit: int = 5,
        query_text: str = "",
        mode: SearchMode = "dense",
        candidates: int = 30,
        term_weights: Mapping[int, float] | None = None,
    ) -> list[Hit]:
        """The user's best chunks (never another user's): dense, lexical, or both fused.
        `term_weights` are the question terms' IDF over the user's chunks (`term_stats`);
        without them each term weighs 1."""
        weights = None if self.engine_idf else term_weights
        sparse = lexical_query(query_text, weights) if mode != "dense" else None
        if mode == "sparse" and sparse is None:
            return []
        query = np.asarray(vector, dtype=np.float32)
        signals: list[Signal] = [query] if mode != "sparse" else []
        if sparse is not None:
            signals.append(sparse)
        lists = [
            self._ranked(user_id, document_ids, signal, max(candidates, limit))
            for signal in signals
        ]
        # Only the points that can be among the `limit` best are read whole: those up to the
        # cut-off and every one tied with the last of them.
        kept = _tie_kept(fuse(lists), limit)
        found = self._points([pid for pid, _ in kept])
        hits = [_hit(found[pid], score, query) for pid, score in kept if pid in found]
        # Same question, same documents, same order: ties go to the closer meaning, then ids.
        hits.sort(key=lambda h: (-h.score, -h.similarity, h.document_id, h.ordinal))
        return hits[:limit]

    def _ranked(
        self,
        user_id: int,
        document_ids: Sequence[int] | None,
        signal: Signal,
        keep: int,
    ) -> list[tuple[str, float, int]]:
        """One signal's best `keep` points and every point tied with the last of them, each
        as (id, score, rank): rank 0 first, tied points sharing the better rank."""
        ask = keep + TIE_MARGIN
        while True:
            scored = self._nearest(
                user_id=user_id, document_ids=document_ids, signal=signal, limit=ask
            )
            # Asked again for more while the points at the cut-off and at the list's end tie:
            # which of them the engine left out is its own choice.
            if len(scored) < ask or scored[-1][1] < scored[keep - 1][1]:
                break
            ask *= 2
        ranked: list[tuple[str, float, int]] = []
        for position, (pid, score) in enumerate(_tie_kept(scored, keep)):
            tied = position > 0 and score == ranked[-1][1]
            ranked.append((pid, score, ranked[-1][2] if tied else position))
        return ranked

    # --- upkeep
    def flush(self) -> None:  # noqa: B027 - a no-op where the engine persists by itself
        """Write pending changes to disk."""

    @abstractmethod
    def close(self) -> None:
        """Release the store (and the folder, for the embedded shard)."""


def lexical_query(text: str, term_weights: Mapping[int, float] | None) -> Sparse | None:
    """The question's terms, each weighted by `term_weights` (terms it lacks are dropped:
    no chunk of the user holds them) or by 1 without weights; None when no term is left."""
    terms = query_vector(text) if text else Sparse([], [])
    if term_weights is not None:
        kept = [
            (term, value * term_weights[term])
            for term, value in zip(terms.indices, terms.values, strict=True)
            if term in term_weights
        ]
        terms = Sparse([term for term, _ in kept], [value for _, value in kept])
    return terms if terms.indices else None


def fuse(lists: Sequence[Sequence[tuple[str, float, int]]]) -> Scored:
    """Reciprocal rank fusion of ranked lists: each point scores the sum over the lists that
    hold it of 1 / (RRF_K + rank), rank 0 first. One list keeps its own scores."""
    if len(lists) == 1:
        return [(pid, score) for pid, score, _ in lists[0]]
    fused: dict[str, float] = {}
    for ranked in lists:
        for pid, _, rank in ranked:
            fused[pid] = fused.get(pid, 0.0) + 1.0 / (RRF_K + rank)
    return list(fused.items())


def _tie_kept(scored: Scored, keep: int) -> Scored:
    """The best `keep` by score, ties ordered by id, and every point tied with the last."""
    ordered = sorted(scored, key=lambda item: (-item[1], item[0]))
    if len(ordered) <= keep:
        return ordered
    return [item for item in ordered if item[1] >= ordered[keep - 1][1]]


def dense_of(vector: Any) -> Sequence[float] | None:
    """The dense vector of a point's named vectors as an engine returns them."""
    if isinstance(vector, dict):
        value = vector.get(DENSE)
        return value if isinstance(value, list) else None
    return None


def _hit(found: Found, score: float, query: np.ndarray) -> Hit:
    payload = found.payload
    similarity = 0.0
    if found.dense is not None and len(found.dense) == len(query):
        similarity = float(np.dot(np.asarray(found.dense, dtype=np.float32), query))
    return Hit(
        document_id=int(payload["document_id"]),
        ordinal=int(payload["ordinal"]),
        page=payload.get("page"),
        text=str(payload.get("text", "")),
        score=float(score),
        similarity=similarity,
    )


def chunk_payload(point: ChunkPoint) -> dict[str, Any]:
    """The payload every adapter stores with a chunk."""
    return {
        "user_id": point.user_id,
        "document_id": point.document_id,
        "ordinal": point.ordinal,
        "page": point.page,
        "text": point.text,
    }
