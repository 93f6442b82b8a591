"""Late interaction on the best sentences: a question's tokens matched with each sentence's."""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass

import numpy as np
import pytest

from backend.qa.answering import NOT_FOUND
from backend.qa.token_match import (
    FUNCTION_TOKEN_WEIGHT,
    PASSAGE_MATCH_WEIGHT,
    question_token_weights,
    token_match,
)
from backend.retrieval.pooling import TokenStates
from tests import factories


def _unit(*rows: list[float]) -> np.ndarray:
    array = np.array(rows, dtype=np.float32)
    return array / np.linalg.norm(array, axis=1, keepdims=True)


def test_each_question_token_counts_its_best_match_inside_the_span():
    # Text "aa bb cc": tokens at 0-2, 3-5, 6-8; the question has two tokens.
    text = TokenStates(_unit([1, 0, 0], [0, 1, 0], [0, 0, 1]), [(0, 2), (3, 5), (6, 8)])
    question = _unit([1, 0, 0], [0, 1, 0])

    scores = text.match(question, [(0, 5), (6, 8), (20, 30)])

    assert scores[0] == pytest.approx(1.0)  # both question tokens find themselves
    assert scores[1] == pytest.approx(0.0)  # the third token is orthogonal to both
    assert scores[2] == 0.0  # no token inside the span


def test_weights_let_the_question_s_content_words_carry_the_match():
    # Text "aa bb": the first token matches the question's "what", the second its subject.
    text = TokenStates(_unit([1, 0, 0], [0, 1, 0]), [(0, 2), (3, 5)])
    question = _unit([1, 0, 0], [0, 1, 0])
    phrasing, subject = (0, 2), (3, 5)

    plain = text.match(question, [phrasing, subject])
    weighted = text.match(question, [phrasing, subject], np.array([0.25, 1.0]))

    assert plain[0] == pytest.approx(plain[1])  # unweighted, the two spans tie
    assert weighted[1] == pytest.approx(0.8)  # 1 / (1 + 0.25)
    assert weighted[0] == pytest.approx(0.2)


@dataclass(frozen=True)
class _Sentence:
    passage: int
    start: int
    end: int


class _RecordingEncoder:
    """Token states of one token per word, the same word the same unit vector (others nearly
    orthogonal), and a record of the texts read."""

    def __init__(self) -> None:
        self.read: list[str] = []

    def token_states(self, texts):
        self.read.extend(texts)
        out = []
        for text in texts:
            words = list(re.finditer(r"\w+", text))
            vectors = [
                np.random.default_rng(zlib.crc32(m.group().lower().encode())).normal(size=64)
                for m in words
            ]
            out.append(TokenStates(_unit(*vectors), [m.span() for m in words]))
        return out


def _sentences(passages):
    return [
        _Sentence(p, m.start(), m.end())
        for p, text in enumerate(passages)
        for m in re.finditer(r"[^ .][^.]*\.", text)
    ]


PASSAGES = ["Kenya lies east. Its capital is Nairobi.", "Nairobi hosts markets. Rain falls often."]


def test_each_sentence_adds_its_passage_s_match_from_stored_states():
    sentences = _sentences(PASSAGES)
    reader = _RecordingEncoder()
    stored = reader.token_states(PASSAGES)
    question = "capital Nairobi"
    asked = reader.token_states([question])[0]
    encoder = _RecordingEncoder()

    matched = token_match(question, sentences, PASSAGES, encoder, asked=asked, stored=stored).own

    assert encoder.read == []  # every passage came from its stored states
    kenya, capital, hosts, rain = matched
    # The sentence holding both words, in the passage holding both: a full match twice.
    assert capital == pytest.approx(1 + PASSAGE_MATCH_WEIGHT, abs=1e-5)
    assert capital == matched.max()
    # Its neighbour holds neither, but its passage holds all that was asked; the other
    # passage holds only "Nairobi".
    assert kenya > rain
    assert hosts > rain


