"""The extractive answerer's scoring, with the real MiniLM embedder."""

from __future__ import annotations

import pytest

from backend.documents.ingest import headings
from backend.qa import answering, question_words, sentence_roles, sentence_scores
from backend.qa.question_words import with_spelling_matches
from backend.qa.sentence_scores import Passage, content_words

TEXT = (
    "In the virtual call system, the network guarantees sequenced delivery of data to the "
    "host. The datagram model leaves ordering to the hosts at the edge of the network."
)


def ask_one(runtime, passage: Passage, question: str, min_score: float = 0.0) -> answering.Answer:
    """The extractive answer to `question` over one passage, with the real encoder."""
    vector = runtime.embedder.embed([question])[0]
    return answering.extractive_answer(
        question, vector, [passage], embedder=runtime.sentence_vectors, min_score=min_score
    )


def page_passage(page: bytes, filename: str, ident: int = 1) -> Passage:
    """A document extracted as the service extracts it, as one retrieved passage."""
    from backend.documents.ingest import extract

    text = extract(page, filename).pages[0].text
    return Passage(ident, ident, filename, None, text, score=1.0, similarity=0.5)


def ask_with_tokens(runtime, passage: Passage, question: str) -> answering.Answer:
    """The extractive answer as the worker gives it: the token match included."""
    vector, asked = runtime.embedder.encode_question(question)
    return answering.extractive_answer(
        question, vector, [passage], embedder=runtime.sentence_vectors, min_score=0.0,
        tokens=runtime.embedder, question_tokens=asked,
    )  # fmt: skip


def test_misspelt_question_words_match_the_passage_spelling():
    vocabulary = content_words(TEXT)
    asked = content_words("How is the delivary of data sequnced in a virtual call system")

    matched = with_spelling_matches(asked, vocabulary)

    assert content_words("delivery sequenced") <= matched
    assert not content_words("delivary sequnced") & matched
    # Words the passages use, and short ones, are left alone; so are words with no near match.
    assert {"virtual", "call", "system"} <= matched
    assert with_spelling_matches({"zebra"}, vocabulary) == {"zebra"}
    assert with_spelling_matches({"cal"}, {"call"}) == {"cal"}


def test_a_misspelt_word_still_counts_for_the_sentence_that_holds_it(runtime, monkeypatch):
    question = "How is the delivary of data ordered in a virtual call system?"
    passage = Passage(1, 1, "x25.txt", None, TEXT, score=1.0, similarity=0.5)
    candidates = sentence_scores.candidate_sentences([passage])
    vector = runtime.embedder.embed([question])[0]

    def scores() -> list[float]:
        return list(
            sentence_scores.score_sentences(
                question, vector, candidates, [passage], runtime.sentence_vectors
            ).total
        )

    with_matching = scores()
    # Identical spellings only.
    monkeypatch.setattr(question_words, "SPELLING_CUTOFF", 1.0)
    monkeypatch.setattr(question_words, "_one_slip", lambda _a, _b: False)
    without = scores()

    holds = next(i for i, c in enumerate(candidates) if "delivery" in c.text)
    other = 1 - holds
    # The sentence with the word gains the most (the other gains only from the smaller
    # weight a matched word gets against one no passage uses).
    gained = with_matching[holds] - without[holds]
    assert gained > 0.1 and gained > with_matching[other] - without[other]
    assert with_matching[holds] > with_matching[other]


def test_confidence_is_said_in_words():
    from backend.qa.answering import Answer, confidence

    assert confidence(Answer(text="x", found=True, score=1.5), strong=1.2) == "well supported"
    assert confidence(Answer(text="x", found=True, score=1.0), strong=1.2) == "partly supported"
    assert confidence(Answer(text="No answer", found=False, score=0.5), strong=1.2) == "not found"


def test_chinese_and_japanese_sentences_and_words():
    from backend.documents.ingest import split_sentences
    from backend.retrieval.lexical import content_terms

    text = "嵐は港の防波堤を壊した。修理には三か月かかった！新しい防波堤は石で造られた"
    assert [s.text for s in split_sentences(text)] == [
        "嵐は港の防波堤を壊した。",
        "修理には三か月かかった！",
        "新しい防波堤は石で造られた",
    ]
    assert {"防波", "波堤"} <= set(content_terms("防波堤を壊した"))
    assert content_terms("The houses of 防波堤") == ["hous", "防波", "波堤"]


