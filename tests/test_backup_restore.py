"""scripts/backup.sh and scripts/restore.sh run for real on PostgreSQL.

A document is uploaded and a question answered through the services with the in-process
worker; backup.sh dumps the session's database and upload store; restore.sh brings them back
into an empty scratch database and an empty data folder (standing in for a dropped database
and a lost volume: the session's own database and folders stay in use by the live runtime).

Vectors: the embedded shard belongs to the worker, which stays up; backup.sh asks it for a
flushed copy (`backup-vectors`). The restored shard then answers the question again, in this
process, against the restored database. The Qdrant server path (snapshot upload) is not
exercised here: no Qdrant server runs in the tests.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import Session

from backend.db import make_session_factory
from backend.models import Chunk, Document, Question, User
from backend.qa import pipeline
from backend.retrieval.edge_store import EdgeStore
from tests import factories

ROOT = Path(__file__).resolve().parents[1]

pytestmark = [
    pytest.mark.usefixtures("worker"),
    pytest.mark.skipif(
        os.environ.get("QA_TEST_DB", "postgres") != "postgres", reason="PostgreSQL round trip"
    ),
    pytest.mark.skipif(
        shutil.which("pg_dump") is None or shutil.which("pg_restore") is None,
        reason="pg_dump/pg_restore are not installed",
    ),
]

ARTICLE = (
    "The Quillon Point lighthouse was built in 1873 by the harbour board of Marrowick.\n\n"
    "Its lamp was painted a deep green so that fishermen could tell it from the red light "
    "at Cape Estel. The keeper Anna Verhoek kept the light burning through the storm of 1901.\n\n"
    "The tower is forty metres tall and stands on a granite ledge above the bay."
)


def _run(script: str, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", str(ROOT / "scripts" / script), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def _snapshot(url: str) -> dict[str, object]:
    """What must survive: users, documents, chunks and questions with their answers."""
    engine = create_engine(url)
    try:
        with Session(engine) as s:
            return {
                "users": [u.email for u in s.scalars(select(User).order_by(User.id))],
                "documents": [
                    (d.id, d.filename, d.sha256, d.processing_status, d.chunk_count)
                    for d in s.scalars(select(Document).order_by(Document.id))
                ],
                "chunks": [
                    (c.document_id, c.ordinal, c.text, c.vector_id)
                    for c in s.scalars(select(Chunk).order_by(Chunk.id))
                ],
                "questions": [
                    (q.text, q.answer, q.found, q.task_id)
                    for q in s.scalars(select(Question).order_by(Question.id))
                ],
            }
    finally:
        engine.dispose()


@pytest.fixture
def scratch_database() -> str:
    """An empty database of this test's own on the same server, dropped afterwards."""
    session_url = os.environ["DATABASE_URL"]
    server = session_url.rsplit("/", 1)[0]
    name = f"qa_restore_{os.getpid()}"
    admin = create_engine(f"{server}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"{server}/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_backup_then_restore_into_an_empty_database_and_data_folder(
    runtime, scratch_database, tmp_path
):
    user = factories.make_user(runtime)
    doc = factories.upload_and_wait(runtime, user, "lighthouse.txt", ARTICLE.encode())
    assert doc.processing_status == "ready", doc.processing_error
    answered = factories.ask_and_wait(runtime, user, "What colour was the lamp painted?")
    assert answered["answer"]

    session_url = os.environ["DATABASE_URL"]
    before = _snapshot(session_url)
    assert before["documents"] and before["chunks"] and before["questions"]
    stored_file = runtime.uploads.path(doc.sha256)
    assert stored_file.read_bytes() == ARTICLE.encode()
    points = runtime.vector_store.count()
    assert points == len(before["chunks"])

    # The worker holds the shard and keeps running: it makes the copy itself.
    backup = _run("backup.sh", str(tmp_path / "backups"), env=dict(os.environ))
    assert backup.returncode == 0, backup.stderr
    (backup_dir,) = (tmp_path / "backups").iterdir()
    for name in ("database.dump", "uploads.tar.gz", "vectors.tar.gz"):
        assert (backup_dir / name).is_file(), name

    data = tmp_path / "restored-data"
    restore_env = dict(os.environ, DATABASE_URL=scratch_database, DATA_DIR=str(data))
    restore_env.pop("VECTOR_PATH", None)  # DATA_DIR/vectors
    restored = _run("restore.sh", str(backup_dir), env=restore_env)
    assert restored.returncode == 0, restored.stdout + restored.stderr
    assert "database restored" in restored.stdout

    assert _snapshot(scratch_database) == before
    back = data / "uploads" / stored_file.relative_to(runtime.uploads.root)
    assert back.read_bytes() == ARTICLE.encode()
    assert "vector store restored" in restored.stdout
    _answers_from_the_restored_backup(runtime, scratch_database, data / "vectors", user.id)

    # A second restore over the restored data refuses without --force and changes nothing.
    again = _run("restore.sh", str(backup_dir), env=restore_env)
    assert again.returncode == 3
    assert "refusing: the database already has" in again.stderr
    assert "upload store" in again.stderr and "vector store" in again.stderr
    assert "--force" in again.stderr
    forced = _run("restore.sh", "--force", str(backup_dir), env=restore_env)
    assert forced.returncode == 0, forced.stderr
    assert _snapshot(scratch_database) == before
    assert back.read_bytes() == ARTICLE.encode()

    # Never into a vector store a process holds, even with --force; checked before anything.
    into_held = _run(
        "restore.sh",
        "--force",
        str(backup_dir),
        env=dict(restore_env, VECTOR_PATH=str(runtime.settings.vector_dir)),
    )
    assert into_held.returncode == 1
    assert "is in use" in into_held.stderr
    assert "database restored" not in into_held.stdout


def _answers_from_the_restored_backup(runtime, database_url, vectors, user_id):
    """The restored database and shard answer the question, with the lamp's colour cited."""
    engine = create_engine(database_url)
    store = EdgeStore.open(vectors)
    try:
        assert store.count() == store.count(user_id=user_id) > 0
        answer = pipeline.answer_text(
            sessions=make_session_factory(engine),
            settings=runtime.settings,
            embedder=runtime.embedder,
            sentence_vectors=runtime.sentence_vectors,
            store=store,
            user_id=user_id,
            question="What colour was the lamp painted?",
        )
    finally:
        store.close()
        engine.dispose()
    assert answer.found and "green" in answer.text
    assert answer.sources and answer.sources[0]["filename"] == "lighthouse.txt"


def test_restore_refuses_a_missing_or_mismatched_backup(tmp_path):
    missing = _run("restore.sh", str(tmp_path / "nope"), env=dict(os.environ))
    assert missing.returncode == 1 and "is not a folder" in missing.stderr
    (tmp_path / "sqlite-backup").mkdir()
    (tmp_path / "sqlite-backup" / "qa.db").write_bytes(b"")
    wrong = _run("restore.sh", str(tmp_path / "sqlite-backup"), env=dict(os.environ))
    assert wrong.returncode == 1 and "no database.dump" in wrong.stderr
    usage = _run("restore.sh", env=dict(os.environ))
    assert usage.returncode == 2 and "usage" in usage.stderr
