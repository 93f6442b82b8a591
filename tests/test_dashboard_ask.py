"""Ask page: chat with cited answers, document filter, urgent for premium, past questions."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from backend.models import Question, TaskRecord
from tests import factories
from tests.test_dashboard_support import (
    SMALL_TEXT,
    button,
    labels,
    messages,
    open_page,
    rerun_until,
    texts,
)

pytestmark = pytest.mark.usefixtures("worker")


def _answered(at) -> bool:
    return not at.status and any(m.name == "assistant" for m in at.chat_message)


def test_without_ready_documents_it_says_so_and_links_to_upload(runtime):
    user = factories.make_user(runtime)
    at = open_page(user, "ask")
    assert "You have no processed documents yet" in texts(at)
    links = at.get("page_link")
    assert [link.proto.label for link in links] == ["Upload a document"]
    assert not at.chat_input


def test_question_is_answered_with_highlighted_citation(runtime, squad_doc):
    user = factories.make_user(runtime)
    factories.upload_and_wait(runtime, user, squad_doc.name, squad_doc.read_bytes())
    at = open_page(user, "ask")
    assert not at.get("toggle"), "urgent is for premium users only"

    at.chat_input[0].set_value("Who conquered England in 1066?").run()
    assert not at.exception
    # While the worker answers, a status box says where the question is.
    with runtime.session() as session:
        question = session.scalar(select(Question).where(Question.user_id == user.id))
        assert question is not None and question.task_id
    rerun_until(at, _answered)

    bubbles = [m.name for m in at.chat_message]
    assert bubbles == ["user", "assistant"]
    shown = texts(at)
    assert "William" in shown
    # Support in words, no raw scores.
    assert "Well supported by your documents." in shown
    cited = labels(at, "expander")
    assert cited[0] == "[1] Normans.txt · holds the answer"
    assert not [label for label in cited if "score" in label]
    marked = [h.value for h in at.get("html") if "<mark" in h.value]
    highlighted = re.search(r"<mark[^>]*>(.*?)</mark>", marked[0]).group(1)
    assert "William" in highlighted and "England" in highlighted


def _ask_page_with(runtime, doc):
    """The Ask page of a new user who has `doc` processed."""
    user = factories.make_user(runtime)
    factories.upload_and_wait(runtime, user, doc.name, doc.read_bytes())
    return open_page(user, "ask")


def _ask_page_over(runtime, folder, name: str, text: str):
    """The Ask page of a new user who has one document, `name`, holding `text`."""
    path = folder / name
    path.write_text(text)
    return _ask_page_with(runtime, path)


def _ask(at, question: str) -> None:
    """Ask on the page and rerun it until the answer to this question is shown."""
    def answers(at) -> int:
        return sum(m.name == "assistant" for m in at.chat_message)

    asked = answers(at) + 1
    at.chat_input[0].set_value(question).run()
    rerun_until(at, lambda at: not at.status and answers(at) == asked)


def test_unanswerable_question_shows_the_closest_passages_apart(runtime, squad_doc):
    at = _ask_page_with(runtime, squad_doc)

    _ask(at, "What is the recommended tyre pressure for a mountain bike?")

    shown = texts(at)
    assert "No answer found in your documents." in shown
    assert "nothing in your documents matched well enough" in shown
    (closest,) = labels(at, "expander")
    assert re.fullmatch(r"The [1-5] closest passages \(none of them answers it\)", closest)
    assert not [label for label in labels(at, "expander") if label.startswith("[1]")]
    assert "Normans.txt" in shown
    assert "score" not in shown


def test_the_answer_says_which_names_no_passage_mentions(runtime, squad_doc):
    at = _ask_page_with(runtime, squad_doc)

    _ask(at, "Who painted the Mona Lisa?")

    shown = texts(at)
    assert "No answer found in your documents." in shown
    assert "The passages closest to your question never mention “Mona Lisa”." in shown

    # An answer that stands says so too, beside its citations.
    _ask(at, "Who conquered England in 1066, according to Macaulay?")
    shown = texts(at)
    assert "William" in shown
    assert (
        "The passages found never mention “Macaulay”: the answer may be about something else."
        in shown
    )


def test_past_questions_are_the_users_own(runtime, squad_doc):
    user = factories.make_user(runtime)
    other = factories.make_user(runtime)
    factories.upload_and_wait(runtime, user, "bees.txt", SMALL_TEXT)
    factories.upload_and_wait(runtime, other, squad_doc.name, squad_doc.read_bytes())
    factories.ask_and_wait(runtime, user, "Where is the honey sold?")
    factories.ask_and_wait(runtime, other, "Who conquered England in 1066?")

    at = open_page(user, "ask")

    shown = texts(at)
    assert "Where is the honey sold?" in shown
    assert "Elmsford" in shown
    assert "England" not in shown
    assert at.multiselect(key="ask_documents").options == ["bees.txt"]


def test_premium_user_can_send_an_urgent_question_to_high_priority(runtime):
    user = factories.make_user(runtime, role="premium")
    factories.upload_and_wait(runtime, user, "bees.txt", SMALL_TEXT)
    at = open_page(user, "ask")

    at.toggle(key="ask_urgent").set_value(True)
    at.chat_input[0].set_value("Where is the honey sold?").run()
    rerun_until(at, _answered)

    assert "urgent" in texts(at)
    with runtime.session() as session:
        question = session.scalar(select(Question).where(Question.user_id == user.id))
        task = session.get(TaskRecord, question.task_id)
    assert question.priority is True and task.queue == "high_priority"


def test_waiting_question_shows_its_state_and_the_filter_is_recorded(runtime):
    user = factories.make_user(runtime)
    bees = factories.upload_and_wait(runtime, user, "bees.txt", SMALL_TEXT)
    factories.upload_and_wait(runtime, user, "goats.txt", b"Anna keeps goats on the hill.")
    with runtime.session() as session:
        waiting = Question(user_id=user.id, text="Still thinking?", task_id="queued-task-1")
        session.add(waiting)
        session.add(
            TaskRecord(
                task_id="queued-task-1",
                name="workers.tasks.questions.answer_question",
                queue="question_answering",
                user_id=user.id,
                state="PENDING",
            )
        )
    at = open_page(user, "ask")
    assert labels(at, "status") == ["Queued, waiting for a worker (question answering queue)…"]

    at.multiselect(key="ask_documents").select(bees.id)
    at.chat_input[0].set_value("Where is the honey sold?").run()
    with runtime.session() as session:
        asked = session.scalar(select(Question).where(Question.text == "Where is the honey sold?"))
    assert asked.document_ids == [bees.id]
    assert "in bees.txt" in texts(at)


def test_failed_question_shows_the_reason(runtime):
    user = factories.make_user(runtime)
    factories.upload_and_wait(runtime, user, "bees.txt", SMALL_TEXT)
    with runtime.session() as session:
        session.add(Question(user_id=user.id, text="Will this work?", task_id="failed-task-1"))
        session.add(
            TaskRecord(
                task_id="failed-task-1",
                name="workers.tasks.questions.answer_question",
                queue="question_answering",
                user_id=user.id,
                state="FAILURE",
                error="The answering model did not reply in time.",
            )
        )
    at = open_page(user, "ask")
    assert "The answering model did not reply in time." in messages(at, "error")
    assert not at.status


def test_new_chat_clears_the_conversation_shown_but_keeps_the_questions(runtime):
    user = factories.make_user(runtime)
    factories.upload_and_wait(runtime, user, "bees.txt", SMALL_TEXT)
    factories.ask_and_wait(runtime, user, "Where is the honey sold?")
    at = open_page(user, "ask")
    assert "Where is the honey sold?" in texts(at)

    button(at, "New chat").click().run()
    assert not at.exception
    shown = texts(at)
    assert "Where is the honey sold?" not in shown
    assert not at.chat_message
    assert "Ask anything about your documents" in shown
    with runtime.session() as session:
        kept = session.scalars(select(Question.text).where(Question.user_id == user.id))
        assert list(kept) == ["Where is the honey sold?"]

    at.chat_input[0].set_value("Who keeps the bees?").run()
    rerun_until(at, _answered)
    shown = texts(at)
    assert "Who keeps the bees?" in shown
    assert "Where is the honey sold?" not in shown
    assert [m.name for m in at.chat_message] == ["user", "assistant"]


def test_a_lists_items_are_shown_a_line_each(runtime, tmp_path):
    """An answer made of a list's items showed them run together on one line; each is a line
    of its own, its bullet and words as written (no markdown of their own)."""
    recipe = (
        "# Pancakes\n\n## Ingredients\n\n- 200 g plain flour\n- 2 large eggs\n- 300 ml milk\n\n"
        "## Method\n\nWhisk everything together and rest the batter for an hour.\n"
    )
    at = _ask_page_over(runtime, tmp_path, "pancakes.md", recipe)
    _ask(at, "What are the ingredients?")
    shown = [m.value for m in at.markdown if "flour" in m.value]
    lines = r"200 g plain flour\s*\n.*2 large eggs\s*\n.*300 ml milk"
    assert shown and re.search(lines, shown[0]), shown
    assert "  \n" in shown[0]


def test_a_refusal_says_the_closest_passages_give_no_price(runtime, tmp_path):
    """"How much does the Aurora K2 cost?" over a page that names the machine but never prices
    it answered with its warranty; it is refused, and the page says what the passages lack."""
    page = (
        "# Aurora K2 espresso machine\n\nThe Aurora K2 espresso machine has a 15-bar pump and "
        "a 1.8-litre water tank. The Aurora K2 espresso machine comes with a two-year warranty.\n"
    )
    at = _ask_page_over(runtime, tmp_path, "aurora-k2.md", page)
    _ask(at, "How much does the Aurora K2 espresso machine cost?")
    shown = texts(at)
    assert "No answer found in your documents." in shown
    assert "The passages closest to your question give no amount of money." in shown
    _ask(at, "How big is the Aurora K2's water tank?")
    assert "1.8-litre water tank" in texts(at)
