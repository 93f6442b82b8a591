"""Sentence vectors are read from the passage's own encoder run while the document is
processed and stored with the chunk, so no candidate sentence is embedded at question time."""

from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import update

from backend.models import Chunk
from backend.qa.pipeline import answer_text
from backend.retrieval.pooling import pack_vectors, pool_spans, unpack_vectors
from tests import factories

pytestmark = pytest.mark.usefixtures("worker")


class CountingEmbedder:
    """The runtime's sentence embedder, counting the texts it is asked to embed."""

    def __init__(self, inner):
        self.inner = inner
        self.texts: list[str] = []

    def embed(self, texts):
        self.texts.extend(texts)
        return self.inner.embed(texts)


def _forget_sentence_vectors(rt, document_id):
    """Make the document's passages look stored before sentence vectors existed."""
    with rt.session() as session:
        session.execute(
            update(Chunk)
            .where(Chunk.document_id == document_id)
            .values(sentence_spans=None, sentence_vectors=None)
        )


def _ask(rt, user, question, sentence_vectors):
    return answer_text(
        sessions=rt.session,
        settings=rt.settings,
        embedder=rt.embedder,
        sentence_vectors=sentence_vectors,
        store=rt.vector_store,
        user_id=user.id,
        question=question,
    )


def test_each_sentence_of_a_passage_gets_a_vector_that_means_it(runtime):
    text = (
        "The lighthouse keeper painted the lamp room green in 1920. "
        "Wheat harvests in the valley doubled after the new irrigation canal opened."
    )
    first_end = text.index(". ") + 1
    spans = [(0, first_end), (first_end + 1, len(text))]
    vectors, (rows,) = runtime.embedder.embed_with_spans([text], [spans])

    assert vectors.shape == (1, 384) and rows.shape == (2, 384)
    assert np.allclose(np.linalg.norm(rows, axis=1), 1.0, atol=1e-5)
    colour, crops = runtime.embedder.embed(
        ["What colour was the lamp room painted?", "What happened to the wheat harvests?"]
    )
    assert rows[0] @ colour > rows[1] @ colour
    assert rows[1] @ crops > rows[0] @ crops
    # The plain text vector is the same whether or not sentences are asked for.
    assert np.allclose(vectors[0], runtime.embedder.embed([text])[0], atol=1e-6)


def test_a_span_outside_the_text_gets_a_zero_row_and_storage_round_trips():
    hidden = np.arange(12, dtype=np.float32).reshape(3, 4) + 1
    offsets = [(0, 0), (0, 5), (6, 9)]  # a special token, then two words
    rows = pool_spans(hidden, offsets, [(0, 5), (0, 9), (50, 60)])

    assert np.allclose(rows[0], hidden[1] / np.linalg.norm(hidden[1]))
    mean = hidden[1:].mean(axis=0)
    assert np.allclose(rows[1], mean / np.linalg.norm(mean))
    assert not rows[2].any()
    back = unpack_vectors(pack_vectors(rows), 4)
    assert back.dtype == np.float32 and np.allclose(back, rows, atol=1e-3)


def test_processing_stores_every_passage_s_sentences(runtime, squad_doc):
    user = factories.make_user(runtime)
    doc = factories.upload_and_wait(runtime, user, squad_doc.name, squad_doc.read_bytes())
    chunks = factories.document_chunks(runtime, doc.id)

    assert chunks
    for chunk in chunks:
        assert chunk.sentence_spans and chunk.sentence_vectors
        rows = unpack_vectors(chunk.sentence_vectors, 384)
        assert len(rows) == len(chunk.sentence_spans)
        for start, end in chunk.sentence_spans:
            assert 0 <= start < end <= len(chunk.text)


def test_candidate_sentence_vectors_come_from_the_database(runtime, squad_doc):
    user = factories.make_user(runtime)
    factories.upload_and_wait(runtime, user, squad_doc.name, squad_doc.read_bytes())
    counting = CountingEmbedder(runtime.sentence_vectors)

    answer = _ask(runtime, user, "Who conquered England in 1066?", counting)

    assert answer.found and "William" in answer.text
    assert counting.texts == []  # every candidate sentence's vector came from the database


def test_passages_stored_without_sentence_vectors_are_still_answered(runtime, squad_doc):
    user = factories.make_user(runtime)
    doc = factories.upload_and_wait(runtime, user, squad_doc.name, squad_doc.read_bytes())
    _forget_sentence_vectors(runtime, doc.id)
    counting = CountingEmbedder(runtime.sentence_vectors)

    answer = _ask(runtime, user, "Who conquered England in 1066?", counting)

    assert answer.found and "William" in answer.text
    assert counting.texts  # embedded at question time, as before


def test_reindex_gives_older_passages_their_sentence_vectors(runtime, squad_doc):
    from backend.operations import vectors

    user = factories.make_user(runtime)
    doc = factories.upload_and_wait(runtime, user, squad_doc.name, squad_doc.read_bytes())
    _forget_sentence_vectors(runtime, doc.id)

    vectors.reindex(
        sessions=runtime.session,
        embedder=runtime.embedder,
        store=runtime.vector_store,
        user_id=user.id,
    )

    chunks = factories.document_chunks(runtime, doc.id)
    assert chunks and all(c.sentence_spans and c.sentence_vectors for c in chunks)
    counting = CountingEmbedder(runtime.sentence_vectors)
    assert _ask(runtime, user, "Who conquered England in 1066?", counting).found
    assert counting.texts == []
