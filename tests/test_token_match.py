"""Late interaction on the best sentences: a question's tokens matched with each sentence's."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pytest

from backend.qa.answering import NOT_FOUND
from backend.qa.token_match import FUNCTION_TOKEN_WEIGHT, question_token_weights, token_match
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
    """Token states of one token per word (its vector: the word's length on one axis), and
    a record of the texts read."""

    def __init__(self) -> None:
        self.read: list[str] = []

    def token_states(self, texts):
        self.read.extend(texts)
        out = []
        for text in texts:
            words, offsets, at = text.split(), [], 0
            for word in words:
                at = text.index(word, at)
                offsets.append((at, at + len(word)))
                at += len(word)
            vectors = _unit(*([1.0, 0.1 * len(w)] for w in words))
            out.append(TokenStates(vectors, offsets))
        return out


def test_the_best_sentences_are_read_with_their_neighbours_each_window_once():
    first = "s0 one. s1 two. s2 three. s3 four. s4 five. s5 six."
    second = "t0 one. t1 two. t2 three."
    passages = [first, second]
    sentences = [
        _Sentence(p, m.start(), m.end())
        for p, text in enumerate(passages)
        for m in re.finditer(r"[^ .][^.]*\.", text)
    ]
    # The best three: s2, s3 (neighbours: one window s1..s4) and t2 (window t1..t2).
    scores = np.array([0.1, 0.2, 0.9, 0.8, 0.3, 0.0, 0.1, 0.2, 0.7])
    encoder = _RecordingEncoder()

    matched = token_match("q", sentences, passages, scores, encoder)

    assert encoder.read == ["q", "s1 two. s2 three. s3 four. s4 five.", "t1 two. t2 three."]
    read = [1, 2, 3, 4, 7, 8]
    unread = [0, 5, 6]
    assert (matched[unread] == matched[read].min()).all()


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