def test_a_sentence_about_what_its_predecessor_named_is_the_answer(runtime):
    """Why do stromules exist? "They may exist to ..." answers it although only the sentence
    before it says "stromules"; the sentences that repeat the word but do not answer lose."""
    text = (
        "Stromules are thin tubes that reach out from chloroplasts into the cytoplasm. "
        "They may exist to increase the surface area for transport between compartments. "
        "Stromules are common in tomato fruit and rarely seen in leaves. "
        "Stromules of the kind seen in roots were described in 1962."
    )
    passage = Passage(1, 1, "plastids.txt", None, text, score=1.0, similarity=0.5)

    answer = ask_one(runtime, passage, "Why do stromules exist?")

    assert answer.found
    chosen = text.index("They may exist")
    assert [chosen, text.index(" Stromules are common")] in answer.sources[0]["highlights"]
    # "They" alone does not say what exists: the sentence naming stromules comes with it.
    assert answer.text.startswith(
        "Stromules are thin tubes that reach out from chloroplasts into the cytoplasm. "
        "They may exist to increase the surface area"
    ), answer.text


def test_an_answer_opening_with_a_pronoun_says_what_it_points_back_to(runtime):
    """Who appoints the board? "It appoints ... the board" answers only with the sentence
    before it, which names the council; a sentence that names its own subject comes alone."""
    text = (
        "The European Council gives political direction to the Union and meets four times a "
        "year. It appoints the Commissioners and the board of the European Central Bank. "
        "The Commission proposes new laws to the Parliament. The Parliament has 705 members "
        "elected every five years."
    )
    passage = Passage(1, 1, "union.txt", None, text, score=1.0, similarity=0.5)

    appointed = ask_one(runtime, passage, "Who appoints the board of the European Central Bank?")
    assert appointed.found
    assert appointed.text.startswith("The European Council gives political direction"), (
        appointed.text
    )
    assert "It appoints the Commissioners" in appointed.text
    elected = ask_one(runtime, passage, "How many members does the Parliament have?")
    assert elected.text == "The Parliament has 705 members elected every five years.", elected.text


def test_a_sentence_going_on_about_the_answer_is_part_of_it(runtime):
    """"Can I undo deleting my account?": the best sentence says what deleting does, and the
    next one, pointing back at it, says it cannot be undone; the answer holds both. A next
    sentence that names its own subject stays out."""
    text = (
        "Deleting your account removes every document you uploaded. It cannot be undone. "
        "Exports of your documents are kept for thirty days after you ask for them."
    )
    passage = Passage(1, 1, "account.txt", None, text, score=1.0, similarity=0.5)

    answer = ask_with_tokens(runtime, passage, "Can I undo deleting my account?")
    assert answer.text == (
        "Deleting your account removes every document you uploaded. It cannot be undone."
    ), answer.text
    undone = text.index("It cannot")
    assert answer.sources[0]["highlights"] == [[0, undone - 1], [undone, undone + 20]]
    kept = ask_with_tokens(runtime, passage, "How long are exports of my documents kept?")
    assert kept.text.startswith("Exports of your documents are kept"), kept.text
    assert "undone" not in kept.text


def test_a_sentence_saying_what_to_do_if_the_answer_does_not_hold_is_part_of_it(runtime):
    """"What should I do if my race number has not arrived?": the sentence about the number's
    post scores best; the next one, "If it has not arrived by 14 April, email …", says what
    to do, and joins it."""
    text = (
        "Your race number has been posted to you and should arrive by 10 April. If it has not "
        "arrived by 14 April, email entries@tyneford10k.org.uk. The timing chip is attached to "
        "the back of your race number."
    )
    passage = Passage(1, 1, "runners.html", None, text, score=1.0, similarity=0.5)
    question = "What should I do if my race number has not arrived?"
    answer = ask_with_tokens(runtime, passage, question)
    assert "entries@tyneford10k.org.uk" in answer.text, answer.text


def test_which_sentences_point_back_at_the_one_before():
    for sentence in (
        "It appoints the board.",
        "They may exist to help.",
        "His reign ended.",
        "These were rebuilt.",
        '"This was the end," he said.',
        "its price rose",
        # A condition or a time about what the sentence before named, or on what it said.
        "If it has not arrived by 14 April, email entries@tyneford10k.org.uk.",
        "When they return, the deposit is repaid.",
        "If not, call the office.",
    ):
        assert sentence_roles.points_back(sentence), sentence
    for sentence in (
        "Italy joined in 1957.",
        "There were five.",
        "Theirs was the last.",
        "Items are listed below.",
        "Heather grows here.",
        "The council met.",
        "When the war ended, the army left.",
        "Iffy results were dropped.",
    ):
        assert not sentence_roles.points_back(sentence), sentence


