"""Words are weighed by their rarity in the asking account's own documents: one account's
answers stay the same whatever other accounts upload or delete. The per-document term counts
behind it follow the document (written with its passages, replaced when it is processed
again, gone with it and with the account), are rebuilt by `reindex`, and a store made when
the engine weighed words over every account is rebuilt at start-up."""

from __future__ import annotations

import math
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select

from backend.documents import library
from backend.ledger import task_records
from backend.models import Chunk, DocumentTerm, User
from backend.operations import user_admin, vectors
from backend.qa import pipeline
from backend.retrieval.edge_store import EdgeStore
from backend.retrieval.lexical import query_vector
from backend.retrieval.term_stats import backfill_document_terms, library_term_weights
from tests import factories

pytestmark = pytest.mark.usefixtures("worker")

ROOT = Path(__file__).resolve().parent.parent
DATASETS = ROOT.parent / "shared" / "datasets"

QUESTIONS = [
    "In what country is Normandy located?",
    "Who conquered England in 1066?",
    "What is the major tributary for the Rhine?",
    "Where does the name Rhine derive from?",
    "What was the source of the Rhine in the last Ice Age?",
]
# The other account's library shares many of these words (France, river, England, Germany).
OTHER_DOCUMENTS = ["Huguenot.txt", "French_and_Indian_War.txt", "Warsaw.txt"]
RIVERS = "\n\n".join(
    f"Paragraph {i}. The Rhine and its tributary the Ruhr flow through Germany and France; "
    f"Normandy and England trade along the river in the age of ice and the source of the "
    f"country's name. Stone {i} of the bridge."
    for i in range(40)
)


def _dataset(name: str, filename: str) -> Path:
    path = DATASETS / name / "docs" / filename
    if not path.exists():
        pytest.skip("the squad datasets are not beside the project")
    return path


def _upload(rt, user, path: Path):
    doc = factories.upload_and_wait(rt, user, path.name, path.read_bytes())
    assert doc.processing_status == "ready", doc.processing_error
    return doc


def _as_seen(result: dict) -> tuple:
    """What the asker sees of an answer: text, verdict, and every source with its scores."""

    def sources(key: str) -> list[tuple]:
        return [
            (s["document_id"], s["chunk_id"], s["score"], s["rank_score"], s["highlights"])
            for s in result.get(key) or []
        ]

    return (
        result["answer"],
        result["found"],
        result["confidence"],
        sources("sources"),
        sources("closest"),
    )


def _answers(rt, user) -> list[tuple]:
    seen = []
    for question in QUESTIONS:
        for method in (None, "sparse-plain"):
            result = factories.ask_and_wait(rt, user, question, retrieval=method)
            seen.append((question, method, _as_seen(result)))
    return seen


def _retrieved(rt, user) -> list[tuple]:
    """The raw retrieval, unrounded, in each mode."""
    seen = []
    for question in QUESTIONS:
        for mode in ("sparse", "hybrid"):
            _, passages = pipeline.retrieve(
                sessions=rt.session,
                settings=rt.settings,
                embedder=rt.embedder,
                store=rt.vector_store,
                user_id=user.id,
                question=question,
                document_ids=None,
                limit=10,
                mode=mode,
            )
            seen.append([(p.chunk_id, p.score, p.similarity) for p in passages])
    return seen


def test_answers_do_not_move_when_another_account_uploads_or_deletes(runtime):
    alice, bob = factories.make_user(runtime), factories.make_user(runtime)
    for name in ("Normans.txt", "Rhine.txt"):
        _upload(runtime, alice, _dataset("squad-dev", name))
    before, retrieved = _answers(runtime, alice), _retrieved(runtime, alice)
    assert all(seen[1] for question, method, seen in before if method is None)  # found

    others = [_upload(runtime, bob, _dataset("squad-val", name)) for name in OTHER_DOCUMENTS]
    factories.upload_and_wait(runtime, bob, "rivers.txt", RIVERS.encode())
    with runtime.session() as session:
        fresh = session.get(User, bob.id)
        ref = library.delete_document(
            session=session, celery=runtime.celery, user=fresh, document_id=others[0].id
        )
    task_records.wait_for_task(celery=runtime.celery, task_id=ref.task_id, timeout=60)

    assert _retrieved(runtime, alice) == retrieved
    assert _answers(runtime, alice) == before


def _term_rows(rt, document_id: int) -> dict[int, int]:
    with rt.session() as session:
        rows = session.execute(
            select(DocumentTerm.term_id, DocumentTerm.chunks).where(
                DocumentTerm.document_id == document_id
            )
        ).all()
    return {int(term): int(n) for term, n in rows}


def _chunk_texts(rt, document_id: int) -> list[str]:
    with rt.session() as session:
        return list(session.scalars(select(Chunk.text).where(Chunk.document_id == document_id)))


def _all_term_rows(rt, user_id: int | None = None) -> int:
    query = select(func.count()).select_from(DocumentTerm)
    if user_id is not None:
        query = query.where(DocumentTerm.user_id == user_id)
    with rt.session() as session:
        return int(session.scalar(query) or 0)


