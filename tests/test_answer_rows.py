"""Choosing among a document's rows, items and lines the way its reader would: the band that
holds the figure the question gives, the dish a menu's key marks, the number to ring, and the
words of a mail rather than its header."""

from __future__ import annotations

import pytest

from backend.qa.number_ranges import asked_figures, band_width
from backend.qa.question_words import is_key, legend, legend_terms
from backend.qa.row_keys import named_rows
from backend.qa.sentence_roles import mail_header
from tests.test_answering import ask_one, ask_with_tokens, page_passage

DELAYS = b"""<html><head><title>Delays and refunds</title></head><body><main>
<h1>Delays and refunds</h1>
<p>If your journey arrives 15 minutes or more late, you can claim compensation.</p>
<h2>How much compensation can I get?</h2>
<table>
<tr><th>Length of delay</th><th>Single ticket</th><th>Return ticket</th></tr>
<tr><td>15 to 29 minutes</td><td>25% of the single fare</td><td>12.5% of the return fare</td></tr>
<tr><td>30 to 59 minutes</td><td>50% of the single fare</td><td>25% of the return fare</td></tr>
<tr><td>60 to 119 minutes</td><td>100% of the single fare</td><td>50% of the return fare</td></tr>
<tr><td>120 minutes or more</td><td>100% of the single fare</td>
<td>100% of the return fare</td></tr>
</table></main></body></html>"""


@pytest.mark.parametrize(
    ("question", "row"),
    [
        ("My train got in 40 minutes late, how much can I get back on my single ticket?",
         "30 to 59 minutes"),
        ("The way home on my return ticket was 20 minutes late - what do I get?",
         "15 to 29 minutes"),
        ("We were 75 minutes late, what can I claim for a single?", "60 to 119 minutes"),
        ("My train was three hours late (180 minutes), how much do I get back?",
         "120 minutes or more"),
    ],
)  # fmt: skip
def test_the_row_whose_band_holds_the_figure_asked_about_answers(runtime, question, row):
    """Every row shares the question's words; the one whose band holds its figure is meant."""
    answer = ask_one(runtime, page_passage(DELAYS, "delays.html"), question)
    assert answer.found and answer.text.startswith(f"Length of delay: {row};"), answer.text


def holds_figure(figures: list[tuple[float, str]], sentence: str) -> bool:
    return band_width(figures, sentence) is not None


def test_bands_are_read_in_their_unit():
    forty = asked_figures("My train was 40 minutes late")
    assert holds_figure(forty, "Length of delay: 30 to 59 minutes; Single ticket: 50%.")
    assert holds_figure(forty, "between 30 and 45 minutes")
    assert holds_figure(forty, "If it arrives 15 minutes or more late, claim.")
    assert not holds_figure(forty, "Length of delay: 15 to 29 minutes; Single ticket: 25%.")
    assert not holds_figure(forty, "Trains run 30 to 59 miles inland.")  # another unit
    assert holds_figure(asked_figures("Is a 70 year old member charged?"), "over 65 years")
    assert not holds_figure(asked_figures("How many ran in 1990?"), "1980 to 2000 runners")


MENU = b"""<html><head><title>Dinner Menu</title></head><body><main>
<h1>Dinner Menu</h1>
<p>Key: GF = gluten-free &middot; V = vegetarian &middot; VG = vegan &middot; D = contains dairy
&middot; P = contains peanuts</p>
<h2>Mains</h2>
<ul><li>Cast-Iron Trout &mdash; brown butter, capers GF, D $29</li>
<li>Half Roast Chicken &mdash; salsa verde, crispy potatoes GF $26</li>
<li>Mushroom &amp; White Bean Cassoulet &mdash; herb breadcrumbs VG $22</li></ul>
<h2>Desserts</h2>
<ul><li>Buttermilk Pie &mdash; blackberry compote, whipped cream V, D $10</li>
<li>Chocolate Tart &mdash; salted brittle V, D, P $11</li>
<li>Sorbet of the Day &mdash; ask your server GF, VG $8</li></ul>
</main></body></html>"""


