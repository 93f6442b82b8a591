"""A question that asks for an amount of money, a figure, a year, a time of day or a telephone
number is not answered by a sentence that gives none: "How much does the Aurora K2 cost?" over
a page that never prices it is "not found", however many of its words the page shares."""

from __future__ import annotations

import numpy as np
import pytest

from backend.qa import answering
from backend.qa.answer_gives import giving_first
from backend.qa.answer_kinds import Kind, asked_kind, gives
from backend.qa.answer_sentences import Candidate
from backend.qa.sentence_scores import Passage

PAGE = (
    "# Aurora K2 espresso machine\n\n"
    "The Aurora K2 espresso machine has a 15-bar pump and a 1.8-litre water tank. Its steam "
    "wand froths milk for two cups at once. The Aurora K2 espresso machine comes with a "
    "two-year warranty."
)
PRICED = f"{PAGE} The Aurora K2 espresso machine costs £349 in our shops."


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("How much does the Aurora K2 cost?", Kind.MONEY),
        ("how much will I pay for a day's bike hire", Kind.MONEY),
        ("What is the unit price of the TMP-K417?", Kind.MONEY),
        ("What's the annual premium?", Kind.MONEY),
        ("How much is a coffee in the café?", Kind.MONEY),
        ("In what year was the museum founded?", Kind.YEAR),
        ("What time does the school day start?", Kind.TIME),
        ("What date is Northern Data Day?", Kind.DATE),
        ("On which days are the bins collected?", Kind.DATE),
        ("What day of the year is the festival?", None),  # "the longest"
        ("How many gardens took part?", Kind.FIGURE),
        ("Roughly how many people live there?", Kind.FIGURE),
        ("How much protein is in one slice?", Kind.FIGURE),
        # An amount of a thing, whatever the rest names: "Premium" is the plan's name here.
        ("How much storage does the Premium plan have?", Kind.FIGURE),
        ("How much rent is due each month?", Kind.MONEY),
        ("How long does the ferry take?", Kind.FIGURE),
        ("What is the maximum number of rows Excel can hold?", Kind.FIGURE),
        ("What number do I call to get it repaired?", Kind.PHONE),
        ("What is the phone number for the surgery?", Kind.PHONE),
        ("What's Anna's mobile number?", Kind.PHONE),
        ("Which is the contact number of the GP?", Kind.PHONE),
        ("How many phone numbers does the page list?", Kind.FIGURE),
        ("What number is the bus to the station?", Kind.FIGURE),
        # The words say nothing of the kind of answer.
        ("What does the fee cover?", None),
        ("How much does the kettle hold?", None),
        ("How far is the station?", None),  # "a short walk" answers it
        ("Who paid for this research?", None),
        ("When was the tower first lit?", None),
        ("What is the capital of Kenya?", None),
        # A clause inside the question is not what it asks.
        ("How was it decided how many seats each party got?", None),
    ],
)
def test_the_kind_of_answer_a_question_asks_for(question, kind):
    assert asked_kind(question) is kind


def test_what_gives_an_answer_of_each_kind():
    cost = "How much does it cost?"
    assert gives("Bike hire costs £18 a day.", Kind.MONEY, cost)
    assert gives("Bikes are 18 SKM per day.", Kind.MONEY, cost)  # a currency by its code
    assert gives("It covers 90% of the claim.", Kind.MONEY, cost)
    assert gives("Entry is free for children.", Kind.MONEY, cost)
    assert not gives("Bikes can be hired at the harbour.", Kind.MONEY, cost)
    assert not gives("It has many features, including a timer.", Kind.MONEY, cost)
    assert not gives("Visitor vouchers would be sold in books of ten.", Kind.MONEY, cost)
    # Metres and kelvin are no money; pence and billions are.
    assert not gives("A 3000 K lamp mounted at 2.2 m.", Kind.MONEY, cost)
    assert gives("A stamp costs 85p.", Kind.MONEY, cost)
    founded = "In what year was it founded?"
    assert gives("It was founded in 1887 by the town council.", Kind.YEAR, founded)
    assert gives("It dates from the 12th century.", Kind.YEAR, founded)
    assert not gives("The kettle costs £349 and has a two-year warranty.", Kind.YEAR, founded)
    opens = "What time does the café open?"
    assert gives("The café opens at 9:30.", Kind.TIME, opens)
    assert gives("Doors open at 7 pm.", Kind.TIME, opens)
    assert not gives("The café is on the ground floor.", Kind.TIME, opens)
    assert gives("Last entry is 45 minutes before closing.", Kind.TIME, "What time is last entry?")
    held = "What date is the conference?"
    assert gives("Thursday 17 October 2024 at The Engine Works.", Kind.DATE, held)
    assert gives("It is held on 3 May.", Kind.DATE, held)
    assert gives("Bins go out every Tuesday.", Kind.DATE, "Which day are bins collected?")
    assert not gives("Now in its sixth year, it brings 350 people together.", Kind.DATE, held)
    assert not gives("It may be moved to a bigger hall.", Kind.DATE, held)
    many = "How many gardens took part in the 2022 survey?"
    assert gives("We selected 38 gardens.", Kind.FIGURE, many)
    assert gives("Twelve gardens took part.", Kind.FIGURE, many)
    # A fraction is a figure: "How much chilli …?" is answered by "½ tsp chilli flakes".
    chilli = "How much chilli goes in the stew?"
    assert asked_kind(chilli) is Kind.FIGURE and gives("• ½ tsp chilli flakes", Kind.FIGURE, chilli)
    # The question's own figure is not an answer.
    assert not gives("Gardens took part in the 2022 survey.", Kind.FIGURE, many)
    assert gives("The crossing takes about an hour.", Kind.FIGURE, "How long is the crossing?")
    assert gives("You have a week to cancel.", Kind.FIGURE, "How much time do I have?")
    assert not gives("Most weeks are busy.", Kind.FIGURE, "How many weeks are busy?")