def test_term_counts_follow_the_documents_passages(runtime, squad_doc):
    admin = factories.make_user(runtime, role="admin")
    user = factories.make_user(runtime)
    doc = _upload(runtime, user, squad_doc)
    rows = _term_rows(runtime, doc.id)
    texts = _chunk_texts(runtime, doc.id)

    # "Normandy" is one term: its count is the number of passages that use the word.
    (normandy,) = query_vector("Normandy").indices
    using = sum(1 for t in texts if re.search(r"\bnormandy\b", t, re.IGNORECASE))
    assert rows[normandy] == using > 1
    assert max(rows.values()) <= doc.chunk_count == len(texts)
    with runtime.session() as session:
        weights = library_term_weights(session, user_id=user.id, terms=[normandy])
        assert library_term_weights(session, user_id=admin.id, terms=[normandy]) == {}
    n = doc.chunk_count
    assert weights[normandy] == pytest.approx(math.log(1 + (n - using + 0.5) / (using + 0.5)))

    # Processed again: the same counts, not twice as many.
    with runtime.session() as session:
        fresh = session.get(User, user.id)
        ref = library.reprocess_document(
            session=session, celery=runtime.celery, user=fresh, document_id=doc.id
        )
    task_records.wait_for_task(celery=runtime.celery, task_id=ref.task_id, timeout=120)
    assert _term_rows(runtime, doc.id) == rows

    # Gone with the document, and with the account.
    second = factories.upload_and_wait(runtime, user, "notes.txt", b"Lighthouse keepers at dawn.")
    assert _term_rows(runtime, second.id)
    with runtime.session() as session:
        fresh = session.get(User, user.id)
        ref = library.delete_document(
            session=session, celery=runtime.celery, user=fresh, document_id=doc.id
        )
    task_records.wait_for_task(celery=runtime.celery, task_id=ref.task_id, timeout=60)
    assert _term_rows(runtime, doc.id) == {}
    assert _all_term_rows(runtime, user.id) == len(_term_rows(runtime, second.id))
    with runtime.session() as session:
        actor = session.get(User, admin.id)
        ref = user_admin.delete_user(
            session=session, celery=runtime.celery, actor=actor, user_id=user.id
        )
    task_records.wait_for_task(celery=runtime.celery, task_id=ref.task_id, timeout=120)
    assert _all_term_rows(runtime) == 0


def _forget_terms(rt) -> None:
    with rt.session() as session:
        session.execute(delete(DocumentTerm))


def _sparse_hits(rt, user) -> list[int]:
    _, passages = pipeline.retrieve(
        sessions=rt.session,
        settings=rt.settings,
        embedder=rt.embedder,
        store=rt.vector_store,
        user_id=user.id,
        question="In what country is Normandy located?",
        document_ids=None,
        limit=5,
        mode="sparse",
    )
    return [p.chunk_id for p in passages]


def test_reindex_and_the_start_up_check_count_terms_of_older_documents(runtime, squad_doc):
    user = factories.make_user(runtime)
    doc = _upload(runtime, user, squad_doc)
    rows, found = _term_rows(runtime, doc.id), _sparse_hits(runtime, user)
    assert found

    # A document processed before the statistics existed: no word is known to the account.
    _forget_terms(runtime)
    assert _sparse_hits(runtime, user) == []
    summary = vectors.reindex(
        sessions=runtime.session, embedder=runtime.embedder, store=runtime.vector_store
    )
    assert summary.documents == 1
    assert _term_rows(runtime, doc.id) == rows
    assert _sparse_hits(runtime, user) == found

    _forget_terms(runtime)
    assert backfill_document_terms(runtime.session) == 1
    assert backfill_document_terms(runtime.session) == 0  # nothing left to count
    assert _term_rows(runtime, doc.id) == rows


def _cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "backend.cli", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def _old_shard(folder: Path) -> None:
    """A shard as made before per-account statistics: the engine applies IDF itself."""
    import qdrant_edge as qe

    config = qe.EdgeConfig(
        vectors={"dense": qe.EdgeVectorParams(size=384, distance=qe.Distance.Cosine)},
        sparse_vectors={"lexical": qe.EdgeSparseVectorParams(modifier=qe.Modifier.Idf)},
    )
    qe.EdgeShard.create(str(folder), config).close()


def test_start_up_rebuilds_a_store_that_weighs_words_over_every_account(
    runtime, squad_doc, tmp_path
):
    user = factories.make_user(runtime)
    doc = _upload(runtime, user, squad_doc)
    rows = _term_rows(runtime, doc.id)
    folder = tmp_path / "vectors"
    _old_shard(folder)
    old = EdgeStore.open(folder)
    assert old.engine_idf
    old.close()
    _forget_terms(runtime)
    env = dict(os.environ, VECTOR_PATH=str(folder))

    first = _cli("prepare-vectors", env=env)
    assert first.returncode == 0, first.stderr
    assert "weighs words by their rarity across every account" in first.stdout
    assert "Rebuilt 1 documents" in first.stdout
    assert _term_rows(runtime, doc.id) == rows
    again = _cli("prepare-vectors", env=env)
    assert again.returncode == 0, again.stderr
    assert "rebuilding" not in again.stdout and "Counted" not in again.stdout
    assert f"holds {doc.chunk_count} passages" in again.stdout
    store = EdgeStore.open(folder)
    try:
        assert not store.engine_idf and store.count(document_id=doc.id) == doc.chunk_count
    finally:
        store.close()

    # A current store, but a document counted before the statistics: its terms are counted.
    _forget_terms(runtime)
    third = _cli("prepare-vectors", env=env)
    assert third.returncode == 0, third.stderr
    assert "Counted the words of 1 documents" in third.stdout
    assert "rebuilding" not in third.stdout
    assert _term_rows(runtime, doc.id) == rows
