"""Admin page queries on a realistic ledger: 1,000,000 task records and ~200 users.

    .venv/bin/python bench/admin_queries.py [--rows 1000000] [--server postgresql://...]

Self-contained: it creates the scratch PostgreSQL database `qa_bench_admin` on the server,
runs the migrations, fills it with one INSERT ... SELECT over generate_series (varied states,
queues, names and users, queue times spread over 90 days, some errors), then times what the
admin pages load: the median of 5 runs after one warm-up, in milliseconds. The broker part of
the Operations page uses Redis database 14 of REDIS_URL as the broker, with one real
`celery worker` process answering inspect calls. The database is dropped at the end.
The target is 300 ms or less for each line.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import redis  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.orm import Session, sessionmaker  # noqa: E402

from backend import (  # noqa: E402
    admin_ops,
    admin_tasks,
    admin_users,
    audit,
    queue_history,
)
from backend.db import make_engine  # noqa: E402
from backend.ledger.admin_tasks import TaskFilters  # noqa: E402
from backend.models import User, utcnow  # noqa: E402
from backend.tools.bench import bench_settings, worker_process  # noqa: E402
from backend.tools.migrate import upgrade  # noqa: E402

DATABASE = "qa_bench_admin"
SERVER = "postgresql://postgres@127.0.0.1:5432"
TARGET_MS = 300.0
USERS = 200

USERS_SQL = """
INSERT INTO users (email, password_hash, role, is_active, created_at)
SELECT 'user' || g || '@bench.example', 'x', CASE WHEN g % 50 = 0 THEN 'premium' ELSE 'user' END,
       true, now() - interval '120 days'
FROM generate_series(1, :users) AS g
"""

# Names and queues go together; states are weighted like a healthy system (mostly successes,
# a few percent failures and cancellations, and only recent tasks still queued or running).
TASKS_SQL = """
INSERT INTO task_records (task_id, name, queue, user_id, args_summary, args, state, queued_at,
                          started_at, finished_at, runtime_ms, retries, error, worker,
                          retry_of, priority)
SELECT t.task_id, t.name, t.queue, t.user_id, t.args::text, t.args, t.state, t.queued_at,
       CASE WHEN t.state <> 'PENDING' THEN t.queued_at + interval '2 seconds' END,
       CASE WHEN t.state IN ('SUCCESS', 'FAILURE', 'REVOKED')
            THEN t.queued_at + make_interval(secs => 2 + t.runtime_ms / 1000) END,
       CASE WHEN t.state IN ('SUCCESS', 'FAILURE') THEN t.runtime_ms END,
       CASE WHEN t.state = 'FAILURE' THEN t.g % 4 ELSE 0 END,
       CASE WHEN t.state = 'FAILURE' THEN (ARRAY[
                'PdfReadError: document ' || t.g || ' is encrypted',
                'TimeLimitExceeded: hard time limit (600 s) exceeded',
                'ConnectionError: Qdrant did not answer within 5 s',
                'ValueError: the document has no text layer'])[1 + t.g % 4]
            WHEN t.state = 'REVOKED' THEN 'Cancelled by user' || (t.g % 200) || '@bench.example.'
       END,
       CASE WHEN t.state <> 'PENDING' THEN 'celery@worker-' || (t.g % 6) END,
       CASE WHEN t.g % 250 = 0 THEN md5((t.g - 1)::text)::uuid::text END,
       CASE WHEN t.queue = 'high_priority' THEN 9 END
FROM (
    SELECT g,
           md5(g::text)::uuid::text AS task_id,
           (ARRAY['workers.tasks.documents.process_document',
                  'workers.tasks.questions.answer_question',
                  'workers.tasks.questions.priority_question',
                  'workers.tasks.documents.delete_document',
                  'workers.tasks.maintenance.daily_usage_reports'])[1 + g % 5] AS name,
           (ARRAY['document_processing', 'question_answering', 'high_priority',
                  'document_processing', 'user_management'])[1 + g % 5] AS queue,
           :first_user + (g * 7) % :users AS user_id,
           CASE WHEN g % 5 IN (0, 3) THEN json_build_object('document_id', g / 3)
                WHEN g % 5 = 4 THEN NULL
                ELSE json_build_object('question_id', g, 'document_ids',
                                       json_build_array(g / 3, g / 3 + 1)) END AS args,
           CASE WHEN g % 1000 < 2 THEN (ARRAY['PENDING', 'STARTED'])[1 + g % 2]
                WHEN g % 100 < 6 THEN 'FAILURE'
                WHEN g % 100 < 9 THEN 'REVOKED'
                ELSE 'SUCCESS' END AS state,
           CASE WHEN g % 1000 < 2 THEN now() - make_interval(secs => (g * 13) % 7200)
                ELSE now() - make_interval(secs => ((g::bigint * 7919) % 7776000)::double precision)
           END AS queued_at,
           (200 + (g * 37) % 60000)::double precision AS runtime_ms
    FROM generate_series(1, :rows) AS g
) AS t
"""

AUDIT_SQL = """
INSERT INTO audit_log (at, actor_id, actor_email, action, target, detail)
SELECT now() - make_interval(secs => (g * 97) % 7776000), :admin, 'admin@bench.example',
       (ARRAY['purge_queue', 'retry_task', 'cancel_task', 'change_role', 'bulk_retry'])[1 + g % 5],
       'target-' || g, 'Benchmark entry ' || g