def test_a_menus_key_tells_which_dish_is_meant(runtime):
    """"VG = vegan": the dish marked VG is the vegan one; the key itself answers only what its
    codes mean."""
    menu = page_passage(MENU, "menu.html")
    vegan = ask_one(runtime, menu, "Which dish is vegan?")
    assert vegan.text.startswith("• Mushroom & White Bean Cassoulet"), vegan.text
    code = ask_one(runtime, menu, "What does VG mean on the menu?")
    assert code.text.startswith("Key: GF = gluten-free"), code.text


def test_a_key_needs_two_codes_and_lends_them_as_words():
    codes = legend("Key: GF = gluten-free · V = vegetarian · VG = vegan · D = contains dairy")
    assert codes["VG"] == {"vegan"} and codes["GF"] == {"gluten", "free"}
    assert legend_terms("Sorbet of the Day GF, VG $8", codes) == {"vegan", "gluten", "free"}
    assert legend_terms("Vegetables and Dips", codes) == set()  # a code is a word of its own
    assert legend("Speed: v = d/t, where d is the distance.") == {}
    assert is_key("Key: GF = gluten-free · VG = vegan", "Which dessert is vegan?")
    assert not is_key("Key: GF = gluten-free · VG = vegan", "What does VG stand for?")


WARRANTY = b"""# How to get service

1. First, check the Troubleshooting section of your Use & Care Guide - many problems can be
solved without a service call.
2. Find your model and serial numbers. They are printed on the label on the upper left wall
inside the fresh food compartment.
3. Call Halvorsen Customer Care at 1-800-555-0147, Monday to Friday 8am to 8pm.
4. Have your proof of purchase ready.
"""


def test_the_number_to_call_is_given(runtime):
    """The steps about the service call and the model number share more of the question's
    words; the step with the number to ring gives what is asked."""
    passage = page_passage(WARRANTY, "warranty.md")
    answer = ask_one(runtime, passage, "What number do I call to get it repaired?")
    assert answer.found and "1-800-555-0147" in answer.text, answer.text


THREAD = b"""From: Sarah Whitfield <sarah@mailbox.example>
Sent: Monday, 17 February 2025 09:05
To: Tom Baxter <tom@joinery.example>
Subject: Kitchen quote - 17 Hawthorn Close

Hi Tom,

Thanks for coming round last Thursday to measure up, and for the quote (8,270 pounds inc VAT).
We've got a couple of questions before we decide.

Best wishes, Sarah
"""


def test_a_mails_header_names_who_wrote_not_what(runtime):
    """"To: Tom Baxter" shares "Tom" with the question but says nothing of his quote."""
    passage = page_passage(THREAD, "thread.txt")
    quote = ask_one(runtime, passage, "How much was Tom's original quote for the kitchen?")
    assert "8,270 pounds" in quote.text and "To:" not in quote.text, quote.text
    assert mail_header("To: Tom Baxter", "How much was Tom's quote?")
    assert mail_header("Sent: Monday, 17 February 2025 09:05", "When did the work start?")
    assert not mail_header("To: Tom Baxter", "Who was the email sent to?")
    assert not mail_header("From: London; To: Leeds", "Where does the train go?")
    assert not mail_header("From: £45 per night", "How much is a room?")


LETTER = b"""# Term dates 2025-26

School will also be closed on Monday 4 May 2026 for the Early May bank holiday.

Staff training (INSET) days - school is closed to pupils on these days:

1. Monday 1 September 2025
2. Tuesday 2 September 2025
3. Friday 21 November 2025
4. Friday 13 February 2026
5. Monday 1 June 2026

Please note that the last day before the Christmas holiday is an early finish.
"""


def test_a_list_answers_under_the_line_announcing_it(runtime):
    """A list of dates says nothing without the line announcing what they are."""
    passage = page_passage(LETTER, "letter.md")
    answer = ask_one(runtime, passage, "Why is there no school on Friday 13 February 2026?")
    assert answer.text.startswith(
        "Staff training (INSET) days - school is closed to pupils on these days:\n1. Monday"
    ), answer.text


