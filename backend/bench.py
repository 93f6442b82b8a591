"""`make bench`: embedding vs ingestion throughput, and async ask vs in-process answer latency.

Self-contained: it runs its own Celery worker in this process against a scratch database,
upload folder and Qdrant folder, on Redis databases 14-15 of REDIS_URL, so it neither needs
nor disturbs a running stack.
"""

from __future__ import annotations

import random
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from backend import documents, questions, tasks_ledger, users
from backend.config import Settings, get_settings, redis_db_url
from backend.evaluation import load_items
from backend.ingest import PageText, chunk_pages, clean_text, extract
from backend.migrate import upgrade
from backend.models import User
from backend.retrieval.embeddings import measure_throughput
from backend.retrieval.model_files import count_tokens
from backend.runtime import Runtime, build_runtime


def bench_settings(scratch: Path) -> Settings:
    """Settings pointing every store at the scratch folder and private Redis databases."""
    base = get_settings()
    return base.model_copy(
        update={
            "data_dir": scratch,
            "database_url": f"sqlite:///{scratch / 'bench.db'}",
            "celery_broker_url": redis_db_url(base.redis_url, 14),
            "celery_result_backend": redis_db_url(base.redis_url, 14),
            "use_rabbitmq": False,
            "redis_db": 15,
            "qdrant_url": "",
            "qdrant_path": None,
            "rate_limit_enabled": False,
        }
    )


def _chunk_texts(rt: Runtime, docs: list[Path]) -> list[str]:
    texts: list[str] = []
    for path in docs:
        extracted = extract(path.read_bytes(), path.name)
        pages = [PageText(p.number, clean_text(p.text)) for p in extracted.pages]
        drafts = chunk_pages(
            pages,
            count_tokens=count_tokens,
            max_tokens=rt.settings.chunk_max_tokens,
            overlap_tokens=rt.settings.chunk_overlap_tokens,
        )
        texts.extend(d.text for d in drafts)
    return texts


def _ingest(rt: Runtime, user: User, docs: list[Path]) -> tuple[float, int]:
    started = time.perf_counter()
    with rt.session() as session:
        results = documents.upload_paths(
            session=session,
            celery=rt.celery,
            uploads=rt.uploads,
            settings=rt.settings,
            user=user,
            paths=docs,
        )
    task_ids = [r.task.task_id for r in results if r.task is not None]
    chunks = 0
    for task_id in task_ids:
        out = tasks_ledger.wait_for_task(celery=rt.celery, task_id=task_id, timeout=900)
        chunks += int(out["chunks"])
    return time.perf_counter() - started, chunks


def _ask_latencies(rt: Runtime, user: User, texts: list[str]) -> tuple[list[float], list[float]]:
    # Both paths share the worker's sentence-vector cache, so warm it first: the figures then
    # compare the same work with and without the queue.
    for text in texts:
        questions.answer_text(rt, user_id=user.id, question=text)
    async_ms, inproc_ms = [], []
    for text in texts:
        started = time.perf_counter()
        with rt.session() as session:
            fresh = session.get(User, user.id)
            assert fresh is not None
            _, task = questions.submit_question(
                session=session, celery=rt.celery, user=fresh, question=text
            )
        tasks_ledger.wait_for_task(celery=rt.celery, task_id=task.task_id, timeout=120)
        async_ms.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        questions.answer_text(rt, user_id=user.id, question=text)
        inproc_ms.append((time.perf_counter() - started) * 1000)
    return async_ms, inproc_ms


def run_bench(dataset: Path, *, questions: int = 100) -> dict[str, Any]:
    """Measure everything on the dataset's documents and a sample of its questions."""
    import celery.contrib.testing.tasks  # noqa: F401  (the worker's ping task)
    from celery.contrib.testing.worker import start_worker

    from workers.celery_app import celery_app
    from workers.runtime import set_runtime

    scratch = Path(tempfile.mkdtemp(prefix="qa-bench-"))
    settings = bench_settings(scratch)
    upgrade(settings.sqlalchemy_url)
    from backend.queueing import configure

    configure(celery_app, settings)
    rt = build_runtime(settings, celery=celery_app)
    rt.redis.flushdb()
    set_runtime(rt)
    docs, items = load_items(dataset)
    try:
        report: dict[str, Any] = {"sentences_40_words": measure_throughput(rt.embedder)}
        texts = _chunk_texts(rt, docs)
        rt.embedder.embed(texts[:32])  # warm up
        started = time.perf_counter()
        rt.embedder.embed(texts)
        raw = len(texts) / (time.perf_counter() - started)
        # One worker thread: the pipeline's own overhead, not thread contention, is measured.
        with start_worker(celery_app, pool="threads", concurrency=1, shutdown_timeout=60):
            with rt.session() as session:
                user = users.create_user(
                    session=session,
                    email="bench@localhost",
                    password="bench-password-1",
                    role="admin",
                )
            seconds, chunks = _ingest(rt, user, docs)
            sample = random.Random(7).sample(items, min(questions, len(items)))
            async_ms, inproc_ms = _ask_latencies(rt, user, [i.question for i in sample])
        report["embedding_chunks_per_s"] = round(raw, 1)
        report["ingestion_chunks_per_s"] = round(chunks / seconds, 1)
        report["ingestion_ratio"] = round(chunks / seconds / raw, 3)
        report["chunks"] = chunks
        report["ask_async_p50_ms"] = round(statistics.median(async_ms), 1)
        report["ask_inprocess_p50_ms"] = round(statistics.median(inproc_ms), 1)
        report["ask_ratio"] = round(statistics.median(async_ms) / statistics.median(inproc_ms), 3)
        report["questions"] = len(async_ms)
        return report
    finally:
        set_runtime(None)
        rt.redis.flushdb()
        rt.close()
        shutil.rmtree(scratch, ignore_errors=True)


def format_bench(report: dict[str, Any]) -> str:
    """The figures as aligned lines."""
    s = report["sentences_40_words"]
    return "\n".join(
        [
            f"embedding, 40-word sentences : {s['sentences_per_second']:.1f}/s "
            f"(peak RSS {s.get('peak_rss_mb', 0):.0f} MB)",
            f"embedding, chunks (raw)      : {report['embedding_chunks_per_s']}/s",
            f"ingestion, chunks end to end : {report['ingestion_chunks_per_s']}/s "
            f"({report['chunks']} chunks) = {report['ingestion_ratio']:.0%} of raw (target >= 80%)",
            f"ask p50, async via worker    : {report['ask_async_p50_ms']} ms",
            f"ask p50, in-process          : {report['ask_inprocess_p50_ms']} ms "
            f"-> ratio {report['ask_ratio']} (target <= 1.3) over {report['questions']} questions",
        ]
    )
