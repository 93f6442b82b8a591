"""The vector store contract, run against both adapters: the embedded Qdrant Edge shard and the
server adapter (through qdrant-client; its local mode stands in for a Qdrant server, since no
server binary exists on these machines). Tenancy is checked in both: no query, count or
delete crosses users. Then what only the embedded shard has: one owner process, a clear
message for a held or unreadable folder, and writes that survive a killed owner."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from qdrant_client import QdrantClient

from backend.retrieval.edge_store import EdgeStore
from backend.retrieval.lexical import content_terms, document_vector, query_vector
from backend.retrieval.points import ChunkPoint, point_id
from backend.retrieval.server_store import ServerStore
from backend.retrieval.vector_store import VectorStore, VectorStoreBusy, VectorStoreUnavailable

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(params=["edge", "server"])
def store(request, tmp_path):
    if request.param == "edge":
        made: VectorStore = EdgeStore.open(tmp_path / "vectors")
    else:
        made = ServerStore(QdrantClient(path=str(tmp_path / "server")), collection="chunks")
    yield made
    made.close()


def unit(seed: int) -> np.ndarray:
    vector = np.random.default_rng(seed).normal(size=384).astype(np.float32)
    return vector / np.linalg.norm(vector)


def chunk(user: int, document: int, ordinal: int, text: str, seed: int) -> ChunkPoint:
    return ChunkPoint(document, user, ordinal, 1, text, unit(seed), document_vector(text))


TEXTS = [
    "The Rhine flows from the Swiss Alps to the North Sea.",
    "Warsaw is the capital and largest city of Poland.",
    "Nikola Tesla moved to New York City in June 1884.",
    "The Apollo program landed the first humans on the Moon.",
]


def fill(store: VectorStore) -> None:
    """User 1 owns documents 10 and 11, user 2 owns document 20 with the same texts."""
    store.replace_document(10, [chunk(1, 10, i, t, i) for i, t in enumerate(TEXTS[:2])])
    store.replace_document(11, [chunk(1, 11, i, t, 10 + i) for i, t in enumerate(TEXTS[2:])])
    store.replace_document(20, [chunk(2, 20, i, t, i) for i, t in enumerate(TEXTS)])


@pytest.mark.parametrize("mode", ["dense", "sparse", "hybrid"])
def test_every_search_stays_inside_the_users_points(store, mode):
    fill(store)
    for user, documents in ((1, {10, 11}), (2, {20})):
        for seed, text in enumerate(TEXTS):
            hits = store.search(unit(seed), user_id=user, query_text=text, mode=mode, limit=10)
            assert hits, (user, text)
            assert {h.document_id for h in hits} <= documents
    # A user with no points finds nothing, whatever is asked.
    assert store.search(unit(0), user_id=3, query_text=TEXTS[0], mode=mode) == []


def test_document_filter_narrows_inside_the_user(store):
    fill(store)
    hits = store.search(unit(2), user_id=1, document_ids=[10], query_text=TEXTS[2], mode="hybrid")
    assert hits and {h.document_id for h in hits} == {10}
    # Another user's document id in the filter finds nothing: the tenant filter still applies.
    assert store.search(unit(0), user_id=1, document_ids=[20], mode="hybrid") == []


def test_counts_and_deletes_never_cross_users(store):
    fill(store)
    assert store.count() == 8
    assert store.count(user_id=1) == 4 and store.count(user_id=2) == 4
    assert store.count(user_id=1, document_id=20) == 0
    store.delete_document(10)
    assert store.count(user_id=1) == 2 and store.count(user_id=2) == 4
    store.delete_user(2)
    assert store.count(user_id=2) == 0 and store.count(user_id=1) == 2
    assert store.document_ids() == {11}


def test_replacing_a_document_never_duplicates_a_point(store):
    fill(store)
    again = [chunk(1, 10, i, t, i) for i, t in enumerate(TEXTS[:2])]
    store.replace_document(10, again)
    store.replace_document(10, again)
    assert store.count(document_id=10) == 2
    # Fewer chunks than before: the extra ones go.
    store.replace_document(10, again[:1])
    assert store.count(document_id=10) == 1
    hits = store.search(unit(0), user_id=1, document_ids=[10], mode="dense")
    assert [(h.ordinal, h.text) for h in hits] == [(0, TEXTS[0])]


def test_dense_search_ranks_by_cosine_and_reports_it(store):
    fill(store)
    hits = store.search(unit(1), user_id=2, mode="dense", limit=4)
    assert hits[0].text == TEXTS[1]
    assert hits[0].similarity == pytest.approx(1.0, abs=1e-3)
    assert hits[0].score == pytest.approx(hits[0].similarity, abs=1e-3)
    assert all(h.similarity < 0.5 for h in hits[1:])  # random directions in 384 dimensions


def test_lexical_search_finds_the_word_that_meaning_misses(store):
    fill(store)
    # The dense vector points at the Apollo chunk; the words point at Warsaw.
    sparse = store.search(unit(3), user_id=2, query_text="capital of Poland", mode="sparse")
    assert sparse[0].text == TEXTS[1]
    hybrid = store.search(
        unit(3), user_id=2, query_text="capital of Poland", mode="hybrid", limit=2
    )
    assert {h.text for h in hybrid} == {TEXTS[1], TEXTS[3]}
    # Every hit carries its cosine to the question vector, lexical-only ones included.
    warsaw = next(h for h in hybrid if h.text == TEXTS[1])
    assert warsaw.similarity == pytest.approx(float(unit(1) @ unit(3)), abs=1e-3)
    # Only stop words: no lexical signal, so no lexical hits (and hybrid falls back to dense).
    assert store.search(unit(3), user_id=2, query_text="the of and", mode="sparse") == []
    assert store.search(unit(3), user_id=2, query_text="the of", mode="hybrid")[0].text == TEXTS[3]


def test_lexical_search_finds_a_name_typed_without_its_accents(store):
    fill(store)
    named = "Pierre-Joseph Céloron de Blainville buried lead plates along the Ohio in 1749."
    store.replace_document(21, [chunk(2, 21, 0, named, 7)])
    for asked in ("Where did Celoron bury the plates?", "Where did CÉLORON bury them?"):
        hits = store.search(unit(3), user_id=2, query_text=asked, mode="sparse")
        assert hits and hits[0].text == named, asked
    assert query_vector("Skłodowska Straße").indices == query_vector("Sklodowska strasse").indices


def test_points_keep_their_stable_ids(tmp_path):
    store = ServerStore(QdrantClient(path=str(tmp_path)), collection="chunks")
    try:
        fill(store)
        got, _ = store.client.scroll("chunks", limit=20)
        assert {str(p.id) for p in got if p.payload["document_id"] == 10} == {
            point_id(10, 0),
            point_id(10, 1),
        }
    finally:
        store.close()


def test_bm25_terms_follow_english_stemming():
    # One stem for a word's forms; different words stay apart.
    assert query_vector("houses").indices == query_vector("house").indices
    assert query_vector("making").indices == query_vector("make").indices
    assert query_vector("news").indices != query_vector("new").indices
    assert query_vector("the of and").indices == []
    assert content_terms("The houses were making news") == ["hous", "make", "news"]
    # Repeated words weigh more in a chunk, not in a question.
    doc = document_vector("river river river delta")
    weights = dict(zip(doc.indices, doc.values, strict=True))
    (river,) = query_vector("river").indices
    (delta,) = query_vector("delta").indices
    assert weights[river] > weights[delta]


# --- the embedded shard only

OPEN_AND_HOLD = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    import numpy as np
    from backend.retrieval.edge_store import EdgeStore
    from backend.retrieval.lexical import document_vector
    from backend.retrieval.points import ChunkPoint
    store = EdgeStore.open(Path(sys.argv[1]))
    v = np.ones(384, dtype=np.float32) / np.sqrt(384)
    store.replace_document(5, [ChunkPoint(5, 1, i, None, f"passage {i}", v,
                                          document_vector(f"passage {i}")) for i in range(3)])
    print("ready", flush=True)
    time.sleep(600)
    """
)


