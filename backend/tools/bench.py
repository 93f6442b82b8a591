"""`make bench`: embedding vs ingestion throughput, and async ask vs in-process answer latency.

Self-contained: it runs its own Celery worker in this process against a scratch database,
upload folder and vector store, on Redis databases 14-15 of REDIS_URL, so it neither needs
nor disturbs a running stack.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import redis

from backend.accounts import users
from backend.config import Settings, get_settings, redis_db_url
from backend.documents import library
from backend.documents.ingest import PageText, chunk_pages, clean_text, extract
from backend.ledger import task_records
from backend.models import User
from backend.operations.worker_registry import RUNNING_KEY, running_workers
from backend.qa import pipeline, questions
from backend.retrieval.embedding_bench import measure_throughput
from backend.retrieval.model_files import count_tokens
from backend.runtime import Runtime, build_runtime
from backend.tools.migrate import upgrade
from backend.tools.scoring import load_items

ROOT = Path(__file__).resolve().parents[2]


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
            "vector_path": None,
            "rate_limit_enabled": False,
        }
    )


def worker_env(settings: Settings, database_url: str | None = None) -> dict[str, str]:
    """The environment that gives a `celery worker` process these settings' stores."""
    return {
        **os.environ,
        "CELERY_BROKER_URL": settings.broker_url,
        "CELERY_RESULT_BACKEND": settings.result_backend_url,
        "USE_RABBITMQ": "true" if settings.use_rabbitmq else "false",
        "REDIS_DB": str(settings.redis_db),
        "DATABASE_URL": database_url or settings.sqlalchemy_url,
        "DATA_DIR": str(settings.data_dir),
        "QDRANT_URL": settings.qdrant_url,
        "RATE_LIMIT_ENABLED": "true" if settings.rate_limit_enabled else "false",
    }


@contextmanager
def worker_process(
    settings: Settings,
    *,
    name: str,
    pool: str = "prefork",
    concurrency: int = 1,
    queues: list[str] | None = None,
    database_url: str | None = None,
) -> Iterator[subprocess.Popen[bytes]]:
    """A real `celery worker` process on these settings, yielded once it has registered
    (ready to consume); stopped with a warm shutdown on exit."""
    command = [sys.executable, "-m", "celery", "-A", "workers.celery_app:celery_app", "worker"]
    command += ["-n", name, "--pool", pool, "-c", str(concurrency), "-l", "WARNING"]
    if queues:
        command += ["-Q", ",".join(queues)]
    cache = redis.Redis.from_url(settings.cache_redis_url)
    cache.hdel(RUNNING_KEY, name)
    process = subprocess.Popen(
        command, env=worker_env(settings, database_url), cwd=ROOT, stdout=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 120
        while name not in running_workers(cache):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the benchmark worker {name} did not start")
            time.sleep(0.1)
        yield process
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=120)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


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
        results = library.upload_paths(
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
        out = task_records.wait_for_task(celery=rt.celery, task_id=task_id, timeout=900)
        chunks += int(out["chunks"])
    return time.perf_counter() - started, chunks


def _answer_in_process(rt: Runtime, user: User, text: str) -> None:
    pipeline.answer_text(
        sessions=rt.session,
        settings=rt.settings,
        embedder=rt.embedder,
        sentence_vectors=rt.sentence_vectors,
        store=rt.vector_store,
        user_id=user.id,
        question=text,
    )


def _ask_latencies(rt: Runtime, user: User, texts: list[str]) -> tuple[list[float], list[float]]:
    # Both paths share the worker's sentence-vector cache, so warm it first: the figures then
    # compare the same work with and without the queue.
    for text in texts:
        _answer_in_process(rt, user, text)
    async_ms, inproc_ms = [], []
    for text in texts:
        started = time.perf_counter()
        with rt.session() as session:
            fresh = session.get(User, user.id)
            assert fresh is not None
            _, task = questions.submit_question(
                session=session, celery=rt.celery, user=fresh, question=text
            )
        task_records.wait_for_task(celery=rt.celery, task_id=task.task_id, timeout=120)
        async_ms.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        _answer_in_process(rt, user, text)
        inproc_ms.append((time.perf_counter() - started) * 1000)
    return async_ms, inproc_ms


def run_bench(dataset: Path, *, questions: int = 100) -> dict[str, Any]:
    """Measure everything on the dataset's documents and a sample of its questions."""
    import celery.contrib.testing.tasks  # noqa: F401  (the worker's ping task)
    from celery.contrib.testing.worker import start_worker

    from workers.celery_app import celery_app

    scratch = Path(tempfile.mkdtemp(prefix="qa-bench-"))
    settings = bench_settings(scratch)
    upgrade(settings.sqlalchemy_url)
    from backend.ledger.routing import configure

    configure(celery_app, settings)
    rt = build_runtime(settings, celery=celery_app)
    rt.redis.flushdb()
    celery_app.use_runtime(rt)
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
        celery_app.use_runtime(None)
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