TESLA = (
    "Tesla moved to Paris in 1882 to work for the Continental Edison Company. "
    "In June 1884 he relocated to New York City, where Edison hired him."
)


def test_names_the_passages_never_mention():
    passages = [Passage(1, 1, "tesla.txt", None, TESLA, score=1.0, similarity=0.5)]

    assert question_words.missing_names("Who painted the Mona Lisa?", passages) == ["Mona", "Lisa"]
    # Compared as terms: a possessive or a plural is the same name; the first word and stop
    # words are not names; a name any passage holds is not missing.
    assert question_words.missing_names("Where did Edison's company send Tesla?", passages) == []
    assert question_words.missing_names("Did the Edisons hire Tesla in Paris?", passages) == []
    assert question_words.missing_names("Warsaw is where Tesla worked, I think?", passages) == []
    assert question_words.missing_names("When did Tesla leave Belgrade?", passages) == ["Belgrade"]
    # A misspelt name is the passages' name; a two-letter word ("Jr") is not taken for one.
    assert question_words.missing_names("Why did Tesla leave Contintal Edison?", passages) == []
    assert question_words.missing_names("Was Tesla Jr in Paris?", passages) == []
    # One typing slip ("Edisonn", "Pairs": letters added or swapped), even where stemming parts
    # the spellings, is the passages' name; two are another name.
    assert question_words.missing_names("Who hired Tesla at Edisonn in Pairs?", passages) == []
    assert question_words.missing_names("Who hired Tesla at Edsino?", passages) == ["Edsino"]


def test_a_code_no_passage_holds_is_a_missing_name_however_short():
    """"What does error E7 mean?" over a table of E2, E9 and E24 names a code the manual does
    not list: the nearest code's row is no answer."""
    codes = (
        "CODE: E2; WHAT IT MEANS: Water does not drain; WHAT TO DO: Clean the filter.\n\n"
        "CODE: E9; WHAT IT MEANS: A button is stuck; WHAT TO DO: Press each button once.\n\n"
        "CODE: E24; WHAT IT MEANS: Drain hose kinked; WHAT TO DO: Straighten the hose."
    )
    passages = [Passage(1, 1, "dishwasher.txt", None, codes, score=1.0, similarity=0.5)]
    assert question_words.missing_names("What does error E7 mean?", passages) == ["E7"]
    assert question_words.missing_names("What does error E24 mean?", passages) == []
    assert question_words.missing_names("Is vitamin B12 listed?", passages) == ["B12"]
    # Held however the text breaks it: "Trioxygen (O\n3)" holds "O3".
    ozone = [Passage(2, 2, "oxygen.txt", None, "Trioxygen (O\n3) is ozone.", score=1.0)]
    assert question_words.missing_names("What is the name for O3?", ozone) == []
    # Two letters with no figure are still no name ("Jr", "OK").
    assert question_words.missing_names("Is an E OK?", passages) == []
    # Capitals everywhere tell no names.
    assert question_words.missing_names("WHO PAINTED THE MONA LISA?", passages) == []
    assert question_words.missing_names("Who Painted The Mona Lisa?", passages) == []


def test_an_acronym_and_the_words_it_stands_for_are_the_same_words():
    """"EHO" in a question is held by a passage that says "Environmental Health Officer", and
    a question's "annual general meeting" by a sentence that says "AGM", small words aside."""
    job = "Job title: Senior Environmental Health Officer (Food Safety)."
    passages = [Passage(1, 1, "job.pdf", None, job, score=1.0, similarity=0.5)]
    salary = "What is the salary for the Senior EHO role?"
    assert question_words.missing_names(salary, passages) == []
    assert question_words.missing_names("Does the FBI hire officers?", passages) == ["FBI"]
    assert question_words.spelled_out("FSA", "the Food Standards Agency code") == (
        "Food Standards Agency"
    )
    assert question_words.spelled_out("DOH", "the Department of Health") == "Department of Health"
    agm = question_words.acronym_terms(
        "When is this year's annual general meeting?", "The 2024 AGM is on 21 November."
    )
    assert agm == {"annual", "general", "meet"}
    assert question_words.acronym_terms("Who is the EHO?", job) == {"eho"}
    # Words whose initials only happen to spell a capitalised word elsewhere are not it.
    assert question_words.acronym_terms("Where is the car park?", "Call the CEO.") == set()


