"""Priority benchmark: queue 500 normal questions, then one premium (high_priority) question,
start one worker and compare the premium question's wait with the median normal wait.

    .venv/bin/python bench/priority.py [--normal 500] [--brokers redis rabbitmq]

Self-contained: a scratch database, upload and Qdrant folder, Redis databases 14-15 of
REDIS_URL, and RabbitMQ at RABBITMQ_URL for the second run. Wait = start time - queue time,
from the task ledger. The target is a premium wait within 5 % of the median normal wait.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from backend import questions, tasks_ledger, users  # noqa: E402
from backend.bench import bench_settings  # noqa: E402
from backend.config import QUEUES  # noqa: E402
from backend.migrate import upgrade  # noqa: E402
from backend.models import Question, TaskRecord  # noqa: E402
from backend.queueing import configure  # noqa: E402
from backend.runtime import build_runtime  # noqa: E402

TEXT = (
    "The Normans were the people who in the 10th and 11th centuries gave their name to "
    "Normandy, a region in France. They were descended from Norse raiders and pirates from "
    "Denmark, Iceland and Norway who swore fealty to King Charles III of West Francia.\n"
)


def run(broker: str, normal: int) -> dict[str, Any]:
    import celery.contrib.testing.tasks  # noqa: F401  (the worker's ping task)
    from celery.contrib.testing.worker import start_worker

    from workers.celery_app import celery_app
    from workers.runtime import set_runtime

    scratch = Path(tempfile.mkdtemp(prefix="qa-priority-"))
    settings = bench_settings(scratch)
    if broker == "rabbitmq":
        settings = settings.model_copy(update={"celery_broker_url": "", "use_rabbitmq": True})
    upgrade(settings.sqlalchemy_url)
    configure(celery_app, settings)
    rt = build_runtime(settings, celery=celery_app)
    set_runtime(rt)
    try:
        with rt.session() as session:
            user = users.create_user(
                session=session,
                email="premium@example.com",
                password="bench-password",
                role="premium",
            )
        celery_app.control.purge()
        with start_worker(
            celery_app, pool="solo", concurrency=1, queues=list(QUEUES), shutdown_timeout=60
        ):
            from tests import factories  # the same upload-and-wait the tests use

            factories.upload_and_wait(rt, user, "normans.txt", TEXT.encode())
            rt.embedder  # noqa: B018  (loaded before the clock starts)
        # Queue everything with no worker consuming, then start one.
        ids = [_submit(rt, user.id, priority=False) for _ in range(normal)]
        urgent = _submit(rt, user.id, priority=True)
        # No ping check: the ping would wait behind the queued questions.
        with start_worker(
            celery_app,
            pool="solo",
            concurrency=1,
            queues=list(QUEUES),
            perform_ping_check=False,
            shutdown_timeout=120,
        ):
            tasks_ledger.wait_for_task(celery=celery_app, task_id=urgent, timeout=600)
            for task_id in ids:
                tasks_ledger.wait_for_task(celery=celery_app, task_id=task_id, timeout=600)
        with rt.session() as session:
            waits = {
                r.task_id: (r.started_at - r.queued_at).total_seconds()
                for r in session.query(TaskRecord).filter(TaskRecord.started_at.is_not(None))
            }
            answered = session.query(Question).filter(Question.answered_at.is_not(None)).count()
        normal_waits = [waits[t] for t in ids if t in waits]
        median = statistics.median(normal_waits)
        return {
            "broker": broker,
            "normal_questions": len(normal_waits),
            "answered": answered,
            "premium_wait_s": round(waits[urgent], 3),
            "median_normal_wait_s": round(median, 3),
            "max_normal_wait_s": round(max(normal_waits), 3),
            "premium_vs_median_pct": round(100 * waits[urgent] / median, 2),
        }
    finally:
        set_runtime(None)
        rt.close()
        shutil.rmtree(scratch, ignore_errors=True)


def _submit(rt: Any, user_id: int, *, priority: bool) -> str:
    from backend.models import User

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
    args = parser.parse_args()
    if len(args.brokers) > 1:
        # One process per broker: a Celery app keeps its first broker's connection pool.
        for broker in args.brokers:
            command = [sys.executable, __file__, "--normal", str(args.normal), "--brokers", broker]
            subprocess.run(command, check=False)
        return 0
    for broker in args.brokers:
        report = run(broker, args.normal)
        print(
            f"{broker:9} premium wait {report['premium_wait_s']:.3f} s, median normal wait "
            f"{report['median_normal_wait_s']:.3f} s ({report['premium_vs_median_pct']:.2f} %), "
            f"{report['normal_questions']} normal questions, slowest wait "
            f"{report['max_normal_wait_s']:.3f} s"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