FROM generate_series(1, 20000) AS g
"""

# One sample per queue per minute for the retention period (7 days by default).
DEPTH_SQL = """
INSERT INTO queue_depth_samples (sampled_at, queue, messages)
SELECT now() - make_interval(mins => m), q, (m * 7 + length(q)) % 40
FROM generate_series(0, 7 * 24 * 60) AS m,
     unnest(ARRAY['high_priority', 'question_answering', 'document_processing',
                  'user_management']) AS q
"""


def driver_url(server: str) -> str:
    """The server URL with the psycopg2 driver named (what the project installs)."""
    return re.sub(r"^postgres(ql)?://", "postgresql+psycopg2://", server.rstrip("/"))


def create_database(server: str) -> str:
    admin = create_engine(f"{server}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{DATABASE}"'))
    admin.dispose()
    return f"{server}/{DATABASE}"


def drop_database(server: str) -> None:
    admin = create_engine(f"{server}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)'))
    admin.dispose()


def fill(factory: sessionmaker[Session], rows: int) -> tuple[int, float]:
    """Insert the users, task records, audit rows and depth samples; returns the admin's id."""
    started = time.perf_counter()
    with factory.begin() as session:
        admin = User(email="admin@bench.example", password_hash="x", role="admin")
        session.add(admin)
        session.flush()
        session.execute(text(USERS_SQL), {"users": USERS})
        first = session.scalar(text("SELECT min(id) FROM users WHERE email LIKE 'user%'"))
        session.execute(text(TASKS_SQL), {"rows": rows, "users": USERS, "first_user": first})
        session.execute(text(AUDIT_SQL), {"admin": admin.id})
        session.execute(text(DEPTH_SQL))
        admin_id = admin.id
    bind = factory.kw["bind"]
    with bind.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))
    return admin_id, time.perf_counter() - started


def timed(call: Callable[[], Any], runs: int = 5) -> tuple[float, Any]:
    """The median wall time of `runs` calls after one warm-up, in ms, and the last result."""
    result = call()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        result = call()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), result


def busiest(session: Session) -> int:
    """The id of a user with the most task records (what the detail page has to summarise)."""
    return int(
        session.scalar(
            text(
                "SELECT user_id FROM task_records WHERE user_id IS NOT NULL "
                "GROUP BY user_id ORDER BY count(*) DESC LIMIT 1"
            )
        )
    )


def operations_page(session: Session, user: User, celery: Any, cache: Any) -> str:
    """Everything the Operations page loads: queues, workers, an hour of depth, recent purges."""
    queues = admin_ops.queues(celery=celery, user=user, cache=cache)
    workers = admin_ops.workers(celery=celery, cache=cache, user=user)
    points = queue_history.depth_history(session=session, user=user, minutes=60)
    purges = audit.recent_entries(session=session, user=user, action="purge_queue", limit=10)
    return (
        f"{len(queues.queues)} queues, {len(workers.workers)} workers, "
        f"{len(points)} points, {len(purges)} purges"
    )