def test_a_short_form_holds_the_word_it_stands_for(runtime):
    """"Invoice no." is the invoice's number, "Customer ref." its reference; "No" as a word
    stands for nothing."""
    assert question_words.short_form_terms("Invoice no.: NLE-2025-0462.") == {"number"}
    assert question_words.short_form_terms("Customer ref.: PO 77152; Qty: 4.") == {
        "refer", "quantiti",
    }  # fmt: skip
    assert question_words.short_form_terms("No pets are allowed. It is no. 4 on the list.") == {
        "number"
    }
    assert question_words.short_form_terms("No pets are allowed.") == set()
    invoice = (
        "Invoice no.: NLE-2025-0462.\n\nInvoice date: 28 April 2025.\n\nHow to pay: Please pay "
        "by bank transfer quoting the invoice number as the reference."
    )
    passage = Passage(1, 1, "invoice.pdf", None, invoice, score=1.0, similarity=0.5)
    answer = ask_one(runtime, passage, "What is the invoice number?", 0.0)
    assert answer.text.startswith("Invoice no.: NLE-2025-0462."), answer.text


def test_a_question_naming_what_no_passage_mentions_is_refused_sooner(runtime, monkeypatch):
    """The same evidence, but the question names a city no passage holds: its score is lower
    by the penalty, so a line the plain question clears refuses it."""
    passage = Passage(1, 1, "tesla.txt", None, TESLA, score=1.0, similarity=0.5)
    question = "When did Tesla move to Paris or Belgrade?"
    penalty = answering.MISSING_NAME_PENALTY
    assert penalty > 0
    named = ask_one(runtime, passage, question, 0.0)
    monkeypatch.setattr(answering, "MISSING_NAME_PENALTY", 0.0)
    plain = ask_one(runtime, passage, question, 0.0)
    assert named.found and plain.found and named.text == plain.text
    assert abs((plain.score - named.score) - penalty) < 1e-6
    line = (plain.score + named.score) / 2
    assert ask_one(runtime, passage, question, line).found
    monkeypatch.undo()
    refused = ask_one(runtime, passage, question, line)
    assert not refused.found and refused.text == answering.NOT_FOUND
    assert refused.closest and refused.closest[0]["filename"] == "tesla.txt"


def test_a_name_typed_without_its_accents_is_the_documents_name():
    passage = Passage(
        1, 1, "ohio.txt", None,
        "Céloron buried lead plates along the Ohio. Skłodowska was born in Warsaw.",
        score=1.0, similarity=0.5,
    )  # fmt: skip

    assert content_words("Celoron Sklodowska") == content_words("Céloron Skłodowska")
    assert question_words.missing_names("Where did Celoron bury the plates?", [passage]) == []
    assert question_words.missing_names("Where was Sklodowska born?", [passage]) == []
    # One slip on top of the accents is still the name; another name is not.
    assert question_words.missing_names("What did Celloron bury?", [passage]) == []
    assert question_words.missing_names("What did Cartier bury?", [passage]) == ["Cartier"]
    # Other scripts keep their marks: a kana's voicing is part of the letter.
    assert content_words("がっこう") != content_words("かっこう")


CLIMATE = "Jacksonville has a humid subtropical climate, with mild winters and hot, humid summers."
NEWCASTLE = "Newcastle United won the FA Cup three times in the 1950s."


def test_an_answer_from_a_document_that_never_names_what_was_asked_is_weaker(runtime, monkeypatch):
    """'What is the climate like in Newcastle?' over a guide to Jacksonville and a page about
    Newcastle: the best sentence is Jacksonville's climate, whose document never names
    Newcastle. The name is held by what was retrieved (the user is not told it is missing),
    but the answer's evidence is lower by the penalty, so a line the plain question clears
    refuses it; with the name in another retrieved passage of the same document it is not."""
    question = "What is the climate like in Newcastle?"
    vector = runtime.embedder.embed([question])[0]

    def ask(passages: list[Passage], line: float = 0.0) -> answering.Answer:
        return answering.extractive_answer(
            question, vector, passages, embedder=runtime.sentence_vectors, min_score=line
        )

    elsewhere = [
        Passage(1, 1, "jacksonville.txt", None, CLIMATE, score=1.0, similarity=0.5),
        Passage(2, 2, "newcastle.txt", None, NEWCASTLE, score=0.9, similarity=0.4),
    ]
    named = ask(elsewhere)
    assert named.found and named.text == CLIMATE and named.missing_names == []
    monkeypatch.setattr(answering, "MISSING_NAME_PENALTY", 0.0)
    plain = ask(elsewhere)
    monkeypatch.undo()
    assert named.text == plain.text
    assert abs((plain.score - named.score) - answering.MISSING_NAME_PENALTY) < 1e-6
    line = (plain.score + named.score) / 2
    assert not ask(elsewhere, line).found

    # The same climate sentence, its document naming Newcastle in another retrieved passage.
    same_document = [
        elsewhere[0],
        Passage(2, 1, "jacksonville.txt", None, NEWCASTLE, score=0.9, similarity=0.4),
    ]
    held = ask(same_document, line)
    assert held.found and held.text == CLIMATE
    assert abs(held.score - plain.score) < 1e-6