def test_the_row_a_question_names_by_its_first_cell(runtime):
    """"Standard membership" names the Standard row, not the Student row that is "As
    Standard"; "Premium" the Premium row, not the Senior row "As Premium"."""
    from backend.documents.ingest import extract
    from backend.qa.sentence_scores import Passage
    from tests import pdfs

    (page,) = extract(pdfs.members_pdf(), "terms.pdf").pages
    passage = Passage(1, 1, "terms.pdf", 1, page.text, score=1.0, similarity=0.5)
    for question, row in (
        ("How much is the standard membership a month?", "Membership: Standard;"),
        ("Do I have to pay a joining fee if I go for Premium?", "Membership: Premium;"),
        ("I'm a student, what does a whole year cost me upfront?", "Membership: Student"),
    ):
        answer = ask_one(runtime, passage, question)
        assert answer.text.startswith(row), (question, answer.text)


def test_a_row_is_named_by_its_first_cell_without_its_brackets():
    rows = [
        "Session: Public Swim; Adult: £5.40.",
        "Session: Family Swim (2 adults + 2 children); Adult: £15.00.",
        "Session: Parent & Baby; Adult: £4.60 per adult, child free.",
    ]
    # "a public swim" names the first row whole (the family swim's name holds "swim" among
    # other words); the family swim's "adults", in brackets, names nothing.
    assert named_rows("How much does an adult pay for a public swim?", rows) == [
        True, False, False,
    ]  # fmt: skip
    members = [
        "Membership: Standard; Access: Gym and classes; Monthly: £36.99.",
        "Membership: Student (with ID); Access: As Standard; Monthly: £22.50.",
    ]
    assert named_rows("How much is the standard membership?", members) == [True, False]
    # A word no other row holds names nothing: the scores tell those rows apart.
    assert named_rows("How much is it for students?", members) == [False, False]
    # But the row's value said before its column's name does.
    assert named_rows("How much is the student membership?", members) == [False, True]


def test_when_is_answered_by_the_close_sentence_that_says_when():
    """"To be approved at the next AGM." shares every word of "When is the next AGM?" and
    scored best (its passage the closer) but says nothing of when; the sentence giving the
    date, close behind, answers. One that is not close does not."""
    import numpy as np

    from backend.qa.answer_gives import gives_asked, giving_first
    from backend.qa.answer_sentences import Candidate

    said = [
        "To be approved at the next AGM.",
        "The next AGM will be held on Sunday 8 March 2026 at 2:00pm in St Luke's Church Hall.",
    ]
    candidates = [Candidate(k, 0, len(text), text, True, False) for k, text in enumerate(said)]
    question = "When is the next AGM?"
    close = giving_first(np.array([0, 1]), candidates, np.array([4.46, 4.35]), question)
    assert list(close) == [1, 0]
    far = giving_first(np.array([0, 1]), candidates, np.array([4.46, 3.5]), question)
    assert list(far) == [0, 1]
    assert gives_asked("It opens at 9am.", None, "When is the hut open?")
    assert not gives_asked("It opens after the AGM.", None, "When will the hut open?")
    # "When did …?" is often answered by an event: any sentence may give it.
    assert gives_asked("It closed when the empire fell.", None, "When did the hut close?")


BOOKING = b"""<html><body><main><h1>Booking confirmation</h1>
<p>Thank you for booking with Westerly Airways. Your booking is confirmed.</p>
<table><tr><th>Booking reference</th><th>Booking date</th><th>Status</th></tr>
<tr><td>K7QZ4M</td><td>14 January 2026</td><td>Confirmed</td></tr></table>
<p>Your booking reference (also called PNR) is needed to manage your booking, check in and
contact us.</p>
<h2>Aircraft</h2><p>Weight: 8.2 kg. The aircraft is an Airbus A320neo.</p>
</main></body></html>"""


@pytest.mark.parametrize(
    ("question", "given"),
    [("What's our booking reference?", "K7QZ4M"), ("What is the booking date?", "14 January")],
)
def test_the_value_under_the_label_asked_for_answers(runtime, question, given):
    """"What's our booking reference?" was answered by the sentence saying what a booking
    reference is for, not by the row giving it ("Booking reference: K7QZ4M; …")."""
    answer = ask_one(runtime, page_passage(BOOKING, "booking.html"), question)
    assert answer.found and given in answer.text, answer.text