def _holder(folder: Path) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", OPEN_AND_HOLD, str(folder)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    return proc


def test_a_second_process_is_told_who_owns_the_shard(tmp_path):
    folder = tmp_path / "vectors"
    holder = _holder(folder)
    try:
        with pytest.raises(VectorStoreUnavailable) as refused:
            EdgeStore.open(folder)
        message = refused.value.message
        assert str(folder) in message and f"process {holder.pid}" in message
        assert "QDRANT_URL" in message and "Traceback" not in message
        # The same process cannot open it twice either, and the holder's shard is unharmed.
        with pytest.raises(VectorStoreUnavailable):
            EdgeStore.open(folder)
    finally:
        holder.kill()
        holder.wait()


def test_acknowledged_writes_survive_a_killed_owner(tmp_path):
    folder = tmp_path / "vectors"
    holder = _holder(folder)
    os.kill(holder.pid, signal.SIGKILL)  # no flush, no close
    holder.wait()
    store = EdgeStore.open(folder)  # the lock died with its owner
    try:
        assert store.count(document_id=5) == 3
        assert json.loads((folder / "owner.lock").read_text())["pid"] == os.getpid()
    finally:
        store.close()
    assert (folder / "owner.lock").read_text() == ""


def test_an_unreadable_shard_names_the_folder_and_reindex(tmp_path):
    folder = tmp_path / "vectors"
    EdgeStore.open(folder).close()
    (folder / "edge_config.json").write_text("{not json")
    with pytest.raises(VectorStoreUnavailable) as refused:
        EdgeStore.open(folder)
    assert str(folder) in refused.value.message
    assert "python -m backend.cli reindex" in refused.value.message


