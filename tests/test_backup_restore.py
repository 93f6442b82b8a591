"""scripts/backup.sh and scripts/restore.sh run for real on PostgreSQL.

A document is uploaded and a question answered through the services with the in-process
worker; backup.sh dumps the session's database and upload store; restore.sh brings them back
into an empty scratch database and an empty data folder (standing in for a dropped database
and a lost volume: the session's own database and folders stay in use by the live runtime).

Vectors, honestly: in local mode Qdrant is one process's folder, and this session's worker
holds it (an exclusive lock on <folder>/.lock). So the test checks that backup.sh skips a held
folder with a warning and restore.sh refuses to write into one; the local-folder round trip is
run on a second folder holding the same points (copied from the session's store), which no
process holds, as it would be with the workers stopped. The Qdrant server path (snapshot
upload) is not exercised here: no Qdrant server runs in the tests.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from qdrant_client import QdrantClient, models
from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import Session

from backend.models import Chunk, Document, Question, User
from backend.retrieval.vector_store import VectorStore
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


def _copy_points(store: VectorStore, folder: Path) -> set[str]:
    """The session store's points, written into a local folder that no process holds."""
    points, offset = [], None
    while True:
        batch, offset = store.client.scroll(
            store.collection, limit=256, offset=offset, with_vectors=True, with_payload=True
        )
        points.extend(batch)
        if offset is None:
            break
    folder.mkdir(parents=True)
    copy = VectorStore(
        QdrantClient(path=str(folder)), collection=store.collection, dim=store.dim, local=True
    )
    try:
        copy.ensure_collection()
        copy.client.upsert(
            store.collection,
            points=[
                models.PointStruct(id=p.id, vector=p.vector, payload=p.payload) for p in points
            ],
            wait=True,
        )
    finally:
        copy.close()
    return {str(p.id) for p in points}


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
    vector_ids = _copy_points(runtime.vector_store, tmp_path / "qdrant-src")
    assert vector_ids == {c[3] for c in before["chunks"]}

    # The session's own Qdrant folder is held by the worker: backup.sh leaves it out, loudly.
    held = _run("backup.sh", str(tmp_path / "held"), env=dict(os.environ))
    assert held.returncode == 0, held.stderr
    assert "vectors NOT backed up" in held.stderr
    (held_dir,) = (tmp_path / "held").iterdir()
    assert (held_dir / "database.dump").is_file()
    assert not (held_dir / "qdrant-local.tar.gz").exists()

    backup_env = dict(os.environ, QDRANT_PATH=str(tmp_path / "qdrant-src"))
    backup = _run("backup.sh", str(tmp_path / "backups"), env=backup_env)
    assert backup.returncode == 0, backup.stderr
    (backup_dir,) = (tmp_path / "backups").iterdir()
    for name in ("database.dump", "uploads.tar.gz", "qdrant-local.tar.gz"):
        assert (backup_dir / name).is_file(), name

    data = tmp_path / "restored-data"
    restore_env = dict(
        os.environ,
        DATABASE_URL=scratch_database,
        DATA_DIR=str(data),
        QDRANT_PATH=str(tmp_path / "qdrant-restored"),
    )
    restored = _run("restore.sh", str(backup_dir), env=restore_env)
    assert restored.returncode == 0, restored.stdout + restored.stderr
    assert "database restored" in restored.stdout

    assert _snapshot(scratch_database) == before
    back = data / "uploads" / stored_file.relative_to(runtime.uploads.root)
    assert back.read_bytes() == ARTICLE.encode()
    client = QdrantClient(path=str(tmp_path / "qdrant-restored"))
    try:
        coll = runtime.settings.qdrant_collection
        assert client.count(coll, exact=True).count == len(vector_ids)
        got, _ = client.scroll(coll, limit=len(vector_ids) + 10)
        assert {str(p.id) for p in got} == vector_ids
    finally:
        client.close()

    # A second restore over the restored data refuses without --force and changes nothing.
    again = _run("restore.sh", str(backup_dir), env=restore_env)
    assert again.returncode == 3
    assert "refusing: the database already has" in again.stderr
    assert "upload store" in again.stderr and "Qdrant folder" in again.stderr
    assert "--force" in again.stderr
    forced = _run("restore.sh", "--force", str(backup_dir), env=restore_env)
    assert forced.returncode == 0, forced.stderr
    assert _snapshot(scratch_database) == before
    assert back.read_bytes() == ARTICLE.encode()

    # Never into a Qdrant folder a process holds, even with --force; checked before anything.
    into_held = _run(
        "restore.sh",
        "--force",
        str(backup_dir),
        env=dict(restore_env, QDRANT_PATH=str(runtime.settings.qdrant_local_path)),
    )
    assert into_held.returncode == 1
    assert "is in use" in into_held.stderr
    assert "database restored" not in into_held.stdout


def test_restore_refuses_a_missing_or_mismatched_backup(tmp_path):
    missing = _run("restore.sh", str(tmp_path / "nope"), env=dict(os.environ))
    assert missing.returncode == 1 and "is not a folder" in missing.stderr
    (tmp_path / "sqlite-backup").mkdir()
    (tmp_path / "sqlite-backup" / "qa.db").write_bytes(b"")
    wrong = _run("restore.sh", str(tmp_path / "sqlite-backup"), env=dict(os.environ))
    assert wrong.returncode == 1 and "no database.dump" in wrong.stderr
    usage = _run("restore.sh", env=dict(os.environ))
    assert usage.returncode == 2 and "usage" in usage.stderr
