"""`make bench-scale`: the vector store at 10 k and 100 k points (1 M with `--million`).

An Edge shard in a scratch folder under the temp dir (never the data dir) is filled with
synthetic chunks spread over many users, document by document through `replace_document`, as
ingestion fills it. Texts are sentences of pronounceable words drawn with Zipf frequencies from
a fixed vocabulary, stored with their BM25 vectors; dense vectors are random unit vectors. At
each size: one user's dense and hybrid query latency, the real embedder's `embed([question])`
then a hybrid search, the time to replace a document, and the process's resident memory.
"""

from __future__ import annotations

import resource
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from backend.config import get_settings
from backend.retrieval.edge_store import EdgeStore
from backend.retrieval.lexical import AVERAGE_CHUNK_TERMS, document_vector
from backend.retrieval.points import ChunkPoint
from backend.retrieval.vector_store import DIMENSIONS, SearchMode, VectorStore
from backend.stats import percentile

SIZES = (10_000, 100_000)
MILLION = 1_000_000
EARLY, LATE, WINDOW = 10, 1_000, 100  # documents 10-109 against documents 1,000-1,099
QUERY_WORDS, WARMUP = 6, 10  # words per question; untimed queries before each series
USER = 1  # the user whose queries are timed
ZIPF_OFFSET = 50  # content words rank after the stop words, which take the top of English's Zipf

_ONSETS = "b bl br c ch cl cr d dr f fl fr g gl gr h j k l m n p pl pr r s sh sl sp st t tr v w"
_VOWELS = "a e i o u a e i o u ai ea ee oa ou".split()
_CODAS = ["", "", "", "", "n", "r", "l", "s", "t", "nd", "rk", "m", "ng", "st", "ck"]
_FILLERS = "the of and a to in is for on with as by that from".split()

Embed = Callable[[Sequence[str]], np.ndarray]


def vocabulary(count: int = 5_000, seed: int = 11) -> list[str]:
    """`count` distinct pronounceable words of one to three syllables, the same on every run."""
    onsets, rng = _ONSETS.split(), np.random.default_rng(seed)
    words: dict[str, None] = {}
    while len(words) < count:
        word = "".join(
            onsets[rng.integers(len(onsets))]
            + _VOWELS[rng.integers(len(_VOWELS))]
            + _CODAS[rng.integers(len(_CODAS))]
            for _ in range(int(rng.choice([1, 2, 2, 2, 3])))
        )
        if len(word) >= 3:
            words.setdefault(word, None)
    return list(words)


