"""Late interaction on the best passages: a question's tokens matched with each sentence's."""

from __future__ import annotations

import numpy as np
import pytest

from backend.qa.answering import NOT_FOUND
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