HELP = (
    "Celery needs a place to keep task results when you want them back.\n\n"
    "Configuring the result backend\n\n"
    "Set result_backend to a Redis URL in the settings file. The worker reads it at start-up."
    "\n\nHow do I change my own password?\n\n"
    "Open the Account page and enter your current password and the new one twice."
)


def test_the_documents_own_questions_and_headings_are_never_the_answer(runtime):
    """A FAQ's question and a section heading restate what is asked better than anything
    (they scored highest before): the answer is the text under them, found through their
    words."""
    passage = Passage(1, 1, "help.md", None, HELP, score=1.0, similarity=0.5)

    changed = ask_one(runtime, passage, "How do I change my password?")
    assert changed.found and changed.text.startswith("Open the Account page"), changed.text
    configured = ask_one(runtime, passage, "How do I configure the result backend?")
    assert configured.found
    assert configured.text.startswith("Set result_backend to a Redis URL"), configured.text
    assert "Configuring" not in configured.text and "?" not in configured.text
    highlight = configured.sources[0]["highlight"]
    assert HELP[highlight[0] : highlight[1]].startswith("Set result_backend")


def test_a_pages_title_and_its_first_heading_are_both_headings(runtime):
    """A Markdown page opens with its title, then its first section's heading: two short
    lines without punctuation in a row, and neither is the answer (the heading was before)."""
    from backend.documents.ingest.markdown_text import markdown_to_text

    text = markdown_to_text(
        "# Celery user guide\n\n## Configuring the result backend\n\n"
        "Set result_backend to a Redis URL in the settings file. The worker reads it at "
        "start-up.\n"
    )
    assert {text[a:b] for a, b in headings.heading_spans(text)} == {
        "# Celery user guide",
        "## Configuring the result backend",
    }
    passage = Passage(1, 1, "guide.md", None, text, score=1.0, similarity=0.5)

    answer = ask_one(runtime, passage, "How do I configure the result backend?")

    assert answer.found
    assert answer.text.startswith("Set result_backend to a Redis URL"), answer.text
    assert "Configuring" not in answer.text


KETTLE_MANUAL = (
    b"<html><body><h1>Kettle manual</h1>"
    b"<p>Thank you for choosing our kettle. Please read these instructions before first use "
    b"and keep them for future reference.</p>"
    b"<h2>Before first use</h2>"
    b"<p>Fill the kettle to the MAX mark, boil the water and pour it away. Repeat this twice "
    b"to remove any manufacturing residues.</p>"
    b"<h2>Descaling</h2>"
    b"<p>Limescale builds up faster in hard water areas. Fill the kettle with equal parts "
    b"white vinegar and water, let it stand overnight, then empty and rinse it. Boil clean "
    b"water twice and discard it before using the kettle again.</p>"
    b"<h2>Warranty</h2>"
    b"<p>The kettle is guaranteed for two years from the date of purchase against defects in "
    b"materials and workmanship. The warranty does not cover damage caused by limescale, "
    b"misuse or repairs by unauthorised persons.</p>"
    b"</body></html>"
)


def test_every_sentence_of_a_section_borrows_its_headings_words(runtime):
    """A section's sentences seldom repeat what its heading names: "How long is the warranty?"
    is answered by "guaranteed for two years" under "Warranty", not only by the one sentence
    that says "warranty" again (as before), and the first use's steps are under "Before
    first use", not in the thanks that mention it in passing."""
    passage = page_passage(KETTLE_MANUAL, "kettle.html")
    text = passage.text
    starts = [text.index("Thank"), text.index("Boil clean")]
    sections = headings.section_headings(text, starts)
    assert [[text[a:b] for a, b in spans] for spans in sections] == [
        ["# Kettle manual"],
        ["# Kettle manual", "## Descaling"],
    ]

    warranty = ask_with_tokens(runtime, passage, "How long is the warranty?")
    assert warranty.found and "guaranteed for two years" in warranty.text, warranty.text

    first_use = ask_with_tokens(
        runtime, passage, "What should I do before using the kettle for the first time?"
    )
    assert first_use.text.startswith("Fill the kettle to the MAX mark"), first_use.text
    # A question the heading alone does not answer still goes to the sentence that does.
    covered = ask_with_tokens(runtime, passage, "Is damage caused by limescale covered?")
    assert covered.text.startswith("The warranty does not cover damage"), covered.text