def test_a_passage_stored_without_token_states_is_read_whole():
    sentences = _sentences(PASSAGES)
    reader = _RecordingEncoder()
    stored = reader.token_states(PASSAGES)
    asked = reader.token_states(["capital Nairobi"])[0]
    encoder = _RecordingEncoder()

    matched = token_match(
        "capital Nairobi", sentences, PASSAGES, encoder, asked=asked, stored=[stored[0], None]
    ).own

    assert encoder.read == [PASSAGES[1]]
    kept = token_match(
        "capital Nairobi", sentences, PASSAGES, encoder, asked=asked, stored=stored
    ).own
    np.testing.assert_allclose(matched, kept, atol=1e-6)


def test_stop_words_and_punctuation_weigh_less_than_content_words(runtime):
    question = "What is the capital of Kenya?"
    vector, states = runtime.embedder.encode_question(question)

    weights = question_token_weights(question, states)

    by_token = {question[a:b].lower(): w for (a, b), w in zip(states.offsets, weights, strict=True)}
    assert by_token["capital"] == 1.0 and by_token["kenya"] == 1.0
    for word in ("what", "is", "the", "of", "?"):
        assert by_token[word] == FUNCTION_TOKEN_WEIGHT, word
    # One encoder run gives what `embed` and `token_states` give separately.
    np.testing.assert_allclose(vector, runtime.embedder.embed([question])[0], atol=1e-5)
    alone = runtime.embedder.token_states([question])[0]
    assert alone.offsets == states.offsets
    np.testing.assert_allclose(alone.vectors, states.vectors, atol=1e-5)


@pytest.mark.usefixtures("worker")
def test_the_sentence_that_answers_wins_over_one_that_shares_the_topic(runtime, squad_doc):
    user = factories.make_user(runtime)
    factories.upload_and_wait(runtime, user, squad_doc.name, squad_doc.read_bytes())

    answer = factories.ask_and_wait(runtime, user, "When was the Duchy of Normandy founded?")

    # Not "The Duchy of Normandy, which they formed by treaty with the French crown, ...".
    assert answer["found"]
    assert "began in 911" in answer["answer"], answer["answer"]


@pytest.mark.usefixtures("worker")
def test_a_question_about_something_the_documents_never_mention_is_refused(runtime, squad_doc):
    user = factories.make_user(runtime)
    factories.upload_and_wait(runtime, user, squad_doc.name, squad_doc.read_bytes())

    answer = factories.ask_and_wait(runtime, user, "Who painted the Mona Lisa?")

    assert not answer["found"] and answer["answer"] == NOT_FOUND
    assert answer["confidence"] == "not found"


def test_stored_token_states_round_trip_closely():
    from backend.retrieval.pooling import (
        pack_int8_token_states,
        pack_token_states,
        unpack_token_states,
    )

    rng = np.random.default_rng(7)
    vectors = rng.normal(size=(40, 384)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    states = TokenStates(vectors, [(i * 3, i * 3 + 2) for i in range(40)])

    data = pack_token_states(states)
    back = unpack_token_states(data)

    assert back is not None and back.offsets == states.offsets
    assert len(data) < vectors.nbytes / 7.5  # four bits a component, a scale per token
    cosines = (back.vectors * vectors).sum(axis=1)
    assert cosines.min() > 0.98
    # The former eight-bit format is still read.
    older = unpack_token_states(pack_int8_token_states(states))
    assert older is not None and older.offsets == states.offsets
    assert (older.vectors * vectors).sum(axis=1).min() > 0.999
    assert unpack_token_states(b"\x09" + data[1:]) is None  # another format: read again
    assert unpack_token_states(data[:-1]) is None
    empty = unpack_token_states(pack_token_states(TokenStates(np.zeros((0, 384)), [])))
    assert empty is not None and empty.offsets == []
