"""Vector store upkeep as an operator meets it: `reindex` rebuilds the vectors from the stored
passages (through the worker when it holds the shard), `make run`'s start-up check rebuilds an
empty store and names a former local-mode folder, an unreadable shard stops start-up with a
sentence, and `backup-vectors` copies the shard the worker holds."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from backend.models import Chunk
from backend.retrieval.edge_store import EdgeStore
from backend.tools import cli
from tests import factories

pytestmark = pytest.mark.usefixtures("worker")

ROOT = Path(__file__).resolve().parent.parent


def _passages(rt, user_id: int | None = None) -> int:
    from backend.models import Document

    query = select(func.count(Chunk.id)).join(Document, Document.id == Chunk.document_id)
    if user_id is not None:
        query = query.where(Document.owner_id == user_id)
    with rt.session() as session:
        return int(session.scalar(query) or 0)


def _two_users_with_documents(rt, squad_doc):
    alice = factories.make_user(rt)
    bob = factories.make_user(rt)
    factories.upload_and_wait(rt, alice, squad_doc.name, squad_doc.read_bytes())
    factories.upload_and_wait(rt, bob, "notes.txt", b"The lighthouse keeper fed the cats at dawn.")
    return alice, bob


def test_reindex_through_the_worker_restores_lost_vectors(runtime, squad_doc, capsys):
    alice, bob = _two_users_with_documents(runtime, squad_doc)
    store = runtime.vector_store
    for document_id in store.document_ids():
        store.delete_document(document_id)
    lost = factories.ask_and_wait(runtime, alice, "In what country is Normandy located?")
    assert not lost["found"]

    # This process's worker holds the shard, so the command hands the work to it.
    assert cli.main(["reindex", "--user", alice.email]) == 0
    out = capsys.readouterr()
    assert "The worker holds the vector store" in out.err
    assert f"of {alice.email}" in out.out
    assert store.count(user_id=alice.id) == _passages(runtime, alice.id) > 5
    assert store.count(user_id=bob.id) == 0  # --user rebuilt one account only

    answer = factories.ask_and_wait(runtime, alice, "In what country is Normandy located?")
    assert answer["found"] and answer["sources"]

    assert cli.main(["reindex"]) == 0
    assert store.count(user_id=bob.id) == _passages(runtime, bob.id) == 1
    # Running it again replaces points; it never adds any.
    assert cli.main(["reindex"]) == 0
    assert store.count() == _passages(runtime)


def _cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "backend.cli", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_start_up_rebuilds_an_empty_store_and_names_the_old_folder(runtime, squad_doc, tmp_path):
    _two_users_with_documents(runtime, squad_doc)
    legacy = tmp_path / "qdrant"
    (legacy / "collection" / "chunks").mkdir(parents=True)
    (legacy / "collection" / "chunks" / "storage.sqlite").write_bytes(b"old points")
    env = dict(os.environ, VECTOR_PATH=str(tmp_path / "vectors"), QDRANT_PATH=str(legacy))

    first = _cli("prepare-vectors", env=env)
    assert first.returncode == 0, first.stderr
    assert f"{legacy} are left untouched" in first.stdout
    assert "rebuilding it from the stored passages" in first.stdout
    assert (legacy / "collection" / "chunks" / "storage.sqlite").read_bytes() == b"old points"
    again = _cli("prepare-vectors", env=env)
    assert again.returncode == 0 and "rebuilding" not in again.stdout
    assert f"holds {_passages(runtime)} passages" in again.stdout

    store = EdgeStore.open(tmp_path / "vectors")
    try:
        assert store.count() == _passages(runtime)
    finally:
        store.close()


def test_an_unreadable_store_stops_start_up_with_a_sentence(tmp_path):
    folder = tmp_path / "vectors"
    EdgeStore.open(folder).close()
    shutil.rmtree(folder / "segments")
    (folder / "segments").write_text("not a folder")
    done = _cli("prepare-vectors", env=dict(os.environ, VECTOR_PATH=str(folder)))
    assert done.returncode == 1
    assert str(folder) in done.stderr and "python -m backend.cli reindex" in done.stderr
    assert "Traceback" not in done.stderr


def test_backup_vectors_copies_the_shard_the_worker_holds(runtime, squad_doc, tmp_path, capsys):
    alice, _ = _two_users_with_documents(runtime, squad_doc)
    destination = tmp_path / "copy"
    assert cli.main(["backup-vectors", str(destination)]) == 0
    assert f"into {destination}" in capsys.readouterr().out
    copy = EdgeStore.open(destination)
    try:
        assert copy.count() == _passages(runtime)
        assert copy.count(user_id=alice.id) == _passages(runtime, alice.id)
    finally:
        copy.close()
    # A folder that already holds files is refused, not overwritten.
    assert cli.main(["backup-vectors", str(destination)]) == 1
    assert "already holds files" in capsys.readouterr().err


def test_start_up_embeds_again_the_documents_another_encoder_made(runtime, squad_doc, tmp_path):
    """A document's vectors and a question's must come from one encoder: a document stored
    under another (an earlier build, or the int8/fp32 setting changed) is embedded again at
    start-up, and only that one."""
    from sqlalchemy import update

    from backend.models import Document
    from backend.retrieval.embeddings import vectors_version

    alice, bob = _two_users_with_documents(runtime, squad_doc)
    current = vectors_version(runtime.settings.embedding_quantized)
    with runtime.session() as session:
        encoders = dict(session.execute(select(Document.id, Document.encoder)).all())
        assert set(encoders.values()) == {current}  # processing records its encoder
        stale = session.scalar(select(Document.id).where(Document.owner_id == bob.id))
        session.execute(
            update(Document).where(Document.id == stale).values(encoder="an-older-encoder")
        )
    env = dict(os.environ, VECTOR_PATH=str(tmp_path / "vectors"))
    first = _cli("prepare-vectors", env=env)  # a new store: everything is rebuilt
    assert first.returncode == 0, first.stderr
    with runtime.session() as session:
        session.execute(
            update(Document).where(Document.id == stale).values(encoder="an-older-encoder")
        )

    again = _cli("prepare-vectors", env=env)
    assert again.returncode == 0, again.stderr
    assert f"The vectors of 1 of the documents come from another encoder than {current}" in (
        again.stdout
    )
    assert "Rebuilt 1 documents (1 passages)" in again.stdout
    with runtime.session() as session:
        assert session.get(Document, stale).encoder == current
    third = _cli("prepare-vectors", env=env)
    assert "another encoder" not in third.stdout
    assert f"holds {_passages(runtime)} passages" in third.stdout


def test_start_up_cuts_again_the_documents_cut_another_way(runtime, tmp_path):
    """After an upgrade that changes how text is cut into passages, start-up cuts every
    document again from its upload and processes again only those whose passages change (a
    manual's long section now opens each passage with its heading); a text without headings
    keeps its passages as they were."""
    from sqlalchemy import update

    from backend.documents.ingest.chunk import CHUNKING_VERSION
    from backend.models import Document

    user = factories.make_user(runtime)
    claims = " ".join(
        f"Claims of kind {n} are answered by the service centre within a week." for n in range(25)
    )
    manual = factories.upload_and_wait(
        runtime, user, "manual.md", f"# Kettle manual\n\n## Warranty\n\n{claims}\n".encode()
    )
    note = factories.upload_and_wait(
        runtime, user, "note.txt", b"The lighthouse keeper fed the cats at dawn."
    )
    heading = "# Kettle manual\n\n## Warranty\n\n"
    cut = factories.document_chunks(runtime, manual.id)
    assert len(cut) >= 2 and all(c.text.startswith(heading) for c in cut)
    kept_ids = [c.id for c in factories.document_chunks(runtime, note.id)]
    # The documents as the former way cut them: later passages without their heading.
    with runtime.session() as session:
        session.execute(update(Document).values(chunking=None))
        for chunk in cut[1:]:
            session.execute(
                update(Chunk)
                .where(Chunk.id == chunk.id)
                .values(text=chunk.text.removeprefix(heading))
            )
    env = dict(os.environ, VECTOR_PATH=str(tmp_path / "vectors"))

    first = _cli("prepare-vectors", env=env)

    assert first.returncode == 0, first.stderr
    assert "2 documents were cut into passages another way than now" in first.stdout
    assert "Processed 1 of 2 documents again" in first.stdout
    recut = factories.document_chunks(runtime, manual.id)
    assert len(recut) >= 2 and all(c.text.startswith(heading) for c in recut)
    assert [c.id for c in factories.document_chunks(runtime, note.id)] == kept_ids
    with runtime.session() as session:
        ways = set(session.scalars(select(Document.chunking)))
    assert ways == {CHUNKING_VERSION}
    again = _cli("prepare-vectors", env=env)
    assert again.returncode == 0, again.stderr
    assert "cut into passages another way" not in again.stdout
    assert f"holds {_passages(runtime)} passages" in again.stdout
