"""The vector store contract for lexical weights, against both adapters: a question's terms
are weighted by the caller (their IDF over the asking user's chunks), so no score moves when
another user adds the same words; a store made with the engine's own IDF (over every user's
chunks) is recognised, searched as made until rebuilt, and made anew by `reset`."""

from __future__ import annotations

from pathlib import Path

import pytest
from qdrant_client import QdrantClient

from backend.retrieval.edge_store import EdgeStore
from backend.retrieval.lexical import document_vector, query_vector
from backend.retrieval.server_store import ServerStore
from backend.retrieval.vector_store import VectorStore
from tests import test_vector_store as contract
from tests.test_vector_store import TEXTS, chunk, fill, unit

store = contract.store  # the same two adapters as the contract tests


def _term(word: str) -> int:
    (term,) = query_vector(word).indices
    return term


def test_term_weights_decide_the_lexical_order(store):
    zebra, road = _term("zebra"), _term("road")
    store.replace_document(40, [chunk(5, 40, 0, "zebra crossing", 0)])
    store.replace_document(41, [chunk(5, 41, 0, "road works", 1)])
    store.replace_document(42, [chunk(6, 42, 0, "zebra zebra zebra", 2)])  # another user's

    def ranked(weights):
        hits = store.search(
            unit(9), user_id=5, query_text="zebra road", mode="sparse", term_weights=weights
        )
        return [(h.document_id, h.score) for h in hits]

    rare_zebra = ranked({zebra: 2.0, road: 0.5})
    rare_road = ranked({zebra: 0.5, road: 2.0})
    assert [d for d, _ in rare_zebra] == [40, 41]
    assert [d for d, _ in rare_road] == [41, 40]
    # The score is the dot product of the weights with the chunk's term-frequency weights.
    stored = document_vector("zebra crossing")
    tf = stored.values[stored.indices.index(zebra)]
    assert rare_zebra[0][1] == pytest.approx(2.0 * tf, rel=1e-5)
    # A term without a weight is dropped (no chunk of the user holds it): only road counts.
    assert [d for d, _ in ranked({road: 1.0})] == [41]
    # No weighted term at all: no lexical hits, and a hybrid search falls back to meaning.
    assert ranked({}) == []
    hybrid = store.search(
        unit(0), user_id=5, query_text="zebra road", mode="hybrid", term_weights={}
    )
    assert hybrid[0].document_id == 40 and hybrid[0].similarity == pytest.approx(1.0, abs=1e-3)


def test_scores_do_not_move_when_another_user_adds_the_same_words(store):
    store.replace_document(50, [chunk(7, 50, i, t, i) for i, t in enumerate(TEXTS)])
    weights = {_term("capital"): 1.3, _term("poland"): 2.1}

    def asked():
        return [
            (h.document_id, h.ordinal, h.score)
            for h in store.search(
                unit(1), user_id=7, query_text="capital of Poland", mode="hybrid",
                term_weights=weights,
            )
        ]  # fmt: skip

    before = asked()
    store.replace_document(60, [chunk(8, 60, i, f"Poland capital {i}", 20 + i) for i in range(30)])
    assert asked() == before


def _old_layout(kind: str, tmp_path: Path) -> VectorStore:
    """A store as made before per-account statistics: the engine applies IDF itself."""
    import qdrant_edge as qe
    from qdrant_client import models

    if kind == "edge":
        folder = tmp_path / "old-vectors"
        qe.EdgeShard.create(
            str(folder),
            qe.EdgeConfig(
                vectors={"dense": qe.EdgeVectorParams(size=384, distance=qe.Distance.Cosine)},
                sparse_vectors={"lexical": qe.EdgeSparseVectorParams(modifier=qe.Modifier.Idf)},
            ),
        ).close()
        return EdgeStore.open(folder)
    client = QdrantClient(path=str(tmp_path / "old-server"))
    client.create_collection(
        "chunks",
        vectors_config={"dense": models.VectorParams(size=384, distance=models.Distance.COSINE)},
        sparse_vectors_config={"lexical": models.SparseVectorParams(modifier=models.Modifier.IDF)},
    )
    return ServerStore(client, collection="chunks")


@pytest.mark.parametrize("kind", ["edge", "server"])
def test_a_store_with_the_engines_idf_is_recognised_and_made_anew(kind, tmp_path):
    old = _old_layout(kind, tmp_path)
    try:
        assert old.engine_idf
        fill(old)
        # Until it is rebuilt it is searched as it was made to be: weights would count twice.
        weighted = old.search(
            unit(3), user_id=2, query_text="capital of Poland", mode="sparse",
            term_weights={_term("capital"): 5.0, _term("poland"): 5.0},
        )  # fmt: skip
        plain = old.search(unit(3), user_id=2, query_text="capital of Poland", mode="sparse")
        assert [h.score for h in weighted] == [h.score for h in plain]
        old.reset()
        assert not old.engine_idf and old.count() == 0
        fill(old)
        assert old.count() == 8
        hits = old.search(
            unit(3), user_id=2, query_text="capital of Poland", mode="sparse",
            term_weights={_term("capital"): 5.0, _term("poland"): 5.0},
        )  # fmt: skip
        assert hits[0].text == TEXTS[1]
    finally:
        old.close()
    if kind == "edge":
        reopened = EdgeStore.open(tmp_path / "old-vectors")
        try:
            assert not reopened.engine_idf and reopened.count() == 8
        finally:
            reopened.close()


def test_equal_word_scores_fuse_the_same_whatever_order_documents_were_stored(store):
    """Two accounts hold the same three passages, stored in opposite orders (as two workers
    may finish them): the fused ranking is the same, passage for passage."""
    texts = ["tram depot", "tram museum", "tram timetable"]  # one shared word: equal BM25
    tram = _term("tram")
    for user, order in ((7, [0, 1, 2]), (8, [2, 1, 0])):
        for i in order:
            document = user * 10 + i
            store.replace_document(document, [chunk(user, document, 0, texts[i], 20 + i)])
    vector = unit(11)

    def ranked(user):
        hits = store.search(
            vector, user_id=user, query_text="tram", mode="hybrid", term_weights={tram: 1.0}
        )
        return [h.text for h in hits]

    assert ranked(7) == ranked(8)
    assert sorted(ranked(7)) == sorted(texts)