def test_a_copy_opens_as_a_shard_with_the_same_points(tmp_path):
    store = EdgeStore.open(tmp_path / "vectors")
    try:
        fill(store)
        store.copy_to(tmp_path / "copy")
        store.delete_user(1)  # the copy is a snapshot: later changes stay out of it
    finally:
        store.close()
    copy = EdgeStore.open(tmp_path / "copy")
    try:
        assert copy.count(user_id=1) == 4 and copy.count(user_id=2) == 4
        assert copy.search(unit(0), user_id=1, mode="dense")[0].text == TEXTS[0]
    finally:
        copy.close()


def test_a_refused_second_open_leaves_the_owners_shard_whole(tmp_path):
    folder = tmp_path / "vectors"
    store = EdgeStore.open(folder)
    try:
        fill(store)
        with pytest.raises(VectorStoreBusy):
            EdgeStore.open(folder)
        store.flush()  # the owner writes on, as if nobody had knocked
        fill(store)
        store.flush()
        assert store.count() == 8
    finally:
        store.close()
    reopened = EdgeStore.open(folder)
    try:
        assert reopened.count() == 8
    finally:
        reopened.close()


def test_tied_fusion_scores_come_back_in_one_order(store):
    # A is nearest in meaning and second in words, B first in words and second in meaning:
    # reciprocal rank fusion gives them the same score. Ties go to the closer meaning.
    query = unit(7)
    a = ChunkPoint(30, 4, 0, 1, "zebra crossing", query, document_vector("zebra crossing"))
    b = ChunkPoint(31, 4, 0, 1, "zebra zebra herd", unit(8), document_vector("zebra zebra herd"))
    store.replace_document(30, [a])
    store.replace_document(31, [b])
    orders = set()
    for _ in range(20):
        hits = store.search(query, user_id=4, query_text="zebra", mode="hybrid", limit=2)
        assert hits[0].score == hits[1].score
        orders.add(tuple(h.document_id for h in hits))
    assert orders == {(30, 31)}


@pytest.mark.parametrize("adapter", ["edge", "server"])
def test_points_tied_past_the_cut_off_are_ranked_alike_whatever_their_writing_order(
    tmp_path, adapter
):
    # Sixty passages hold the question's one word as often, at the same length: their word
    # scores tie far past the candidates kept. None of them may be left out by the engine's
    # own order of equal scores: the tie is kept whole, ranked alike, and meaning decides.
    query = unit(99)
    texts = "a zebra grazing in the field"
    points = [
        ChunkPoint(40 + i, 5, 0, 1, texts, unit(200 + i), document_vector(texts)) for i in range(60)
    ]
    results = []
    for name, order in (("forward", points), ("backward", points[::-1])):
        made: VectorStore = (
            EdgeStore.open(tmp_path / name)
            if adapter == "edge"
            else ServerStore(QdrantClient(path=str(tmp_path / name)), collection="chunks")
        )
        try:
            for point in order:
                made.replace_document(point.document_id, [point])
            results.append(
                [
                    h.document_id
                    for h in made.search(
                        query, user_id=5, query_text="zebra", mode="hybrid", limit=5, candidates=10
                    )
                ]
            )
            dense = made.search(query, user_id=5, mode="dense", limit=5)
        finally:
            made.close()
        assert results[-1] == [h.document_id for h in dense]
    assert results[0] == results[1]