TIDEWATCH_README = b"""# tidewatch

tidewatch polls tide gauges and sends an alert when the water rises above a threshold.

## Configuration

| Setting | Default | Meaning |
| --- | --- | --- |
| `interval` | 300 | Seconds between two polls of a gauge |
| `notify` | email | Where alerts go: email, sms or webhook |

## Running

Start the poller with `tidewatch run`. Add `--once` to poll every gauge a single time.
"""


def test_a_sentence_borrows_nothing_across_a_heading(runtime):
    """The first sentence of "Running" followed the options table's last row among the
    candidates (a one-word heading is none) and borrowed its "webhook": "Does tidewatch
    support webhooks?" was answered "Start the poller with tidewatch run."."""
    passage = page_passage(TIDEWATCH_README, "README.md")
    question = "Does tidewatch support webhooks?"
    vector = runtime.embedder.embed([question])[0]
    candidates = sentence_scores.candidate_sentences([passage])
    scores = sentence_scores.score_sentences(
        question, vector, candidates, [passage], runtime.sentence_vectors
    ).total
    meaning = sentence_scores.sentence_vectors(candidates, [passage], runtime.sentence_vectors)
    words = scores - meaning @ vector  # the shared words' share (the passage's is the same)
    start = next(i for i, c in enumerate(candidates) if c.text.startswith("Start the poller"))
    intro = next(i for i, c in enumerate(candidates) if c.text.startswith("tidewatch polls"))
    # Both hold "tidewatch" alone of the question's words.
    assert words[start] == pytest.approx(words[intro], abs=1e-4)

    answer = ask_with_tokens(runtime, passage, question)

    assert answer.text.startswith("Setting: notify;"), answer.text
    assert "Start the poller" not in answer.text


LEASE = (
    "Lease Agreement\n\n5. Repairs\n\nThe Landlord is responsible for repairs to the structure, "
    "the heating and hot water system, and the electrical wiring.\n\n6. Pets and smoking\n\n"
    "No pets may be kept in the flat without the Landlord's written consent, which will not be "
    "unreasonably refused. Smoking is not allowed anywhere in the building.\n\n7. Subletting\n\n"
    "The Tenant may not sublet the flat without the Landlord's written permission."
)


def test_a_headings_words_do_not_join_a_neighbour_to_the_answer(runtime):
    """Under "Pets and smoking", "Smoking is not allowed" borrows "pets" from the heading, which
    brought it within the runner-up's margin: the heading says which section answers, not
    which of its sentences do."""
    passage = Passage(1, 1, "lease.txt", None, LEASE, score=1.0, similarity=0.5)

    answer = ask_with_tokens(runtime, passage, "What are the rules on pets?")

    assert answer.text.startswith("No pets may be kept in the flat"), answer.text
    assert "Smoking" not in answer.text


def test_headings_are_told_from_list_items_and_table_rows():
    text = (
        "Intro to the harbour.\n\n"
        "Harbour wall repairs\n\n"
        "The wall was rebuilt in stone.\n\n"
        "The crews brought:\n\n"
        "granite blocks from the quarry\n\n"
        "oak beams from the north\n\n"
        "Both arrived by sea.\n\n"
        "Tonnage landed in the year 4,500\n\n"
        "That was a record.\n\n"
        "A heading at the end with nothing after it"
    )
    found = {text[a:b] for a, b in headings.heading_spans(text)}
    assert found == {"Harbour wall repairs"}
    # A section's number does not make its heading a figure; numbered lines in a row are a
    # list's steps, each of them an answer.
    lease = (
        "Lease Agreement\n\n1. Parties\n\nThis lease is made between Harbour Lettings and "
        "Maria Jensen.\n\n3.2 Rent\n\nThe rent is 950 pounds a month.\n\nIV. Pets\n\nNo "
        "pets are allowed.\n\nTo end it early, follow these steps.\n\n1. Write to us\n\n"
        "2. Return the keys\n\nThe deposit comes back within 14 days."
    )
    found = {lease[a:b] for a, b in headings.heading_spans(lease)}
    assert found == {"Lease Agreement", "1. Parties", "3.2 Rent", "IV. Pets"}
    assert sentence_roles.asks("How do I change my own password?")
    assert not sentence_roles.asks("It asked why.")
    assert not sentence_roles.asks('Thesis 86 asks: "Why does the pope not build with it?"')