NEWSLETTER = b"""# Orchard Lane Residents' Association

## From the Chair

Welcome to the spring issue. It has been a busy winter for the committee of the Orchard Lane
Residents' Association. We have welcomed two new committee members, Priya Nandakumar and
Graham Fellowes, as Membership Secretary and Environment Lead.

- Bernadette Quinlan, Chair

## Bin collections

The council collects the green bins on Tuesdays.
"""


def test_a_sign_off_tells_who_holds_the_role_asked_about(runtime):
    """"Who is the chair of the residents' association?" was answered by the newsletter's
    title: a letter signed "Bernadette Quinlan, Chair" says who the chair is, as "Weight:
    8.2 kg." says the weight. The role asked about is the noun before what says which one
("of …", "that …", "for …") when the whole is long."""
    from backend.qa.asked_terms import asked_term, defines

    assert asked_term("Who is the chair of the residents' association?") == "chair"
    assert asked_term("Who was the engineer that did the boiler service?") == "engineer"
    assert asked_term("What is the salary for the Senior EHO role?") == "salary"
    assert asked_term("What is the rate of pay?") == "rate of pay"  # short: whole
    assert defines("- Bernadette Quinlan, Chair", "chair")
    assert defines("Dr Amal Reid, Head of Science.", "head of science")
    assert not defines("The chair, who is new, spoke first.", "chair")
    passage = page_passage(NEWSLETTER, "newsletter.md")
    answer = ask_one(runtime, passage, "Who is the chair of the residents' association?")
    assert "Bernadette Quinlan" in answer.text, answer.text


SURGERY_LETTER = """MILLBROOK MEDICAL PRACTICE
Telephone: 01632 960418

Date: 12 March 2026
Our reference: MMP/RM/BT/0312/JH
NHS number: 485 201 7763

Dear Mrs Holloway,

Thank you for attending the surgery for your routine blood test. Your next appointment is
with our practice nurse.

- Next appointment: Tuesday 24 March 2026, 10:40am, Room 4.
"""


def test_a_line_labelled_with_some_of_the_words_asked_about_gives_it(runtime):
    """"What's the reference number on the letter?" got the NHS number: "Our reference:" is
    the line labelled with the words asked about (some of them, and no other), as "Next
    appointment:" tells "When is the next appointment with the nurse?"."""
    from backend.qa.asked_terms import asked_term, defines

    assert asked_term("When's the next appointment with the nurse?") == "next appointment"
    assert defines("Our reference: MMP/RM/BT/0312/JH", "reference number")
    assert not defines("NHS number: 485 201 7763", "reference number")
    # A table's row gives each cell under its label.
    assert defines("Role: Instructor; Office hours: Mondays 2:00-4:00 p.m.", "office hours")
    assert defines("Role: Tutor; Office hours: Mondays 2:00-4:00 p.m.", "tutor's office hours")
    # Labels inside a sentence's brackets are no line's: "Latin name" is not given here.
    normans = "The Normans (Norman: Nourmands; Latin: Normanni) were a people."
    assert not defines(normans, "latin name")
    passage = page_passage(SURGERY_LETTER.encode(), "letter.txt")
    reference = ask_one(runtime, passage, "What's the reference number on the letter?")
    assert "MMP/RM/BT/0312/JH" in reference.text, reference.text
    when = ask_one(runtime, passage, "When's the next appointment with the nurse?")
    assert "Tuesday 24 March 2026" in when.text, when.text


JOB = """# Job Description

Job title: Senior Environmental Health Officer (Food Safety).

Directorate: Communities and Regulatory Services.

Reports to: Environmental Health Team Leader.

Responsible for: 2 Environmental Health Officers and 1 Food Safety Technician.

Hours: 37 hours per week, flexible working scheme available.

## Purpose of the job

To lead the delivery of the council's food safety service, carrying out inspections,
investigations and enforcement, and to supervise and mentor officers within the food team.
"""


