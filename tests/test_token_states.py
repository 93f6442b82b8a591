"""Token states are kept from the passage's own encoder run while the document is processed,
so the token match reads every retrieved sentence at question time without the encoder."""

from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import update

from backend.models import Chunk
from backend.qa.pipeline import answer_text
from backend.retrieval.pooling import unpack_token_states
from tests import factories

pytestmark = pytest.mark.usefixtures("worker")
QUESTION = "Who conquered England in 1066?"


class CountingEncoder:
    """The runtime's embedder, recording the texts the token match has it read."""

    def __init__(self, inner):
        self.inner = inner
        self.read: list[str] = []

    def encode_question(self, text):
        return self.inner.encode_question(text)

    def embed(self, texts):
        return self.inner.embed(texts)

    def token_states(self, texts):
        self.read.extend(texts)
        return self.inner.token_states(texts)


def _ask(rt, user, embedder):
    return answer_text(
        sessions=rt.session,
        settings=rt.settings,
        embedder=embedder,
        sentence_vectors=rt.sentence_vectors,
        store=rt.vector_store,
        user_id=user.id,
        question=QUESTION,
    )


def _forget_token_states(rt, document_id):
    """Make the document's passages look stored before token states were kept."""
    with rt.session() as session:
        session.execute(
            update(Chunk).where(Chunk.document_id == document_id).values(token_states=None)
        )


def test_processing_keeps_each_passage_s_token_states(runtime, squad_doc):
    user = factories.make_user(runtime)
    doc = factories.upload_and_wait(runtime, user, squad_doc.name, squad_doc.read_bytes())
    chunks = factories.document_chunks(runtime, doc.id)

    assert chunks
    for chunk in chunks[:5]:
        states = unpack_token_states(chunk.token_states)
        assert states is not None and len(states.offsets) > 10
        for start, end in states.offsets:
            assert 0 <= start < end <= len(chunk.text)
        # The states of the passage's own run, as reading it again gives them.
        fresh = runtime.embedder.token_states([chunk.text])[0]
        assert fresh.offsets == states.offsets
        cosines = (fresh.vectors * states.vectors).sum(axis=1)
        assert cosines.min() > 0.95 and cosines.mean() > 0.98  # four bits a component


def test_a_question_reads_no_passage_again(runtime, squad_doc):
    user = factories.make_user(runtime)
    factories.upload_and_wait(runtime, user, squad_doc.name, squad_doc.read_bytes())
    counting = CountingEncoder(runtime.embedder)

    answer = _ask(runtime, user, counting)

    assert answer.found and "William" in answer.text
    assert counting.read == []


def test_older_passages_are_read_at_question_time_until_reindexed(runtime, squad_doc):
    from backend.operations import vectors

    user = factories.make_user(runtime)
    doc = factories.upload_and_wait(runtime, user, squad_doc.name, squad_doc.read_bytes())
    stored = _ask(runtime, user, runtime.embedder)
    _forget_token_states(runtime, doc.id)
    counting = CountingEncoder(runtime.embedder)

    older = _ask(runtime, user, counting)

    assert older.found and "William" in older.text
    assert counting.read  # the best sentences with their neighbours, read as before
    assert older.sources[0]["chunk_id"] == stored.sources[0]["chunk_id"]

    vectors.reindex(
        sessions=runtime.session,
        embedder=runtime.embedder,
        store=runtime.vector_store,
        user_id=user.id,
    )
    chunks = factories.document_chunks(runtime, doc.id)
    assert chunks and all(c.token_states is not None for c in chunks)
    counting = CountingEncoder(runtime.embedder)
    again = _ask(runtime, user, counting)
    assert counting.read == []
    assert again.text == stored.text
    assert np.isclose(again.score, stored.score, atol=1e-3)


def test_start_up_stores_the_token_states_of_older_passages(runtime, squad_doc):
    from backend.operations import token_state_upkeep

    user = factories.make_user(runtime)
    doc = factories.upload_and_wait(runtime, user, squad_doc.name, squad_doc.read_bytes())
    stored = _ask(runtime, user, runtime.embedder)
    _forget_token_states(runtime, doc.id)

    unread = token_state_upkeep.documents_without_token_states(runtime.session)
    assert doc.id in unread
    done = token_state_upkeep.backfill_token_states(
        sessions=runtime.session, embedder=runtime.embedder, documents=[doc.id]
    )

    assert done == doc.chunk_count
    assert doc.id not in token_state_upkeep.documents_without_token_states(runtime.session)
    counting = CountingEncoder(runtime.embedder)
    again = _ask(runtime, user, counting)
    assert counting.read == []
    assert again.text == stored.text and again.sources == stored.sources


def test_start_up_repacks_eight_bit_token_states_in_four_bits(runtime, squad_doc):
    """Passages stored in the former eight-bit format are repacked from what is stored (no
    encoder run), in half the bytes, and answer the same question the same way."""
    from backend.operations import token_state_upkeep
    from backend.retrieval.pooling import pack_int8_token_states, token_states_format

    user = factories.make_user(runtime)
    doc = factories.upload_and_wait(runtime, user, squad_doc.name, squad_doc.read_bytes())
    chunks = factories.document_chunks(runtime, doc.id)
    fresh = runtime.embedder.token_states([c.text for c in chunks])
    with runtime.session() as session:
        session.execute(
            update(Chunk),
            [
                {"id": c.id, "token_states": pack_int8_token_states(states)}
                for c, states in zip(chunks, fresh, strict=True)
            ],
        )
    eight_bit = {c.id: c.token_states for c in factories.document_chunks(runtime, doc.id)}
    before = _ask(runtime, user, runtime.embedder)
    assert token_state_upkeep.passages_with_int8_token_states(runtime.session) == len(chunks)

    counting = CountingEncoder(runtime.embedder)
    seen: list[tuple[int, int]] = []
    done = token_state_upkeep.repack_token_states(
        sessions=runtime.session, progress=lambda n, total: seen.append((n, total))
    )

    assert done == len(chunks) and seen[-1] == (len(chunks), len(chunks))
    assert token_state_upkeep.passages_with_int8_token_states(runtime.session) == 0
    for chunk in factories.document_chunks(runtime, doc.id):
        assert token_states_format(chunk.token_states) == 2
        assert len(chunk.token_states) < 0.55 * len(eight_bit[chunk.id])
    after = _ask(runtime, user, counting)
    assert counting.read == []
    assert after.text == before.text
    assert [s["chunk_id"] for s in after.sources] == [s["chunk_id"] for s in before.sources]
    assert abs(after.score - before.score) < 0.05
    assert token_state_upkeep.repack_token_states(sessions=runtime.session) == 0