def test_an_answer_never_runs_on_across_a_heading():
    """A README's install command and the first row of the options table after the next
    heading are next to each other among the candidates (a one-word heading is none), not in
    the text: a row scoring nearly as well as the command is not shown with it."""
    import numpy as np

    from backend.qa.answer_sentences import answer_sentences

    readme = (
        b"# fastsync\n\nfastsync copies directories between machines.\n\n## Installation\n\n"
        b"Install it with pip:\n\n```\npip install fastsync\n```\n\n## Options\n\n"
        b"| Option | Default | Meaning |\n|---|---|---|\n"
        b"| `--jobs` | 4 | Number of files copied at once |\n"
        b"| `--checksum` | off | Compare whole-file checksums |\n"
    )
    candidates = sentence_scores.candidate_sentences([page_passage(readme, "README.md")])
    texts = [c.text for c in candidates]
    command, jobs, checksum = (
        next(i for i, t in enumerate(texts) if key in t)
        for key in ("pip install", "--jobs", "--checksum")
    )
    assert jobs == command + 1 and not candidates[jobs].follows
    assert checksum == jobs + 1 and candidates[checksum].follows

    def shown(best: int, second: int) -> list[str]:
        scores = np.zeros(len(candidates))
        scores[best], scores[second] = 2.0, 1.9
        return [c.text for c in answer_sentences(candidates, scores, np.argsort(-scores))]

    assert shown(command, jobs) == [texts[command]]
    assert sorted(shown(command - 1, command)) == sorted([texts[command - 1], texts[command]])
    # Two rows of one table are two records: the better one alone.
    assert shown(jobs, checksum) == [texts[jobs]]


def test_a_lists_items_answer_with_the_words_of_its_introduction(runtime):
    """A list's introduction ("Members can borrow the following at once:") announces what
    follows and never answers; every item borrows its words, not only the first."""
    from backend.documents.ingest import split_sentences

    page = (
        b"<html><body><h2>Borrowing</h2><p>Members can borrow the following at once:</p>"
        b"<ul><li>up to 12 books for three weeks</li><li>up to 4 DVDs for one week</li>"
        b"<li>one laptop for a day, from the front desk</li></ul>"
        b"<p>The library opens at 9:00 on weekdays.</p></body></html>"
    )
    passage = page_passage(page, "help.html")
    keys = sentence_roles.record_keys(
        [c.text for c in sentence_scores.candidate_sentences([passage])], [False] + [True] * 4
    )
    assert keys == [None, *[sentence_roles.LIST_ITEM] * 3, None]

    # Numbered steps ending in full stops are a list's items too.
    steps = "To reset your password:\n1. Open Settings.\n2. Choose Security.\nIt is quick."
    assert sentence_roles.record_keys(
        [s.text for s in split_sentences(steps)], [False, True, True, True]
    ) == [None, sentence_roles.LIST_ITEM, sentence_roles.LIST_ITEM, None]

    for question, item in (
        ("How many DVDs can members borrow?", "up to 4 DVDs for one week"),
        ("How many books can members borrow?", "up to 12 books for three weeks"),
    ):
        answer = ask_with_tokens(runtime, passage, question)
        assert answer.found and item in answer.text, answer.text
        assert "following" not in answer.text

    # A numbered list is a procedure: "how do I" answers with every step, in order.
    steps_page = (
        b"<h1>Account help</h1><p>To reset your password:</p><ol><li>Open Settings.</li>"
        b"<li>Choose Security.</li><li>Click Reset password and follow the link we email "
        b"you.</li></ol><p>Two-factor authentication is turned on from the Security page.</p>"
    )
    passage = page_passage(steps_page, "account.html", 2)
    answer = ask_with_tokens(runtime, passage, "How do I reset my password?")
    # A line each, as the list reads, under the line announcing it.
    assert answer.text == (
        "To reset your password:\n1. Open Settings.\n2. Choose Security.\n"
        "3. Click Reset password and follow the link we email you."
    )
    assert len(answer.sources[0]["highlights"]) == 4
    # A question asking for one step gets that step.
    for question, step in (
        ("What is the second step to reset my password?", "2. Choose Security."),
        ("What do I do after step 2 to reset my password?", "3. Click Reset password"),
        ("What is the last step of resetting my password?", "3. Click Reset password"),
    ):
        answer = ask_with_tokens(runtime, passage, question)
        assert answer.text.startswith(step) and answer.text.count(". ") <= 1, answer.text


