"""Late interaction on the best passages: a question's tokens matched with each sentence's."""

from __future__ import annotations

import numpy as np
import pytest

from backend.qa.answering import NOT_FOUND
from backend.qa.token_match import FUNCTION_TOKEN_WEIGHT, question_token_weights
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