def test_a_line_whose_label_the_question_says_answers_it(settings, runtime):
    """"Who does this post report to?" was refused though "Reports to: …" says it: the
    question says the line's label word for word, so the line answers, and above the "not
    found" line. A label said as a name (a transcript's speaker) or as a word qualifying the
    next ("Which textbook chapter …?") is not what is asked."""
    from backend.qa.answer_gives import tells_when
    from backend.qa.asked_terms import says_label

    assert says_label("Reports to: Team Leader.", "Who does this post report to?")
    assert says_label("VAT: £677.20.", "How much VAT is being charged in total?")
    assert not says_label("GWEN: Don't buy bees.", "How long has Gwen been keeping bees?")
    assert not says_label("Textbook: Goldstein (2023).", "Which textbook chapter is it?")
    assert not says_label("Rent: £1,150 per month.", "What day of the month is the rent due?")
    # A table's row: its columns name every row alike.
    assert not says_label("Plan: Free; Price: £0.", "Which plan is the cheapest?")
    # A key in code's data is no label.
    assert not says_label('"name": "Bristol",', "What error comes if the place name is misspelt?")
    # Asked when, the line answers only by saying when.
    pool = "Learner pool: 12 m x 7 m, depth 0.9 m."
    assert says_label(pool, "When can I take my baby to the learner pool?")
    assert not tells_when(pool, "When can I take my baby to the learner pool?")
    assert tells_when("Next swim: Monday 6 January, 09:30.", "When can I take my baby?")
    passage = page_passage(JOB.encode(), "job.md")
    answer = ask_with_tokens(runtime, passage, "Who does this post report to?")
    assert answer.text.startswith("Reports to: Environmental Health Team Leader"), answer.text
    assert answer.score >= settings.answer_min_score, answer.score


FLIGHTS = """# Booking confirmation

## Your flights

| Flight | From | Departs | To | Arrives |
|---|---|---|---|---|
| WL 2214 | London Gatwick (LGW) North Terminal | 06:45 | Málaga (AGP) Terminal 2 | 10:35 |
| WL 2215 | Málaga (AGP) Terminal 2 | 11:20 | London Gatwick (LGW) North Terminal | 13:05 |
"""


def test_of_rows_sharing_a_word_the_one_the_question_names_whole_is_named():
    """"The buildings" are section A, not "B. Buildings accidental damage"; a contents claim
    section C, not D; accidentally damaged contents section D (its name said whole too)."""
    sections = [
        "Section: A. Buildings; Sum insured / limit: £450,000; Standard excess: £250.",
        "Section: B. Buildings accidental damage; Sum insured / limit: Included in A; "
        "Standard excess: £250.",
        "Section: C. Contents; Sum insured / limit: £75,000; Standard excess: £100.",
        "Section: D. Contents accidental damage; Sum insured / limit: Not covered; "
        "Standard excess: –.",
    ]
    assert named_rows("How much are the buildings insured for?", sections) == [
        True, False, False, False,
    ]  # fmt: skip
    assert named_rows("What excess do I pay on a contents claim?", sections) == [
        False, False, True, False,
    ]  # fmt: skip
    assert named_rows("Am I covered for accidentally damaging my contents?", sections) == [
        False, False, False, True,
    ]  # fmt: skip
    assert named_rows("What was the premium last year?", sections) == [False] * 4


def test_a_row_is_named_by_a_column_and_its_value_said_together(runtime):
    """"Our flight out to Malaga" is the flight whose "To" is Málaga, not the return flight
    whose "From" is; "Band A" the row whose "Band" is A; "the Developer plan" the row whose
    "Plan" is Developer."""
    passage = page_passage(FLIGHTS.encode(), "booking.md")
    out = ask_one(runtime, passage, "What time is our flight out to Malaga?")
    assert out.text.startswith("Flight: WL 2214;"), out.text
    back = ask_one(runtime, passage, "What time does the flight from Malaga leave?")
    assert back.text.startswith("Flight: WL 2215;"), back.text
    bands = ["Band: A; Charge 2026/27 (£): 1,670.94.", "Band: B; Charge 2026/27 (£): 1,949.43."]
    assert named_rows("How much would a Band A house pay?", bands) == [True, False]
    assert named_rows("How much would a band B house pay?", bands) == [False, True]
    # A column's name and value said apart name nothing: "to" here goes with "pay".
    assert named_rows("How much is Band C going to cost?", bands) == [False, False]
    # A one-word value said before its column's name: "the Developer plan".
    plans = [
        "Plan: Free; Price: £0; Calls per day: 1,000.",
        "Plan: Developer; Price: £29 per month; Calls per day: 50,000.",
    ]
    assert named_rows("How much does the Developer plan cost?", plans) == [False, True]
    assert named_rows("Which plan is free?", plans) == [False, False]