def measure(
    factory: sessionmaker[Session], admin_id: int, celery: Any, cache: Any
) -> list[tuple[str, float, str]]:
    def in_session(work: Callable[[Session, User], Any]) -> Callable[[], Any]:
        def call() -> Any:
            with factory() as session:
                user = session.get(User, admin_id)
                assert user is not None
                return work(session, user)

        return call

    week = TaskFilters(since=utcnow() - timedelta(days=7))  # the page's default period
    cases: list[tuple[str, Callable[[Session, User], Any], Callable[[Any], str]]] = [
        (
            "tasks: browse, default (7 days), page 1",
            lambda s, u: admin_tasks.browse_tasks(session=s, user=u, filters=week),
            lambda p: f"{len(p.rows)} rows of {p.total}",
        ),
        (
            "tasks: browse, state=FAILURE",
            lambda s, u: admin_tasks.browse_tasks(
                session=s, user=u, filters=TaskFilters(state="FAILURE", since=week.since)
            ),
            lambda p: f"{len(p.rows)} rows of {p.total}",
        ),
        (
            "tasks: browse, text 'encrypted'",
            lambda s, u: admin_tasks.browse_tasks(
                session=s, user=u, filters=TaskFilters(text="encrypted", since=week.since)
            ),
            lambda p: f"{len(p.rows)} rows of {p.total}",
        ),
        (
            "tasks: browse, all time, page 1",
            lambda s, u: admin_tasks.browse_tasks(session=s, user=u, filters=TaskFilters()),
            lambda p: f"{len(p.rows)} rows of {p.total}",
        ),
        (
            "tasks: browse, all time, state=FAILURE",
            lambda s, u: admin_tasks.browse_tasks(
                session=s, user=u, filters=TaskFilters(state="FAILURE")
            ),
            lambda p: f"{len(p.rows)} rows of {p.total}",
        ),
        (
            "tasks: browse, all time, text 'encrypted'",
            lambda s, u: admin_tasks.browse_tasks(
                session=s, user=u, filters=TaskFilters(text="encrypted")
            ),
            lambda p: f"{len(p.rows)} rows of {p.total}",
        ),
        (
            "tasks: failed-and-retryable count (7 days)",
            lambda s, u: admin_tasks.count_failed(session=s, user=u, filters=week),
            str,
        ),
        (
            "tasks: task names for the filter",
            lambda s, u: admin_tasks.task_names(session=s, user=u),
            lambda names: f"{len(names)} names",
        ),
        (
            "tasks: stuck tasks",
            lambda s, u: admin_tasks.stuck_tasks(
                session=s, user=u, settings=bench_settings(Path(tempfile.gettempdir()))
            ),
            lambda rows: f"{len(rows)} rows",
        ),
        (
            "operations: depth history (60 min)",
            lambda s, u: queue_history.depth_history(session=s, user=u, minutes=60),
            lambda points: f"{len(points)} points",
        ),
        (
            "operations: recent purges (audit)",
            lambda s, u: audit.recent_entries(session=s, user=u, action="purge_queue", limit=10),
            lambda rows: f"{len(rows)} rows",
        ),
        (
            "operations: queues (Redis broker)",
            lambda s, u: admin_ops.queues(celery=celery, user=u, cache=cache),
            lambda r: f"{len(r.queues)} queues" if r.ok else r.detail,
        ),
        (
            "operations: workers (inspect, 1 worker)",
            lambda s, u: admin_ops.workers(celery=celery, cache=cache, user=u),
            lambda r: r.report.detail,
        ),
        (
            "operations: whole page data",
            lambda s, u: operations_page(s, u, celery, cache),
            str,
        ),
        (
            "users: usage by user (30 days)",
            lambda s, u: admin_users.usage_by_user(session=s, user=u, days=30),
            lambda rows: f"{len(rows)} users",
        ),
        (
            "users: one user's detail page (30 days)",
            lambda s, u: admin_users.user_detail(session=s, user=u, user_id=busiest(s), days=30),
            lambda d: f"{d.usage['tasks']} tasks, {len(d.recent_tasks)} recent",
        ),
        (
            "audit: browse, page 1 (all time)",
            lambda s, u: audit.browse_entries(session=s, user=u, filters=audit.AuditFilters()),
            lambda p: f"{len(p.rows)} rows of {p.total}",
        ),
        (
            "audit: browse, text 'target-19'",
            lambda s, u: audit.browse_entries(
                session=s, user=u, filters=audit.AuditFilters(text="target-19")
            ),
            lambda p: f"{len(p.rows)} rows of {p.total}",
        ),
        (
            "users: tasks per day (30 days)",
            lambda s, u: admin_users.tasks_per_day(session=s, user=u, days=30),
            lambda rows: f"{len(rows)} points",
        ),
    ]
    results = []
    for label, work, describe in cases:
        ms, result = timed(in_session(work))
        results.append((label, ms, describe(result)))
        print(f"  {label:<45} {ms:8.1f} ms", flush=True)
    return results


def format_table(results: list[tuple[str, float, str]]) -> str:
    lines = [f"{'query':<45} {'median ms':>10}  {'target':<6}  result", "-" * 90]
    for label, ms, detail in results:
        verdict = "ok" if ms <= TARGET_MS else "SLOW"
        lines.append(f"{label:<45} {ms:10.1f}  {verdict:<6}  {detail}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--server", default=SERVER, help="PostgreSQL server URL, no database")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    args = parser.parse_args()

    from backend.ledger.routing import configure
    from workers.celery_app import celery_app

    server = driver_url(args.server)
    url = create_database(server)
    engine = make_engine(url)
    try:
        upgrade(url)
        factory = sessionmaker(engine, expire_on_commit=False)
        admin_id, seconds = fill(factory, args.rows)
        with factory() as session:
            count = session.scalar(text("SELECT count(*) FROM task_records"))
            revision = session.scalar(text("SELECT version_num FROM alembic_version"))
        print(f"{count:,} task records and {USERS} users in {seconds:.1f} s (migration {revision})")
        settings = bench_settings(Path(tempfile.mkdtemp(prefix="qa-bench-admin-")))
        configure(celery_app, settings)
        cache = redis.Redis.from_url(settings.cache_redis_url)
        name = f"bench-{os.getpid()}@admin-queries"
        with worker_process(settings, name=name, pool="threads", concurrency=2, database_url=url):
            results = measure(factory, admin_id, celery_app, cache)
        print()
        print(format_table(results))
    finally:
        engine.dispose()
        if not args.keep:
            drop_database(server)


if __name__ == "__main__":
    main()
