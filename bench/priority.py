"""Priority benchmark: queue 500 normal questions, then one premium (high_priority) question,
start one real `celery worker` process and compare the premium question's wait with the
median normal wait.

    .venv/bin/python bench/priority.py [--normal 500] [--brokers redis rabbitmq]
                                       [--pool prefork] [--concurrency 1] [--mid]

Self-contained: a scratch database, upload and Qdrant folder, Redis databases 14-15 of
REDIS_URL, and RabbitMQ at RABBITMQ_URL for the second run. Every question is queued before
the worker starts, so waits are counted from the moment the worker took its first task
(worker start-up is the same for everyone and says nothing about ordering); the wait from
queueing is printed too. With --mid the premium question is queued once a fifth of the
backlog has started, and its wait counts from its own queueing (how many normal questions
started meanwhile is printed). The target is a premium wait within 5 % of the median normal
wait.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, select  # noqa: E402

from backend.accounts import users
from backend.documents import library  # noqa: E402
from backend.ledger import task_records
from backend.ledger.routing import configure  # noqa: E402
from backend.models import TaskRecord, User  # noqa: E402
from backend.qa import questions
from backend.runtime import build_runtime  # noqa: E402
from backend.tools.bench import bench_settings, worker_process  # noqa: E402
from backend.tools.migrate import upgrade  # noqa: E402

TEXT = (
    "The Normans were the people who in the 10th and 11th centuries gave their name to "
    "Normandy, a region in France. They were descended from Norse raiders and pirates from "
    "Denmark, Iceland and Norway who swore fealty to King Charles III of West Francia.\n"
)


def run(broker: str, normal: int, pool: str, concurrency: int, mid: bool) -> dict[str, Any]:
    from workers.celery_app import celery_app

    scratch = Path(tempfile.mkdtemp(prefix="qa-priority-"))
    settings = bench_settings(scratch)
    if broker == "rabbitmq":
        settings = settings.model_copy(update={"celery_broker_url": "", "use_rabbitmq": True})
    upgrade(settings.sqlalchemy_url)
    configure(celery_app, settings)
    # This process only queues and reads the ledger: the worker process owns the Qdrant folder.
    rt = build_runtime(settings, celery=celery_app)
    name = f"priority-{os.getpid()}@bench"
    try:
        with rt.session() as session:
            user = users.create_user(
                session=session,
                email="premium@example.com",
                password="bench-password",
                role="premium",
            )
        celery_app.control.purge()
        with worker_process(settings, name=name, pool=pool, concurrency=concurrency):
            with rt.session() as session:
                owner = session.get(User, user.id)
                (result,) = library.upload_paths(
                    session=session,
                    celery=rt.celery,
                    uploads=rt.uploads,
                    settings=rt.settings,
                    user=owner,
                    paths=[_write(scratch / "normans.txt")],
                )
            assert result.task is not None
            task_records.wait_for_task(celery=celery_app, task_id=result.task.task_id, timeout=300)
            # One question first, so the model is loaded in the worker before the clock runs.
            task_records.wait_for_task(
                celery=celery_app, task_id=_submit(rt, user.id, priority=False), timeout=300
            )
        # Queue everything with no worker consuming, then start one. With `mid`, the premium
        # question arrives once a fifth of the backlog has started (the worker is busy).
        ids = [_submit(rt, user.id, priority=False) for _ in range(normal)]
        urgent = "" if mid else _submit(rt, user.id, priority=True)
        with worker_process(settings, name=name, pool=pool, concurrency=concurrency):
            if mid:
                _wait_started(rt, ids, normal // 5)
                urgent = _submit(rt, user.id, priority=True)
            task_records.wait_for_task(celery=celery_app, task_id=urgent, timeout=600)
            for task_id in ids:
                task_records.wait_for_task(celery=celery_app, task_id=task_id, timeout=600)
        with rt.session() as session:
            rows = {
                r.task_id: r
                for r in session.query(TaskRecord).filter(TaskRecord.task_id.in_([*ids, urgent]))
            }
        first = min(r.started_at for r in rows.values() if r.started_at)
        since_first = {t: (r.started_at - first).total_seconds() for t, r in rows.items()}
        since_queued = {t: (r.started_at - r.queued_at).total_seconds() for t, r in rows.items()}
        ends = [r.finished_at for r in rows.values() if r.finished_at]
        median = statistics.median(since_first[t] for t in ids)
        premium = rows[urgent]
        # Normal questions that started after the premium one was queued, before it started.
        overtaken = sum(
            1
            for t in ids
            if rows[t].started_at and premium.queued_at < rows[t].started_at < premium.started_at
        )
        premium_wait = since_queued[urgent] if mid else since_first[urgent]
        return {
            "broker": broker,
            "pool": f"{pool} x {concurrency}",
            "normal_questions": len(ids),
            "succeeded": sum(r.state == "SUCCESS" for r in rows.values()),
            "arrival": "mid-backlog" if mid else "before start",
            "normal_started_meanwhile": overtaken,
            "premium_wait_s": round(premium_wait, 3),
            "median_normal_wait_s": round(median, 3),
            "max_normal_wait_s": round(max(since_first[t] for t in ids), 3),
            "premium_vs_median_pct": round(100 * premium_wait / median, 2),
            "premium_wait_from_queueing_s": round(since_queued[urgent], 3),
            "median_normal_wait_from_queueing_s": round(
                statistics.median(since_queued[t] for t in ids), 3
            ),
            "questions_per_s": round(len(rows) / (max(ends) - first).total_seconds(), 1),
        }
    finally:
        rt.close()
        shutil.rmtree(scratch, ignore_errors=True)


def _wait_started(rt: Any, ids: list[str], count: int) -> None:
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        with rt.session() as session:
            started = session.scalar(
                select(func.count())
                .select_from(TaskRecord)
                .where(TaskRecord.task_id.in_(ids), TaskRecord.started_at.is_not(None))
            )
        if (started or 0) >= count:
            return
        time.sleep(0.05)
    raise RuntimeError("the worker did not start the backlog")


def _write(path: Path) -> Path:
    path.write_text(TEXT, encoding="utf-8")
    return path


def _submit(rt: Any, user_id: int, *, priority: bool) -> str:
    with rt.session() as session:
        user = session.get(User, user_id)
        _, task = questions.submit_question(
            session=session,
            celery=rt.celery,
            user=user,
            question="Who were the Normans?",
            priority=priority,
        )
    return task.task_id


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--normal", type=int, default=500)
    parser.add_argument("--brokers", nargs="+", default=["redis", "rabbitmq"])
    parser.add_argument("--pool", default="prefork", choices=["prefork", "threads", "solo"])
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument(
        "--mid", action="store_true", help="queue the premium question while the worker is busy"
    )
    args = parser.parse_args()
    if len(args.brokers) > 1:
        # One process per broker: a Celery app keeps its first broker's connection pool.
        for broker in args.brokers:
            command = [
                sys.executable,
                __file__,
                "--normal",
                str(args.normal),
                "--brokers",
                broker,
                "--pool",
                args.pool,
                "--concurrency",
                str(args.concurrency),
                *(["--mid"] if args.mid else []),
            ]
            subprocess.run(command, check=False)
        return 0
    for broker in args.brokers:
        r = run(broker, args.normal, args.pool, args.concurrency, args.mid)
        print(
            f"{broker:9} {r['pool']:<12} {r['arrival']}: {r['normal_started_meanwhile']} normal "
            f"started meanwhile; premium wait {r['premium_wait_s']:.3f} s, median normal "
            f"wait {r['median_normal_wait_s']:.3f} s ({r['premium_vs_median_pct']:.2f} %), "
            f"slowest {r['max_normal_wait_s']:.3f} s; {r['succeeded']}/{r['normal_questions'] + 1} "
            f"succeeded, {r['questions_per_s']} questions/s (from queueing: premium "
            f"{r['premium_wait_from_queueing_s']:.3f} s, median normal "
            f"{r['median_normal_wait_from_queueing_s']:.3f} s)",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