def test_what_gives_a_telephone_number():
    for number in ("Call 1-800-555-0147.", "Mobile (Rob): 07700 900 617", "(828) 555-0193",
                   "+44 20 7946 0958", "In an emergency call 999."):  # fmt: skip
        assert gives(number, Kind.PHONE), number
    for other in ("Founded in 1998 with 300 staff.", "Call us 8am-6pm.", "Call us any time."):
        assert not gives(other, Kind.PHONE), other


def _ask(runtime, text: str, question: str) -> answering.Answer:
    vector, asked = runtime.embedder.encode_question(question)
    passage = Passage(1, 1, "aurora-k2.md", None, text, score=1.0, similarity=0.5)
    return answering.extractive_answer(
        question, vector, [passage], embedder=runtime.sentence_vectors,
        min_score=runtime.settings.answer_min_score, tokens=runtime.embedder,
        question_tokens=asked,
    )  # fmt: skip


def test_a_page_that_never_gives_a_price_does_not_answer_what_it_costs(runtime):
    cost = "How much does the Aurora K2 espresso machine cost?"
    unpriced = _ask(runtime, PAGE, cost)
    assert not unpriced.found and unpriced.text == answering.NOT_FOUND
    assert unpriced.closest and unpriced.closest[0]["filename"] == "aurora-k2.md"
    priced = _ask(runtime, PRICED, cost)
    assert priced.found and "£349" in priced.text
    # A question the page does answer with a figure is answered as before.
    tank = _ask(runtime, PAGE, "How big is the Aurora K2's water tank?")
    assert tank.found and "1.8-litre water tank" in tank.text
    assert not _ask(runtime, PRICED, "What year was the Aurora K2 launched?").found



SYLLABUS = (
    "# PSYC 2140: Cognitive Psychology\n\n"
    "## Assessment\n\n"
    "Component: Midterm exam; Weight: 20%; Notes: Multiple choice.\n\n"
    "Component: Research paper; Weight: 30%; Notes: 2,500 words.\n\n"
    "Component: Final exam; Weight: 25%; Notes: Cumulative.\n\n"
    "Final grades are not rounded up, except that a score of x.5 or above is rounded to the "
    "next whole number. Grades are posted on the course page within a week of the final "
    "exam.\n"
)


def test_a_sentence_giving_what_is_asked_is_preferred_to_a_close_one_that_does_not(runtime):
    """The sentences about the final grade score best but give no share of it; the final
    exam's row, close behind, does."""
    worth = _ask(runtime, SYLLABUS, "How much is the final exam worth towards the grade?")
    assert worth.found and "Weight: 25%" in worth.text, worth.text


def test_of_close_sentences_giving_what_is_asked_the_best_ones_neighbour_comes_first():
    """"When is the Tyneford 10K?": the sentence naming the race gives no date; of the close
    sentences that do, the one beside it in its paragraph ("Sunday 19 April 2026.") tells when
    the race is, not the one about the race number's post elsewhere in the page."""
    text = (
        "# Tyneford 10K\n\n"
        "Sunday 19 April 2026. Thank you for entering the Tyneford 10K!\n\n"
        "## Race number\n\n"
        "If it has not arrived by 14 April, email entries@tyneford10k.org.uk."
    )
    date, race, post = (text.index(s) for s in ("Sunday", "Thank", "If it"))
    candidates = [
        Candidate(0, date, date + 21, "Sunday 19 April 2026."),
        Candidate(0, race, race + 40, "Thank you for entering the Tyneford 10K!"),
        Candidate(0, post, len(text), text[post:], follows=False),
    ]
    scores = np.array([4.27, 4.53, 4.48])
    question = "When is the Tyneford 10K?"
    order = giving_first(np.argsort(-scores), candidates, scores, question, [text])
    assert int(order[0]) == 0
    # Without the passages' texts, the best-scoring sentence that gives a date.
    assert int(giving_first(np.argsort(-scores), candidates, scores, question)[0]) == 2
    # A neighbour past the margin is not taken.
    far = np.array([3.9, 4.53, 4.48])
    assert int(giving_first(np.argsort(-far), candidates, far, question, [text])[0]) == 2
    # Nor, asked for a bare figure, one that holds a figure of any sort: "How many …?" is
    # answered by the close sentence that scored best of those giving one.
    many = "How many days before the Tyneford 10K must the number arrive?"
    assert int(giving_first(np.argsort(-scores), candidates, scores, many, [text])[0]) == 2