def test_a_row_is_named_by_its_opening_figure_and_unit():
    """"At 8 weeks" names the row "8 weeks old", not "12 weeks old" or "16 weeks old", though
    all three hold "weeks"; "Wave 3" the row of wave 3; a figure no row opens with names
    none."""
    rows = [
        "Age due: 8 weeks old; Vaccine given: 6-in-1 vaccine, MenB, rotavirus.",
        "Age due: 12 weeks old; Vaccine given: 6-in-1 vaccine (2nd dose), PCV.",
        "Age due: 16 weeks old; Vaccine given: 6-in-1 vaccine (3rd dose), MenB.",
        "Wave: Wave 2; Start time: 9:40am.",
        "Wave: Wave 3; Start time: 9:50am.",
    ]
    assert named_rows("What vaccines does my baby get at 8 weeks?", rows) == [
        True, False, False, False, False,
    ]  # fmt: skip
    assert named_rows("What time does Wave 3 start?", rows) == [
        False, False, False, False, True,
    ]  # fmt: skip
    assert named_rows("What does my baby get at 18 weeks?", rows) == [False] * 5


SCHEDULE = b"""<html><head><title>Childhood immunisations</title></head><body><main>
<h1>Routine childhood immunisations</h1>
<table>
<tr><th>Age due</th><th>Vaccine given</th><th>Where it is given</th></tr>
<tr><td>8 weeks old</td><td>6-in-1 vaccine; MenB; rotavirus</td><td>Thigh; by mouth</td></tr>
<tr><td>12 weeks old</td><td>6-in-1 vaccine (2nd dose); pneumococcal (PCV)</td><td>Thigh</td></tr>
<tr><td>16 weeks old</td><td>6-in-1 vaccine (3rd dose); MenB (2nd dose)</td><td>Thigh</td></tr>
</table>
<h2>After the vaccination</h2>
<p>It is common for babies to have a high temperature after the MenB vaccine. We advise giving
infant paracetamol after the 8-week and 16-week vaccinations: 2.5ml as soon as possible after
the vaccination.</p>
</main></body></html>"""


def test_a_row_whose_cells_hold_semicolons_answers_for_its_age(runtime):
    """A cell's own semicolons ("6-in-1 vaccine; MenB; rotavirus") are written as commas, so the
    row still reads as a row, and the question's "8 weeks" names it over the advice about
    the 8-week vaccinations."""
    passage = page_passage(SCHEDULE, "immunisations.html")
    assert (
        "Age due: 8 weeks old; Vaccine given: 6-in-1 vaccine, MenB, rotavirus; "
        "Where it is given: Thigh, by mouth." in passage.text.split("\n\n")
    )
    answer = ask_with_tokens(runtime, passage, "What vaccines does my baby get at 8 weeks?")
    assert answer.text.startswith("Age due: 8 weeks old;"), answer.text


def test_a_code_the_question_names_names_the_row_it_keys():
    """"What should I do if the display shows E24?" names the E24 row of a table of error
    codes, not the E25 row beside it; a code no row holds names none."""
    codes = [
        "CODE: E2; WHAT IT MEANS: Water does not drain; WHAT TO DO: Clean the filter.",
        "CODE: E24; WHAT IT MEANS: Drain hose kinked; WHAT TO DO: Straighten the hose.",
        "CODE: E25; WHAT IT MEANS: Drain pump blocked; WHAT TO DO: Remove the pump cover.",
    ]
    question = "What should I do if the display shows E24?"
    assert named_rows(question, codes) == [False, True, False]
    assert named_rows("What does error E7 mean?", codes) == [False] * 3