def test_every_row_of_a_table_borrows_the_words_of_the_sentence_before_it(runtime):
    """Only the first row follows the sentence saying what the table is; the others borrow its
    words too, so the row that answers wins, not the row that happens to come first."""
    page = (
        b"<html><body><h2>Ferry timetable</h2>"
        b"<p>Ferries leave for the island of Skerra from the north pier.</p>"
        b"<table><tr><th>Day</th><th>Departure</th><th>Return</th></tr>"
        b"<tr><td>Monday</td><td>08:15</td><td>17:40</td></tr>"
        b"<tr><td>Wednesday</td><td>09:00</td><td>18:10</td></tr>"
        b"<tr><td>Saturday</td><td>10:30</td><td>19:05</td></tr></table>"
        b"<p>Tickets are sold on board.</p></body></html>"
    )
    passage = page_passage(page, "ferries.html")

    for question, row in (
        ("When does the Saturday ferry leave?", "Day: Saturday; Departure: 10:30; Return: 19:05."),
        ("When does the Monday ferry come back?", "Day: Monday; Departure: 08:15; Return: 17:40."),
        # Every word but the day is the introduction's: the rows borrow its token match too.
        (
            "When does the Wednesday ferry to Skerra leave?",
            "Day: Wednesday; Departure: 09:00; Return: 18:10.",
        ),
        ("When does the ferry to the island of Skerra leave on Saturday?", "Day: Saturday;"),
    ):
        answer = ask_with_tokens(runtime, passage, question)
        # The row alone: not the introduction, nor a neighbouring row nearly as good.
        assert answer.found and answer.text.startswith(row), answer.text
        assert answer.text.count("Day:") == 1 and "north pier" not in answer.text
    # A row means half what its introduction means; the introduction itself still answers
    # what it alone says.
    answer = ask_with_tokens(runtime, passage, "Where do the ferries to Skerra leave from?")
    assert answer.text == "Ferries leave for the island of Skerra from the north pier."


def test_the_step_a_question_asks_for():
    from backend.qa.answer_steps import asked_step

    assert asked_step("What is the first step?", 3) == 0
    assert asked_step("What's the 2nd step?", 3) == 1
    assert asked_step("What is step 3?", 3) == 2
    assert asked_step("What comes after the first step?", 3) == 1
    assert asked_step("What do I do before the final step?", 3) == 1
    assert asked_step("What is the last stage?", 5) == 4
    # No one step asked for, or one the list does not have: the whole list answers.
    assert asked_step("How do I reset my password?", 3) is None
    assert asked_step("What should I do first?", 3) is None
    assert asked_step("What is the fifth step?", 3) is None
    assert asked_step("What comes after the last step?", 3) is None


def test_the_passage_holding_the_answer_between_its_own_sentences_is_cited_first(runtime):
    # Passages overlap by a sentence or two: the answer's sentence ends one and stands
    # inside the next. Cited first is the one that shows it in its context, answer marked.
    sentences = [
        "The Brenner Pass links Austria and Italy through the Alps.",
        "Traffic over it has grown every decade since the motorway opened.",
        "A base tunnel under the pass is being built to carry freight by rail.",
        "The Brenner Base Tunnel will be 55 kilometres long when it opens.",
        "Its construction began in 2007 after years of planning.",
        "Freight trains will cross the Alps far faster than today.",
    ]
    ending = " ".join(sentences[:4])
    inside = " ".join(sentences[1:])
    passages = [
        Passage(1, 7, "brenner.txt", None, ending, score=1.0, similarity=0.6, ordinal=0),
        Passage(2, 7, "brenner.txt", None, inside, score=0.9, similarity=0.5, ordinal=1),
    ]
    question = "How long will the tunnel under the Brenner Pass be?"
    vector = runtime.embedder.embed([question])[0]
    answer = answering.extractive_answer(
        question, vector, passages, embedder=runtime.sentence_vectors, min_score=0.0
    )
    assert answer.found and "55 kilometres" in answer.text
    first = answer.sources[0]
    assert first["text"] == inside
    start, end = first["highlight"]
    assert "55 kilometres" in inside[start:end]
    assert answer.sources[1]["text"] == ending and answer.sources[1]["highlight"] is None