class Corpus:
    """Synthetic documents, deterministic for a seed: document d belongs to user
    (d - 1) % users + 1 and holds `chunks` chunks."""

    def __init__(self, *, users: int, chunks: int, seed: int) -> None:
        self.users, self.chunks = users, chunks
        self.words = vocabulary()
        weights = np.cumsum(1.0 / (np.arange(len(self.words)) + ZIPF_OFFSET))
        self._cdf = weights / weights[-1]
        self._rng = np.random.default_rng(seed)
        self._queries = np.random.default_rng(seed + 1)

    def owner(self, document_id: int) -> int:
        return (document_id - 1) % self.users + 1

    def _draw(self, rng: np.random.Generator, n: int) -> list[str]:
        return [self.words[i] for i in np.searchsorted(self._cdf, rng.random(n))]

    def vectors(self, n: int, rng: np.random.Generator | None = None) -> np.ndarray:
        """n random unit vectors (float32)."""
        raw = (rng or self._queries).standard_normal((n, DIMENSIONS), dtype=np.float32)
        return raw / np.linalg.norm(raw, axis=1, keepdims=True)

    def text(self) -> str:
        """A chunk: AVERAGE_CHUNK_TERMS content words in sentences of ten, a third of them
        after a stop word."""
        words = self._draw(self._rng, int(AVERAGE_CHUNK_TERMS))
        for i in np.flatnonzero(self._rng.random(len(words)) < 1 / 3):
            words[i] = f"{_FILLERS[self._rng.integers(len(_FILLERS))]} {words[i]}"
        return " ".join(
            " ".join(words[i : i + 10]).capitalize() + "." for i in range(0, len(words), 10)
        )

    def points(self, document_id: int) -> list[ChunkPoint]:
        vectors, user = self.vectors(self.chunks, self._rng), self.owner(document_id)
        texts = [self.text() for _ in range(self.chunks)]
        return [
            ChunkPoint(document_id, user, i, 1 + i // 3, t, vectors[i], document_vector(t))
            for i, t in enumerate(texts)
        ]

    def question(self) -> str:
        """QUERY_WORDS distinct vocabulary words, drawn with the documents' frequencies."""
        chosen: dict[str, None] = {}
        while len(chosen) < QUERY_WORDS:
            chosen.setdefault(self._draw(self._queries, 1)[0], None)
        return " ".join(chosen)


def rss_mb(peak: bool = False) -> float:
    """The process's resident memory in MB: now (VmRSS), or its peak (max RSS)."""
    status = Path("/proc/self/status")
    if not peak and status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _window_ms(times: list[float], first: int) -> float | None:
    """The median time of documents first .. first + WINDOW - 1 (1-based), in ms."""
    if first < 1 or len(times) < first + WINDOW - 1:
        return None
    return round(statistics.median(times[first - 1 : first - 1 + WINDOW]) * 1000, 2)


def _queries(
    store: VectorStore,
    corpus: Corpus,
    mode: SearchMode,
    count: int,
    embed: Embed | None,
    *,
    limit: int,
    candidates: int,
) -> dict[str, Any]:
    """p50/p95 of `count` searches for USER (after WARMUP untimed ones), with every hit's owner
    checked: `foreign_hits` counts hits from another user's documents."""
    times: list[float] = []
    hits = foreign = 0
    for i in range(WARMUP + count):
        text, vector = corpus.question(), corpus.vectors(1)[0]
        started = time.perf_counter()
        if embed is not None:
            vector = embed([text])[0]
        found = store.search(
            vector, user_id=USER, limit=limit, query_text=text, mode=mode, candidates=candidates
        )
        if i >= WARMUP:
            times.append((time.perf_counter() - started) * 1000)
        hits += len(found)
        foreign += sum(corpus.owner(h.document_id) != USER for h in found)
    times.sort()
    return {
        "p50_ms": round(percentile(times, 50) or 0.0, 3),
        "p95_ms": round(percentile(times, 95) or 0.0, 3),
        "queries": len(times),
        "hits": hits,
        "foreign_hits": foreign,
    }


def _load_embed() -> Embed:
    from backend.retrieval.embeddings import load_embedder

    settings = get_settings()
    embedder = load_embedder(
        cache_dir=settings.model_cache_dir,
        quantized=settings.embedding_quantized,
        threads=settings.embedding_threads or None,
    )
    embedder.embed(["warm up the encoder"])
    return embedder.embed


def run_scale(
    *,
    sizes: Sequence[int] = SIZES,
    million: bool = False,
    users: int = 100,
    chunks_per_document: int = 10,
    queries: int = 200,
    asks: int = 50,
    embed: bool = True,
    seed: int = 7,
) -> dict[str, Any]:
    """Grow one scratch shard through every size (ascending) and measure at each. `asks`
    questions go through the real embedder and a hybrid search (`embed=False` skips them)."""
    settings = get_settings()
    limit, candidates = settings.rerank_pool, settings.retrieval_candidates
    steps = sorted({*sizes, *([MILLION] if million else [])})
    if any(size % chunks_per_document for size in steps):
        raise ValueError("every size must be a multiple of chunks_per_document")
    embed_fn = _load_embed() if embed else None
    probes: list[tuple[str, SearchMode, int, Embed | None]] = [
        ("dense", "dense", queries, None),
        ("hybrid", "hybrid", queries, None),
        ("embed_hybrid", "hybrid", asks, embed_fn),
    ]
    corpus = Corpus(users=users, chunks=chunks_per_document, seed=seed)
    report: dict[str, Any] = {
        "users": users,
        "chunks_per_document": chunks_per_document,
        "user": USER,
        "limit": limit,
        "candidates": candidates,
        "baseline_rss_mb": round(rss_mb(), 1),
        "sizes": [],
    }
    times: list[float] = []
    scratch = Path(tempfile.mkdtemp(prefix="qa-scale-"))
    store = EdgeStore.open(scratch / "vectors")
    try:
        for size in steps:
            first, documents = len(times) + 1, size // chunks_per_document
            for document_id in range(first, documents + 1):
                points = corpus.points(document_id)
                started = time.perf_counter()
                store.replace_document(document_id, points)
                times.append(time.perf_counter() - started)
            started = time.perf_counter()
            store.flush()
            flush_s, fill_s = time.perf_counter() - started, sum(times[first - 1 :])
            row: dict[str, Any] = {
                "points": store.count(),
                "documents": documents,
                "user_points": store.count(user_id=USER),
                "fill_s": round(fill_s, 2),
                "points_per_s": round((documents - first + 1) * chunks_per_document / fill_s, 1),
                "flush_s": round(flush_s, 2),
                "last_documents_ms": _window_ms(times, documents - WINDOW + 1),
            }
            for key, mode, count, embedding in probes[: 3 if embed_fn else 2]:
                row[key] = _queries(
                    store, corpus, mode, count, embedding, limit=limit, candidates=candidates
                )
            row["rss_mb"], row["peak_rss_mb"] = round(rss_mb(), 1), round(rss_mb(peak=True), 1)
            report["sizes"].append(row)
    finally:
        store.close()
        shutil.rmtree(scratch, ignore_errors=True)
    early, late = _window_ms(times, EARLY), _window_ms(times, LATE)
    report["ingest"] = {
        "early_documents": f"{EARLY:,}-{EARLY + WINDOW - 1:,}",
        "early_ms": early,
        "late_documents": f"{LATE:,}-{LATE + WINDOW - 1:,}",
        "late_ms": late,
        "ratio": round(late / early, 3) if early and late else None,
    }
    return report


def _pair(figures: dict[str, Any] | None) -> str:
    return f"{figures['p50_ms']:.2f} / {figures['p95_ms']:.2f}" if figures else "-"


def format_scale(report: dict[str, Any]) -> str:
    """The figures as an aligned table, then the ingest ratio, the targets and tenancy."""
    head = (
        f"{'points':>9}  {'docs':>7}  {'fill s':>7}  {'points/s':>8}  {'last docs ms':>12}  "
        f"{'dense p50/p95':>15}  {'hybrid p50/p95':>15}  {'embed+hybrid p50/p95':>20}  "
        f"{'RSS MB':>7}"
    )
    lines = [head, "-" * len(head)]
    rows = report["sizes"]
    for row in rows:
        lines.append(
            f"{row['points']:>9,}  {row['documents']:>7,}  {row['fill_s']:>7.1f}  "
            f"{row['points_per_s']:>8,.0f}  {row['last_documents_ms'] or '-':>12}  "
            f"{_pair(row['dense']):>15}  {_pair(row['hybrid']):>15}  "
            f"{_pair(row.get('embed_hybrid')):>20}  {row['rss_mb']:>7,.0f}"
        )
    probes = [r[k] for r in rows for k in ("dense", "hybrid", "embed_hybrid") if k in r]
    hits, foreign = sum(p["hits"] for p in probes), sum(p["foreign_hits"] for p in probes)
    ingest, ratio = report["ingest"], report["ingest"]["ratio"]
    lines.append(
        f"replace_document median: documents {ingest['early_documents']} "
        f"{ingest['early_ms']} ms, documents {ingest['late_documents']} {ingest['late_ms']} ms"
        + (f" -> ratio {ratio:.2f} (target <= 1.2)" if ratio is not None else "")
    )
    for row in rows[1:]:
        large = row["hybrid"]["p50_ms"]
        growth = large / max(rows[0]["hybrid"]["p50_ms"], 1e-9)
        lines.append(
            f"hybrid p50 at {row['points']:,} points: {large:.2f} ms, {growth:.2f}x the figure "
            f"at {rows[0]['points']:,} (targets at 100,000: <= 5 ms, <= 3x)"
        )
    lines.append(
        f"tenancy: {hits:,} hits for user {report['user']}, {foreign} from other users' documents"
    )
    if rows:
        lines.append(
            f"{rows[0]['dense']['queries']} queries per mode for one of {report['users']} users "
            f"(limit {report['limit']}, candidates {report['candidates']}), "
            f"{report['chunks_per_document']} chunks per document; RSS at start "
            f"{report['baseline_rss_mb']:.0f} MB, peak {rows[-1]['peak_rss_mb']:.0f} MB"
        )
    return "\n".join(lines)
