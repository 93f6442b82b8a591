"""A document's structure as users write it: headings marked in HTML and Markdown, nested
sections, a plain text's title and its lines, an FAQ's questions and a section's list."""

from __future__ import annotations

from backend.documents.ingest import chunk_pages, clean_text, extract, headings, split_sentences
from backend.qa import answering, sentence_roles
from backend.qa.sentence_scores import Passage

RELEASE_NOTES = b"""# Ledgerly release notes

## 3.2.0 (2026-10-02)

### Added
- Export reports to Excel (.xlsx) as well as CSV.
- Two-factor authentication with any TOTP app.
- A dark theme, chosen under Settings > Appearance.

### Fixed
- Currency amounts in Japanese yen no longer show two decimal places.
- Importing a bank statement with an empty line no longer fails.

## 3.1.0 (2026-06-15)

### Added
- Recurring invoices: monthly, quarterly or yearly.
- Attach receipts as PDF or image files to any expense.

## Upgrading

Back up the database before upgrading. Run `ledgerly migrate` after installing.
"""

FAQ = b"""<html><head><title>CityCycle help</title></head><body>
<nav><a href="/">Home</a> | <a href="/plans">Plans</a></nav>
<h1>Frequently asked questions</h1>
<h3>How do I unlock a bike?</h3>
<p>Open the CityCycle app, tap Scan and point your phone at the QR code on the handlebar.
The lock opens within five seconds. If the app cannot read the code, type the four-digit bike
number printed under it.</p>
<h3>Do I need a helmet?</h3>
<p>Helmets are not required by law for adults, but we strongly recommend one. Riders under 16
must wear a helmet.</p>
<h3>I have a flat tyre. What should I do?</h3>
<p>End your ride at the nearest dock and press the spanner button on the dock to report the
fault. You will not be charged for the ride.</p>
</body></html>"""

AXOLOTL = b"""The axolotl

The axolotl (Ambystoma mexicanum) is a salamander that keeps its larval form all its life.

Appearance
An adult axolotl is 15 to 30 centimetres long. Wild animals are dark brown or grey with gold
speckles. The pink animals kept in aquariums come from a rare mutation.

Diet
Axolotls are carnivores. In the wild they eat worms, insect larvae and small fish.
"""


def ask(runtime, text: str, question: str) -> answering.Answer:
    """The extractive answer as the worker gives it (token match included), over one passage."""
    passage = Passage(1, 1, "doc", None, text, score=1.0, similarity=0.5)
    vector, asked = runtime.embedder.encode_question(question)
    return answering.extractive_answer(
        question, vector, [passage], embedder=runtime.sentence_vectors, min_score=0.0,
        tokens=runtime.embedder, question_tokens=asked,
    )  # fmt: skip


def page_text(data: bytes, filename: str) -> str:
    """The file's first page as extraction gives it."""
    return extract(data, filename).pages[0].text


def paragraphs(data: bytes, filename: str) -> list[str]:
    """The paragraphs of the file's first page as extraction gives them."""
    return page_text(data, filename).split("\n\n")


def headings_above(text: str, sentence: str) -> list[str]:
    """The path of headings over the section that holds `sentence`."""
    (spans,) = headings.section_headings(text, [text.index(sentence)])
    return [text[a:b] for a, b in spans]


def test_marked_headings_nest_and_every_chunk_opens_with_the_path_above_it(count_tokens):
    """Markdown's and HTML's headings are certain, figures and question marks and all, and
    nest by level: "Attach receipts" was under "Fixed" of 3.2.0 (the version line, holding
    figures, was no heading) and its chunk opened with "Fixed"."""
    text = page_text(RELEASE_NOTES, "notes.md")
    assert {text[a:b] for a, b in headings.heading_spans(text)} == {
        "# Ledgerly release notes",
        "## 3.2.0 (2026-10-02)",
        "### Added",
        "### Fixed",
        "## 3.1.0 (2026-06-15)",
        "## Upgrading",
    }
    assert headings_above(text, "Attach receipts") == [
        "# Ledgerly release notes",
        "## 3.1.0 (2026-06-15)",
        "### Added",
    ]
    assert headings_above(text, "Back up the database") == [
        "# Ledgerly release notes",
        "## Upgrading",
    ]
    for max_tokens in (64, 96, 128, 160):
        chunks = chunk_pages(extract(RELEASE_NOTES, "notes.md").pages,
                             count_tokens=count_tokens, max_tokens=max_tokens)  # fmt: skip
        for chunk in chunks:
            # No chunk ends with a heading.
            assert chunk is chunks[-1] or not chunk.text.rsplit("\n\n", 1)[-1].startswith("#")
            if "Attach receipts" in chunk.text:
                above = chunk.text.split("Attach receipts")[0].split("\n\n")
                marked = [line for line in above if line.startswith("#")]
                assert marked[-2:] == ["## 3.1.0 (2026-06-15)", "### Added"], chunk.text
                assert chunk.text.startswith("# Ledgerly release notes\n\n"), chunk.text

    # A heading's words may come after a line break or inside a block of their own.
    page = b"<h1>\n  Shop guide\n</h1><h2><p>Returns</p></h2><p>Send it back.</p>"
    assert page_text(page, "shop.html") == "# Shop guide\n\n## Returns\n\nSend it back."

    faq = page_text(FAQ, "faq.html")
    assert faq.startswith("# CityCycle help\n\n# Frequently asked questions\n\n")
    assert "Home" not in faq  # the site's menu stays out
    assert headings_above(faq, "End your ride") == [
        "# Frequently asked questions",
        "### I have a flat tyre. What should I do?",
    ]


def test_a_plain_texts_title_heads_each_of_its_sections():
    """A plain text's opening title is marked, so "Wild animals are dark brown" under
    "Appearance" is about the axolotl too; a heading line above its text is a paragraph of its
    own, as with a blank line after it."""
    text = page_text(AXOLOTL, "axolotl.txt")
    assert text.startswith("# The axolotl\n\nThe axolotl (Ambystoma mexicanum)")
    assert "\n\nAppearance\n\nAn adult axolotl" in text
    assert headings_above(text, "Wild animals") == ["# The axolotl", "Appearance"]
    assert headings_above(text, "In the wild") == ["# The axolotl", "Diet"]
    # A title line above labelled lines is one too.
    minutes = b"Garden committee minutes\nDate: 14 March 2026\nPresent: Anna, Tom\n\nAll agreed."
    assert page_text(minutes, "minutes.txt").startswith(
        "# Garden committee minutes\n\nDate: 14 March 2026\nPresent: Anna, Tom"
    )
    # Text that opens with a sentence has no title.
    assert page_text(b"Axolotls are salamanders.\n\nDiet\n\nWorms.", "a.txt")[0] == "A"


def test_labelled_and_short_lines_are_not_wrapped_prose():
    """A minutes' header ("Date: ...", "Apologies: ...") and a heading over its first line kept
    their line breaks only in part: "Apologies: David Brooks" ran on from the list of those
    present, and "2. Treasurer's report" stayed in its section's paragraph, no heading."""
    raw = (
        "Riverside Community Garden - Committee meeting minutes\n"
        "Date: 14 March 2026\n"
        "Present: Anna Okafor (chair), Tom Reilly (treasurer), Priya Natarajan (secretary)\n"
        "Apologies: David Brooks\n\n"
        "2. Treasurer's report\n"
        "Tom reported a balance of 2,340 pounds. Membership fees brought in 780 pounds this\n"
        "year, and the new water tank cost 410 pounds.\n\n"
        "Dear members,\nthe garden opens at nine on Saturday and closes at five.\nBest wishes\n"
        "Anna Okafor"
    )
    assert clean_text(raw).split("\n\n") == [
        "Riverside Community Garden - Committee meeting minutes\nDate: 14 March 2026\n"
        "Present: Anna Okafor (chair), Tom Reilly (treasurer), Priya Natarajan (secretary)\n"
        "Apologies: David Brooks",
        "2. Treasurer's report",
        "Tom reported a balance of 2,340 pounds. Membership fees brought in 780 pounds this "
        "year, and the new water tank cost 410 pounds.",
        # A line ended well short of the paragraph's width ends where its writer ended it.
        "Dear members, the garden opens at nine on Saturday and closes at five. Best wishes\n"
        "Anna Okafor",
    ]


def test_an_faq_answers_with_the_opening_of_the_section_that_asks_the_question(runtime):
    """The FAQ's own question matches best: its answer is the paragraph under it, from the
    start ("Open the CityCycle app ..."); it was a table row that mentioned unlocking, or the
    half of a heading that does not end with a question mark ("I have a flat tyre.")."""
    text = page_text(FAQ, "faq.html")

    unlock = ask(runtime, text, "How do I unlock a bike?")
    assert unlock.text.startswith("Open the CityCycle app, tap Scan"), unlock.text
    assert unlock.text.endswith("type the four-digit bike number printed under it."), unlock.text

    tyre = ask(runtime, text, "What should I do if I get a flat tyre?")
    assert tyre.text.startswith("End your ride at the nearest dock"), tyre.text
    assert "I have a flat tyre" not in tyre.text
    # A question one sentence of a section answers still gets that sentence alone.
    code = ask(runtime, text, "What if the app cannot read the code?")
    assert code.text == (
        "If the app cannot read the code, type the four-digit bike number printed under it."
    ), code.text


def test_a_question_about_a_listed_section_gets_its_whole_list(runtime):
    """ "What was added in 3.2.0?" asks for the list under "### Added" of 3.2.0: its three
    items, not the two that scored first; a question one item answers gets that item."""
    text = page_text(RELEASE_NOTES, "notes.md")

    added = ask(runtime, text, "What was added in version 3.2.0?")
    assert added.text == (
        "\u2022 Export reports to Excel (.xlsx) as well as CSV.\n"
        "\u2022 Two-factor authentication with any TOTP app.\n"
        "\u2022 A dark theme, chosen under Settings > Appearance."
    ), added.text

    totp = ask(runtime, text, "Which app do I need for two-factor authentication?")
    assert totp.text == "\u2022 Two-factor authentication with any TOTP app.", totp.text


def test_a_cited_passage_shows_its_headings_bold_without_their_marks():
    from dashboard.common import passage_html

    shown = passage_html("# Kettle manual\n\n## Parts & care\n\nThe lid <clicks> shut. # 3 of 4")
    assert shown == (
        "<b>Kettle manual</b>\n\n<b>Parts &amp; care</b>\n\nThe lid &lt;clicks&gt; shut. # 3 of 4"
    )


def test_a_pdfs_headings_are_marked_by_their_type_size(count_tokens):
    """A PDF's headings are set larger than its text: marked by size, "# Staff handbook" over
    "## 2. Expenses" over "### Meals and hotels", so the second page, which starts inside the
    section, opens each of its chunks with the whole path."""
    from tests import pdfs

    pages = extract(pdfs.handbook_pdf(), "handbook.pdf").pages
    first = pages[0].text.split("\n\n")
    assert first[:4] == [
        "# Staff handbook",
        "## 1. Annual leave",
        "### Carrying over",
        pdfs.HANDBOOK_SECTIONS[0][2][0],
    ]
    assert "## 2. Expenses" in first and "### Meals and hotels" in first
    assert len(pages) == 2 and pages[1].text.startswith("Rule ")
    chunks = chunk_pages(pages, count_tokens=count_tokens)
    on_second = [c.text for c in chunks if c.page == 2]
    path = "# Staff handbook\n\n## 2. Expenses\n\n### Meals and hotels\n\nRule "
    assert on_second and all(text.startswith(path) for text in on_second), on_second


CONTRACT = (
    "Service agreement\n\n"
    "This Agreement is made on 2 February 2026 between Brightwater Cleaning Ltd, a company "
    'registered in Scotland (the "Contractor"), and Harbour View Hotel Ltd (the "Client").\n\n'
    "1. Services\n\n"
    "The Contractor will clean the Client's guest rooms every day between 9 am and 3 pm. The "
    "Contractor brings its own equipment, and the Contractor's staff wear its uniform.\n\n"
    "2. Termination\n\n"
    "The Client may end this Agreement at once if the Contractor fails two inspections in a row."
)


def test_who_a_term_stands_for_is_the_sentence_that_defines_it(runtime):
    """Contracts name their parties once and call them by a term after: "Who is the
    contractor?" got a sentence about what the Contractor does, not who it is."""
    answer = ask(runtime, CONTRACT, "Who is the contractor?")
    assert "Brightwater Cleaning Ltd" in answer.text, answer.text
    client = ask(runtime, CONTRACT, "Who is the client?")
    assert "Harbour View Hotel Ltd" in client.text, client.text
    # A term nobody defines is answered as before, by the sentences that use it.
    staff = ask(runtime, CONTRACT, "What do the contractor's staff wear?")
    assert "uniform" in staff.text and "Brightwater" not in staff.text, staff.text


def test_a_heading_that_holds_what_is_asked_answers(runtime):
    """Headings name what their section is about and never answer, unless one holds a figure
    the question does not: the release date in "## 3.1.0 (2026-06-15)"; and the heading over
    the answer's section tells what the answer does not, when asked when, or which version."""
    text = page_text(RELEASE_NOTES, "notes.md")

    released = ask(runtime, text, "When was 3.1.0 released?")
    assert released.text == "3.1.0 (2026-06-15)", released.text
    start, end = released.sources[0]["highlight"]
    assert text[start:end] == "3.1.0 (2026-06-15)"
    # A section's years are in its heading only.
    tesla = page_text(
        b"<h1>Nikola Tesla</h1><h2>Paris (1882-1884)</h2><p>He moved to Paris to work for the "
        b"Continental Edison Company.</p><h2>New York (1884-1943)</h2><p>He sailed to New York "
        b"with a letter of recommendation to Thomas Edison.</p>",
        "tesla.html",
    )
    years = ask(runtime, tesla, "When did Tesla live in New York?")
    assert "1884-1943" in years.text, years.text
    # A heading of words never answers ("### Added"); the release's heading above the item
    # tells when, on a line before it.
    dark = ask(runtime, text, "When was the dark theme added?")
    assert dark.text == (
        "3.2.0 (2026-10-02)\n\u2022 A dark theme, chosen under Settings > Appearance."
    ), dark.text
    assert [text[a:b] for a, b in dark.sources[0]["highlights"]] == [
        "3.2.0 (2026-10-02)",
        "\u2022 A dark theme, chosen under Settings > Appearance.",
    ]
    # Which release holds a change: its version, from the heading over the item.
    release = ask(runtime, text, "Which release added two-factor authentication?")
    assert release.text.startswith("3.2.0 (2026-10-02)\n"), release.text
    attach = ask(runtime, text, "In which version could receipts first be attached?")
    assert attach.text.startswith("3.1.0 (2026-06-15)\n"), attach.text
    # What an item tells itself takes no heading: a question asking nothing a heading tells.
    yen = ask(runtime, text, "What changed for amounts in Japanese yen?")
    assert yen.text.startswith("\u2022 Currency amounts in Japanese yen"), yen.text
    upgrade = ask(runtime, text, "How do I upgrade?")
    assert upgrade.text.startswith("Back up the database"), upgrade.text


def test_a_line_that_only_looks_like_a_heading_is_none():
    """A shell comment in a code block ("# the whole stack") or a paragraph opening "# of" is
    text, not a level-one heading closing every section above it: it is kept escaped and
    shown as written."""
    from dashboard.common import passage_html

    markdown = (
        b"# Tool\n\n## Install\n\nRun these:\n\n```sh\n# the whole stack\nmake run\n```\n\n"
        b"    # indented code\n\nThen sign in.\n"
    )
    text = page_text(markdown, "README.md")
    assert {text[a:b] for a, b in headings.heading_spans(text)} == {"# Tool", "## Install"}
    assert headings_above(text, "Then sign in") == ["# Tool", "## Install"]
    assert "\\# the whole stack" in text and "\\# indented code" in text
    page = b"<h1>Shop</h1><p># of items: 5</p><pre># install\nmake</pre><h2></h2><p>Done.</p>"
    html = page_text(page, "shop.html")
    assert html.split("\n\n") == ["# Shop", "\\# of items: 5", "\\# install", "make", "Done."]
    assert passage_html("\\# install\nmake") == "# install\nmake"


PLAIN_FAQ = b"""CityCycle questions and answers

How do I unlock a bike?
Open the CityCycle app, tap Scan and point your phone at the QR code on the handlebar. The lock
opens within five seconds. If the app cannot read the code, type the bike's number.

**Do I need a helmet?**

Helmets are not required by law for adults. Riders under 16 must wear a helmet.
"""


def test_an_faq_written_without_markup_answers_as_one_with_headings(runtime):
    """A question alone on its line above its answer titles the answer as a heading would, in
    plain text (a line break after it) as in Markdown (a bold line): the FAQ's answer opens
    with the app, not with a sentence that names the bike."""
    helmet = page_text(PLAIN_FAQ, "faq.md")
    assert headings_above(helmet, "Riders under 16")[-1] == "Do I need a helmet?"
    for name in ("faq.txt", "faq.md"):
        text = page_text(PLAIN_FAQ, name)
        assert headings_above(text, "Open the CityCycle app")[-1] == "How do I unlock a bike?"
        unlock = ask(runtime, text, "How do I unlock a bike?")
        assert unlock.text.startswith("Open the CityCycle app, tap Scan"), (name, unlock.text)
        assert "type the bike's number" in unlock.text, (name, unlock.text)


PRICES = b"""<html><body><h1>CityCycle</h1>
<p>CityCycle rents bikes across the city, from 120 docks.</p>
<h2>Plans and prices</h2>
<table><tr><th>Plan</th><th>Price</th></tr>
<tr><td>Pay as you go</td><td>1 EUR to unlock, then 0.20 EUR a minute</td></tr>
<tr><td>Day pass</td><td>9 EUR</td></tr>
<tr><td>Annual membership</td><td>89 EUR a year</td></tr></table>
<h2>Returning a bike</h2>
<p>Return the bike to any CityCycle dock.</p>
</body></html>"""


def test_a_question_about_a_tabled_section_gets_its_rows(runtime):
    """ "What are the prices?" asks for the table under "Plans and prices": its rows, not the
    one that scored first; a question one row answers gets that row."""
    text = page_text(PRICES, "prices.html")

    prices = ask(runtime, text, "What are the prices?")
    assert prices.text == (
        "Plan: Pay as you go; Price: 1 EUR to unlock, then 0.20 EUR a minute.\n"
        "Plan: Day pass; Price: 9 EUR.\nPlan: Annual membership; Price: 89 EUR a year."
    ), prices.text
    day = ask(runtime, text, "How much is a day pass?")
    assert day.text == "Plan: Day pass; Price: 9 EUR.", day.text


NEWS = b"""<html><head><title>Council approves new Riverside footbridge</title></head><body>
<header><p>The Marlow Gazette</p><nav><a href="/">Home</a></nav></header>
<article>
<h1>Council approves new Riverside footbridge</h1>
<p>By Priya Raman, 14 October 2026</p>
<p>Marlow city council voted 9 to 4 on Tuesday night to build a footbridge across the River
Wend.</p>
<aside><p>The vote was the council's closest this year.</p></aside>
</article>
<aside><h2>Most read</h2><ul><li>Fire at the old cinema</li></ul></aside>
<footer>&copy; 2026 The Marlow Gazette</footer>
</body></html>"""


def test_a_page_that_names_its_main_content_is_read_from_there():
    """A news page's banner, "Most read" sidebar and footer were read as the article's text
    ("Who is the mayor of Marlow?" got "The Marlow Gazette"), and its title twice: the
    <title>, then the <h1> that repeats it."""
    text = page_text(NEWS, "news.html")
    assert text.split("\n\n") == [
        "# Council approves new Riverside footbridge",
        "By Priya Raman, 14 October 2026",
        "Marlow city council voted 9 to 4 on Tuesday night to build a footbridge across the "
        "River Wend.",
        # An aside inside the article is the article's own.
        "The vote was the council's closest this year.",
    ]
    main = b"<title>Help</title><header>Site</header><main><p>Open the app.</p></main><footer>f"
    assert paragraphs(main, "help.html") == ["# Help", "Open the app."]
    # A page of several articles (a blog's front page) and no <main> is read whole.
    listing = b"<header><p>Blog</p></header><article><p>One.</p></article><article><p>Two."
    assert paragraphs(listing, "blog.html") == ["# Blog", "One.", "Two."]
    # An empty <main> leaves the rest of the page to read.
    empty = b"<main></main><p>Everything is outside.</p>"
    assert page_text(empty, "odd.html") == "Everything is outside."


README = b"""# tidepool

## Installation

tidepool needs Python 3.10 or newer.

```
pip install tidepool
```

## Quick start

```
tidepool init --bucket my-backups
tidepool push ~/Documents
```

The first push uploads everything.
"""


def test_a_command_is_never_a_heading(runtime):
    """Lines of code between a sentence and a heading had the shape of headings, so the
    command was never an answer: "How do I install tidepool?" got "tidepool needs Python
    3.10 or newer." alone. A line opening in lower case titles nothing."""
    text = page_text(README, "README.md")
    assert {text[a:b] for a, b in headings.heading_spans(text)} == {
        "# tidepool",
        "## Installation",
        "## Quick start",
    }
    answer = ask(runtime, text, "How do I install tidepool?")
    assert "pip install tidepool" in answer.text, answer.text


MAIL = b"""From: Laura Chen <laura.chen@example.com>
To: Facilities Team <facilities@example.com>
Date: Mon, 9 Nov 2026 09:14
Subject: Office move to the fourth floor

Hi all,

The move of the design team to the fourth floor is confirmed for Saturday 21 November. Movers
will arrive at 8:00.

From: Sam Whitfield <sam.whitfield@example.com>
To: Laura Chen <laura.chen@example.com>
Date: Mon, 9 Nov 2026 11:02
Subject: Re: Office move to the fourth floor

Will the large-format printer move too?
"""


def test_a_mails_subject_heads_its_message(runtime):
    """A saved mail thread opened with "From: ...", which titled every section of it, and its
    "Subject:" line was the answer to "When is the office move?". The subject heads its
    message; the other fields stay, as lines of their own."""
    text = page_text(MAIL, "thread.txt")
    assert text.startswith(
        "# Office move to the fourth floor\n\nFrom: Laura Chen <laura.chen@example.com>\n"
        "To: Facilities Team <facilities@example.com>\nDate: Mon, 9 Nov 2026 09:14\n\nHi all,"
    ), text
    assert headings_above(text, "Will the large-format") == [
        "# Re: Office move to the fourth floor"
    ]
    move = ask(runtime, text, "When is the office move?")
    assert move.text.startswith(
        "The move of the design team to the fourth floor is confirmed for Saturday 21 November."
    ), move.text
    # Labelled lines without a sender are a record's fields, neither a title nor a heading.
    fields = b"Name: Ada Lovelace\nSubject: Mathematics\n\nAda joined in 1843."
    assert page_text(fields, "card.txt").startswith("Name: Ada Lovelace\nSubject:")
    minutes = b"Committee meeting minutes\nDate: 14 March 2026\n\nThe meeting opened at six."
    assert page_text(minutes, "minutes.txt").startswith("# Committee meeting minutes")


def test_a_row_with_an_abbreviation_is_one_sentence():
    """ "Phone: ext. 300" ended a sentence at "ext.", so the row lost its number."""
    page = b"<table><tr><th>Topic</th><th>Phone</th></tr><tr><td>IT support</td><td>ext. 300</td>"
    text = page_text(page, "contacts.html")
    assert [s.text for s in split_sentences(text)] == ["Topic: IT support; Phone: ext. 300."]


STUDY = b"""Effects of a Four-Day School Week on Student Attendance

Results

Attendance improved most among students in grades 9 to 12. Teacher turnover fell from 17
percent to 12 percent.

Limitations

The districts chose to adopt the four-day week themselves, so they may differ from others in
ways we cannot observe. The study covers only four years, and we cannot say whether the effects
last.

Funding

This research was funded by the Calder Education Trust.
"""


def test_a_question_naming_a_section_gets_its_opening(runtime):
    """ "What are the limitations of the study?" asks for what "Limitations" says, not for
    its best sentence alone; a question about one fact of a section still gets that fact."""
    text = page_text(STUDY, "study.txt")
    limits = ask(runtime, text, "What are the limitations of the study?")
    assert limits.text == (
        "The districts chose to adopt the four-day week themselves, so they may differ from "
        "others in ways we cannot observe. The study covers only four years, and we cannot say "
        "whether the effects last."
    ), limits.text
    turnover = ask(runtime, text, "How much did teacher turnover fall?")
    assert turnover.text == "Teacher turnover fell from 17 percent to 12 percent.", turnover.text
    # A heading naming the situation asked about: its answer opens the section ("Call us"),
    # not its second sentence alone.
    card = page_text(
        b"<main><h1>Card help</h1><h2>Lost or stolen card</h2><p>Call us on 0800 123 456, day "
        b"or night. We will cancel the card and send a new one within 5 working days.</p>"
        b"<h2>Daily limits</h2><p>You can withdraw up to 500 euros a day.</p></main>",
        "help.html",
    )
    stolen = ask(runtime, card, "What should I do if my card is stolen?")
    assert stolen.text.startswith("Call us on 0800 123 456, day or night."), stolen.text
    # A first paragraph of one sentence goes on with the next: the command it announces.
    install = ask(runtime, page_text(README, "README.md"), "How do I install tidepool?")
    assert install.text == "tidepool needs Python 3.10 or newer. pip install tidepool", install.text


SAVED_ARTICLE = b"""<html><head><title>Lake Orvel - Wikipedia</title></head><body>
<header><nav><a href="/">Main page</a></nav><form><input name="search"></form></header>
<main id="content"><h1>Lake Orvel</h1>
<table class="infobox">
<tr><th colspan="2">Lake Orvel</th></tr>
<tr><th>Location</th><td>Haldor Province, Norland</td></tr>
<tr><th>Max. depth</th><td>212 m</td></tr>
</table>
<p>Lake Orvel is a glacial lake in Haldor Province.</p>
</main>
<footer>This page was last edited on 2 November 2026.</footer>
</body></html>"""


def test_a_saved_encyclopedia_page_reads_as_its_article():
    """A saved encyclopedia page: its title carries the site's name beside the article's
    heading, and its infobox opens with a row naming the subject that named every field
    ("Lake Orvel: Location; Haldor Province, Norland.")."""
    text = page_text(SAVED_ARTICLE, "lake.html")
    assert text.split("\n\n") == [
        "# Lake Orvel",
        "Lake Orvel",
        "Location: Haldor Province, Norland.",
        "Max. depth: 212 m.",
        "Lake Orvel is a glacial lake in Haldor Province.",
    ]
    # A title that only begins like the heading is a title of its own.
    other = b"<title>Lakes: a guide</title><main><h1>Lakes</h1><p>Water.</p></main>"
    assert paragraphs(other, "g.html") == [
        "# Lakes: a guide",
        "# Lakes",
        "Water.",
    ]


LIBRARY = b"""FERNLEAF COMMUNITY LIBRARY
==========================

Opening hours
-------------
Monday to Friday: 9:00 to 19:00
Saturday: 10:00 to 16:00
Sunday: closed

Borrowing
---------
Members may borrow up to 12 items at a time. Books are lent for three weeks.

-----

Late returns cost 20 pence per item per day.
"""


def test_underlined_titles_of_plain_text_are_headings(runtime):
    """Plain text underlines its titles ("Borrowing" over "---------"): the rule was read as
    words of the title ("Borrowing ---------"), the title as a paragraph of its own. A rule under
    no title parts paragraphs. "Sunday: closed", two words, is a labelled line that answers."""
    text = page_text(LIBRARY, "library.txt")
    assert text.split("\n\n") == [
        "# FERNLEAF COMMUNITY LIBRARY",
        "## Opening hours",
        "Monday to Friday: 9:00 to 19:00\nSaturday: 10:00 to 16:00\nSunday: closed",
        "## Borrowing",
        "Members may borrow up to 12 items at a time. Books are lent for three weeks.",
        "Late returns cost 20 pence per item per day.",
    ]
    assert headings_above(text, "Members may") == ["# FERNLEAF COMMUNITY LIBRARY", "## Borrowing"]
    sunday = ask(runtime, text, "Is the library open on Sunday?")
    assert sunday.text == "Sunday: closed", sunday.text
    # Lines ended as Windows ends them are the same lines.
    assert page_text(LIBRARY.replace(b"\n", b"\r\n"), "library.txt") == text
    # A title between two rules is a kind of its own, ranked by where it first appears.
    ruled = b"=====\nGuide\n=====\n\nIntro text here.\n\nPart one\n========\n\nMore text here."
    assert paragraphs(ruled, "g.txt") == [
        "# Guide",
        "Intro text here.",
        "## Part one",
        "More text here.",
    ]


def test_columns_aligned_with_spaces_are_a_tables_rows(runtime):
    """A plain-text price list set out in columns lost which price was which size ("Cappuccino
    2.90 3.40"): each line is a row named by the header's cells."""
    prices = (
        b"Harbour Cafe price list\n\n"
        b"Drink            Small    Large\n"
        b"Espresso         2.10     2.60\n"
        b"Cappuccino       2.90     3.40\n\n"
        b"Oat milk is 40 cents extra.\n"
    )
    text = page_text(prices, "prices.txt")
    assert text.split("\n\n") == [
        "# Harbour Cafe price list",
        "Drink: Espresso; Small: 2.10; Large: 2.60.",
        "Drink: Cappuccino; Small: 2.90; Large: 3.40.",
        "Oat milk is 40 cents extra.",
    ]
    large = ask(runtime, text, "How much is a large cappuccino?")
    assert large.text == "Drink: Cappuccino; Small: 2.90; Large: 3.40.", large.text
    # Labels padded to line their values up are fields, not a table's header and rows.
    card = b"Name:    Ada Lovelace\nRole:    Analyst\nTeam:    Engines\n\nAda joined in 1843."
    assert paragraphs(card, "card.txt") == [
        "Name: Ada Lovelace\nRole: Analyst\nTeam: Engines",
        "Ada joined in 1843.",
    ]
    # Sentences spaced twice after their stops are prose, not columns.
    prose = b"It rained.  We stayed in.\nThe roof leaked.  Nobody slept.\n"
    assert page_text(prose, "diary.txt") == (
        "It rained. We stayed in. The roof leaked. Nobody slept."
    )


def test_columns_with_wrapped_cells_and_a_ruled_header_are_a_tables_rows(runtime):
    """Plain text's tables as manuals and mails set them: indented, a cell wrapped onto a line
    of its own in its column, a header over a rule (with figures in it: "Arden 1.5"), a header
    of three lines over a rule across the page. They ran together into one paragraph ("Fuel
    tank 50 L 43 L Air conditioning ..."), so "How big is the hybrid's fuel tank?" was not
    found and a diary's dates ran into each other's events."""
    manual = (
        b"Fluid capacities\n\n"
        b"  Item                              Arden 1.5      Arden 1.5 Hybrid\n"
        b"  --------------------------------  -------------  ----------------\n"
        b"  Engine coolant (total)            6.1 L          7.4 L (incl.\n"
        b"                                                   inverter circuit)\n"
        b"  Brake fluid                       approx. 0.8 L  approx. 0.8 L\n"
        b"  Fuel tank                         50 L           43 L\n\n"
        b"Service interval        12k mi   24k mi\n"
        b"(months)                 (12)     (24)\n"
        b"-----------------------------------------\n"
        b"Engine oil and filter     R        R\n"
        b"Hybrid battery cooling    -        C\n"
        b"  intake filter (Hybrid)\n"
        b"-----------------------------------------\n"
    )
    assert paragraphs(manual, "manual.txt") == [
        "# Fluid capacities",
        "Item: Engine coolant (total); Arden 1.5: 6.1 L; "
        "Arden 1.5 Hybrid: 7.4 L (incl. inverter circuit).",
        "Item: Brake fluid; Arden 1.5: approx. 0.8 L; Arden 1.5 Hybrid: approx. 0.8 L.",
        "Item: Fuel tank; Arden 1.5: 50 L; Arden 1.5 Hybrid: 43 L.",
        "Service interval (months): Engine oil and filter; 12k mi (12): R; 24k mi (24): R.",
        "Service interval (months): Hybrid battery cooling intake filter (Hybrid); "
        "12k mi (12): -; 24k mi (24): C.",
    ]
    text = page_text(manual, "manual.txt")
    tank = ask(runtime, text, "How big is the fuel tank on the hybrid?")
    assert tank.text == "Item: Fuel tank; Arden 1.5: 50 L; Arden 1.5 Hybrid: 43 L.", tank.text
    diary = (
        b"DATES FOR YOUR DIARY\n\n"
        b"  Fri 14 Feb       Non-uniform day (\xc2\xa31 donation for the Food\n"
        b"                   Bank); school closes for half term at 3:15 pm\n"
        b"  17-21 Feb        HALF TERM - school closed\n"
        b"  Mon 24 Feb       School reopens\n"
    )
    assert paragraphs(diary, "news.txt")[1:] == [
        "Fri 14 Feb: Non-uniform day (\u00a31 donation for the Food Bank); school closes for "
        "half term at 3:15 pm.",
        "17-21 Feb: HALF TERM - school closed.",
        "Mon 24 Feb: School reopens.",
    ]
    # A header of words holding figures ("7-bit address") over a column of figures.
    addresses = b"ADD0 pin     7-bit address (hex)\nGND          0x48\nV+           0x49\n"
    assert paragraphs(addresses, "pins.txt") == [
        "ADD0 pin: GND; 7-bit address (hex): 0x48.",
        "ADD0 pin: V+; 7-bit address (hex): 0x49.",
    ]
    # Text whose lines merely hold two spaces somewhere is not set out in columns.
    prose = (
        b"The ferry leaves at nine  and returns at six.\n"
        b"Book ahead  in summer, as it fills.\n"
        b"Bicycles travel  free of charge.\n"
    )
    assert paragraphs(prose, "ferry.txt") == [
        "The ferry leaves at nine and returns at six. Book ahead in summer, as it fills. "
        "Bicycles travel free of charge."
    ]


def test_a_tables_header_cells_name_the_cells_after_them_in_their_row(runtime):
    """A recipe card sets its facts as pairs in a row ("<th>Prep Time</th><td>20 mins</td>
    <th>Cook Time</th>..."): the row read "Prep Time; 20 mins; Cook Time; 55 mins.", which
    fact went with which figure lost."""
    card = (
        b"<h1>Pear loaf</h1><table>"
        b"<tr><th>Prep Time</th><td>20 mins</td><th>Cook Time</th><td>55 mins</td></tr>"
        b"<tr><th>Cooling Time</th><td>30 mins</td><th>Total Time</th><td>1 hr 45 mins</td></tr>"
        b"<tr><th>Author</th><td colspan=3>Ffion Pryce</td></tr></table>"
    )
    assert paragraphs(card, "loaf.html") == [
        "# Pear loaf",
        "Prep Time: 20 mins; Cook Time: 55 mins.",
        "Cooling Time: 30 mins; Total Time: 1 hr 45 mins.",
        "Author: Ffion Pryce.",
    ]
    text = page_text(card, "loaf.html")
    total = ask(runtime, text, "What is the total time for the loaf?")
    assert "Total Time: 1 hr 45 mins" in total.text, total.text
    # Under a header row, a row's first header cell is its name, as before.
    hours = (
        b"<table><tr><th>Day</th><th>Hours</th></tr><tr><th>Monday</th><td>9-5</td></tr></table>"
    )
    assert paragraphs(hours, "hours.html") == ["Day: Monday; Hours: 9-5."]


def test_a_fact_box_of_bold_labels_reads_as_labelled_lines(runtime):
    """A careers page sets its key facts as bold labels flush against their values, laid out
    side by side by its style sheet: they read "LocationManchester … TeamData Platform", so
    "How many days a week in the office?" was not found; and its title, whose own name holds
    a dash before the site's name, came twice."""
    page = (
        "<html><head><title>Data Engineer \u2013 Logistics | Careers at Brightline</title>"
        "</head><body><main><h1>Data Engineer \u2013 Logistics</h1><div class='facts'>"
        "<strong>Location</strong><span>Manchester, hybrid \u2013 2 days per week in the "
        "office</span><strong>Salary</strong><span>\u00a368,000 per year</span></div>"
        "<p>You will <b>build</b> <span>pipelines</span> for our depots.</p></main></body></html>"
    ).encode()
    assert paragraphs(page, "job.html") == [
        "# Data Engineer \u2013 Logistics",
        "Location: Manchester, hybrid \u2013 2 days per week in the office\n"
        "Salary: \u00a368,000 per year",
        "You will build pipelines for our depots.",
    ]
    text = page_text(page, "job.html")
    office = ask(runtime, text, "How many days a week would I need to be in the office?")
    assert "2 days per week" in office.text, office.text


def test_a_mails_quoted_replies_read_as_the_text_they_quote(runtime):
    """A saved thread quotes each earlier mail under "> " marks: the quoted mails ran into one
    paragraph ("> -----Original Message----- > From: Priya Raman > Sent: … > Hi Hannah,"),
    their headers unread, so "When will Priya arrive?" found a line of another document."""
    thread = (
        b"From: Hannah Okafor <hannah@example.com>\nSubject: RE: Q2 offsite\n\n"
        b"Hi all, we are confirmed at Wychcombe Mill.\n\n"
        b"> -----Original Message-----\n"
        b"> From: Priya Raman <priya@example.com>\n"
        b"> Sent: Thursday, May 8, 2025 11:16 AM\n"
        b"> Subject: RE: Q2 offsite\n"
        b">\n"
        b"> I have a hospital appointment on the Tuesday morning, so I will drive down\n"
        b"> separately and aim to arrive around 1pm in time for the retro.\n"
        b">\n"
        b">> Mill looks amazing, +1 from me.\n"
    )
    assert paragraphs(thread, "thread.txt") == [
        "# RE: Q2 offsite",
        "From: Hannah Okafor <hannah@example.com>",
        "Hi all, we are confirmed at Wychcombe Mill.",
        "# RE: Q2 offsite",
        "From: Priya Raman <priya@example.com>\nSent: Thursday, May 8, 2025 11:16 AM",
        "I have a hospital appointment on the Tuesday morning, so I will drive down separately "
        "and aim to arrive around 1pm in time for the retro.",
        "Mill looks amazing, +1 from me.",
    ]
    text = page_text(thread, "thread.txt")
    arrives = ask(runtime, text, "What time is Priya expected to arrive?")
    assert "arrive around 1pm" in arrives.text, arrives.text
    # A subject's "Q2" is part of a name, not a figure the heading tells (a heading that
    # tells one may answer: "## 3.1.0 (2026-06-15)" for "When was 3.1.0 released?").
    assert not sentence_roles.new_figures("# RE: Q2 offsite", "What dates is the offsite?")
    assert sentence_roles.new_figures("## 3.1.0 (2026-06-15)", "When was 3.1.0 released?")


def test_a_pdfs_bold_lines_head_its_sections_and_its_page_numbers_are_dropped():
    """A report set in one size, its sections headed by bold lines: "Chair's welcome" ran into
    the paragraph under it, its short paragraphs ran into each other (their gap was the page's
    usual step), and each page's numbered foot stayed in the text, a two-page document having
    too few pages for running lines."""
    from tests import pdfs

    pages = extract(pdfs.bold_report_pdf(), "report.pdf").pages
    (welcome, finances), (people,) = pdfs.REPORT_SECTIONS[:2], pdfs.REPORT_SECTIONS[2:]
    assert pages[0].text.split("\n\n") == [
        "# Greenway Trust Annual Report 2025",
        "## Chair's welcome",
        *welcome[1],
        "## Finances",
        *finances[1],
    ]
    assert pages[1].text.split("\n\n") == ["## Our people", *people[1]]


def test_a_pdfs_table_reads_as_rows_named_by_its_header(runtime):
    """A PDF's table printed cell by cell read as its cells run together ("Events 170,400
    12%"): "What share of income came from events?" was not found. Two columns of prose
    printed line by line across the page are not a table: they read column by column."""
    from tests import pdfs

    (page,) = extract(pdfs.table_pdf(), "income.pdf").pages
    paragraphs = page.text.split("\n\n")
    rows = [
        "Source: Donations; Amount (pounds): 823,600; Share: 58%.",
        "Source: Grants; Amount (pounds): 426,000; Share: 30%.",
        "Source: Events; Amount (pounds): 170,400; Share: 12%.",
    ]
    assert paragraphs[1:5] == [*rows, "Spending rose to 1.18 million pounds."]
    # A header whose labels are centred over their columns names them too.
    (centred,) = extract(pdfs.table_pdf(centred=True), "income.pdf").pages
    assert centred.text.split("\n\n")[1:4] == rows
    # Two columns printed line by line read a column after the other, not across.
    assert paragraphs[5:] == [
        " ".join(left for left, _ in pdfs.COLUMNS_PROSE),
        " ".join(right for _, right in pdfs.COLUMNS_PROSE),
    ]
    answer = ask(runtime, page.text, "What share of income came from events?")
    assert answer.text == "Source: Events; Amount (pounds): 170,400; Share: 12%.", answer.text


def test_a_pdfs_fact_box_reads_as_labelled_lines(runtime):
    """A syllabus opens with a box of labels and their values, printed a label and its value
    to a line: it read as two columns of prose, the labels first ("Lectures Instructor Office
    hours ...") and the values after, so "Who teaches the course?" got a sentence ending in a
    colon."""
    from tests import pdfs

    (page,) = extract(pdfs.fact_box_pdf(), "syllabus.pdf").pages
    parts = page.text.split("\n\n")
    assert parts[1:5] == [
        "Lectures: Tuesday and Thursday, 10:05-11:20 AM, Bracken Hall 118.",
        "Instructor: Dr. Marisol Echeverria-Hunt.",
        "Office hours: Mondays 1:30-3:00 PM and Thursdays 11:30 AM-12:30 PM, or by appointment.",
        "Prerequisites: MATH 1210 (Calculus I).",
    ]
    # A numbered list's numbers are no labels.
    assert "Apply Darcy's law to wells." in page.text and "2.:" not in page.text
    teacher = ask(runtime, page.text, "Who is the instructor?")
    assert teacher.text == "Instructor: Dr. Marisol Echeverria-Hunt.", teacher.text


def test_a_page_without_landmark_elements_leaves_out_the_sites_parts():
    """An older page marks its site's parts by their names and roles only ("site-footer",
    role="banner"): they were read as the document's text."""
    page = (
        b'<div role="banner">Harbour News</div><div id="cookie-notice">We use cookies.</div>'
        b'<div class="content"><h1>Ferry times</h1><p>The first ferry leaves at 6:40.</p>'
        b'<div class="sidebar">Most read: Fire at the old cinema</div></div>'
        b'<div class="site-footer">Copyright 2026</div>'
    )
    assert paragraphs(page, "ferry.html") == ["# Ferry times", "The first ferry leaves at 6:40."]
    # A name that only looks like the site's, on what holds the whole page, leaves out the
    # menus only.
    wrapped = (
        b'<nav>Home</nav><div class="layout has-sidebar"><h1>Ferry times</h1><p>The first '
        b"ferry leaves at 6:40.</p></div>"
    )
    assert paragraphs(wrapped, "ferry.html") == ["# Ferry times", "The first ferry leaves at 6:40."]


def test_a_self_closing_line_break_is_a_line_break():
    """ "<br/>" parted paragraphs where "<br>" breaks a line: an address's lines read as
    paragraphs apart, the name away from its street."""
    closed = paragraphs(b"<p>Kestrel Bank<br/>12 Quay Street<br/>Dublin 2</p>", "a.html")
    assert closed == paragraphs(b"<p>Kestrel Bank<br>12 Quay Street<br>Dublin 2</p>", "a.html")
    assert closed[0].startswith("Kestrel Bank 12 Quay Street")
    # Markdown's line break written as a backslash ending the line is no text.
    broken = paragraphs(b"Kestrel Bank\\\n12 Quay Street\n", "a.md")
    assert broken == ["Kestrel Bank 12 Quay Street"]


PLANS = b"""# Cloudbox plans

Cloudbox has two plans.

- Basic plan, 4 euros a month
  - 100 GB of storage
  - Support by email within two days
- Premium plan, 12 euros a month
  - 2 TB of storage
  - Support by phone, every day from 8:00 to 20:00
"""


def test_a_nested_lists_items_belong_to_the_item_above_them(runtime):
    """A list inside a list's item was read flat: "2 TB of storage" did not say which plan it
    is, and an answer joined items of two plans ("Support by email ... Premium plan, 12
    euros")."""
    text = page_text(PLANS, "plans.md")
    assert text.split("\n\n")[2:5] == [
        "\u2022 Basic plan, 4 euros a month",
        "\u25e6 100 GB of storage",
        "\u25e6 Support by email within two days",
    ]
    html = b"<ul><li>Basic plan<ul><li>100 GB of storage</li></ul></li><li>Premium plan</li></ul>"
    assert paragraphs(html, "plans.html") == [
        "\u2022 Basic plan",
        "\u25e6 100 GB of storage",
        "\u2022 Premium plan",
    ]
    for question, answer in (
        ("How much storage does the Premium plan have?", "\u25e6 2 TB of storage"),
        ("How much storage does the Basic plan include?", "\u25e6 100 GB of storage"),
        ("What support does the Basic plan have?", "\u25e6 Support by email within two days"),
        ("How much is the Premium plan?", "\u2022 Premium plan, 12 euros a month"),
    ):
        assert ask(runtime, text, question).text == answer, question


def test_a_table_that_lays_out_the_page_reads_as_its_blocks():
    """An old site sets its page out in a table: its menu and its text were one row read as
    "Home Team: Opening hours We are open ...", headings and paragraphs lost. A table whose
    cells hold headings, lists or paragraphs lays the page out; a table of data inside it is
    still read as rows."""
    page = (
        b"<title>Smith Family Dental</title><table><tr><td><a href=/>Home</a></td><td>"
        b"<h1>Opening hours</h1><p>We are open Monday to Friday from 8:00 to 18:00.</p>"
        b"<h2>Prices</h2><table><tr><th>Treatment</th><th>Price</th></tr>"
        b"<tr><td>Check-up</td><td>45 euros</td></tr><tr><td>Cleaning</td><td>60 euros</td></tr>"
        b"</table></td></tr></table>"
    )
    assert paragraphs(page, "dental.html") == [
        "# Smith Family Dental",
        "Home",
        "# Opening hours",
        "We are open Monday to Friday from 8:00 to 18:00.",
        "## Prices",
        "Treatment: Check-up; Price: 45 euros.",
        "Treatment: Cleaning; Price: 60 euros.",
    ]


def test_a_word_processors_table_is_headed_by_its_bold_row():
    """A word processor saves a table's header as cells in bold, not <th>: the header read as
    a row of its own ("Room: Per night.") and named no column."""
    page = (
        b"<p>Prices for 2026:</p><table border=1><tr><td><p><b>Room</b></p></td><td><p><b>Per "
        b"night</b></p></td></tr><tr><td><p>Single</p></td><td><p>85 euros</p></td></tr>"
        b"<tr><td><p>Double</p></td><td><p><strong>120</strong> euros</p></td></tr></table>"
    )
    assert paragraphs(page, "prices.html") == [
        "Prices for 2026:",
        "Room: Single; Per night: 85 euros.",
        "Room: Double; Per night: 120 euros.",
    ]


def test_a_data_tables_cell_of_two_paragraphs_keeps_it_a_table():
    """A word processor sets a cell's lines as paragraphs: two in a cell keep the table one of
    data, its rows named by its header."""
    page = (
        b"<table><tr><th>Office</th><th>Address</th></tr><tr><td>Dublin</td><td><p>12 Quay "
        b"Street</p><p>Dublin 2</p></td></tr><tr><td>Cork</td><td><p>4 Mill Lane</p></td></tr>"
        b"</table>"
    )
    assert paragraphs(page, "offices.html") == [
        "Office: Dublin; Address: 12 Quay Street Dublin 2.",
        "Office: Cork; Address: 4 Mill Lane.",
    ]


def test_a_statements_rows_read_under_the_columns_their_amounts_stand_in(runtime):
    """A bank statement's row gives an amount paid out or one paid in, never both, set flush
    right under its column: the rows with an empty column fell out of the table (read as
    their pieces run together) and a wider amount was read into the column before its own.
    And its box of labels and values opens with "Account name" beside the holder's name, which
    headed the box as if a table's header ("Account name: Sort code; MR M J BELL: 40-17-62")."""
    from tests import pdfs

    (page,) = extract(pdfs.statement_pdf(), "statement.pdf").pages
    parts = page.text.split("\n\n")
    assert parts[:2] == ["Account name: MR MARCUS J BELL.", "Sort code: 40-17-62."]
    assert parts[4:] == [
        "Date: 01 Sep; Description: BALANCE BROUGHT FORWARD; Balance: 1,284.36.",
        "Date: 02 Sep; Description: DD THAMES WATER UTILITIES; Paid out: 38.50; Balance: 1,245.86.",
        "Date: 03 Sep; Description: SO MRS J OKONKWO RENT SHARE; Paid in: 450.00; "
        "Balance: 1,695.86.",
        "Date: 12 Sep; Description: SO GREYSTONE LETTINGS RENT; Paid out: 1,950.00; "
        "Balance: 254.14 OD.",
        "Date: 27 Sep; Description: BANK GIRO CREDIT KESTREL ANALYTICS SALARY; "
        "Paid in: 2,614.83; Balance: 2,360.69.",
    ]
    salary = ask(runtime, page.text, "How much was paid in by Kestrel Analytics?")
    assert "2,614.83" in salary.text, salary.text


DOSES = """How to give Febrelief

Shake the bottle well before use. Leave at least 6 hours between doses.

Age of child      How much                   How often in 24 hours
6-11 months       2.5 ml                     3 to 4 times
1-3 years         5 ml                       3 times
4-6 years         7.5 ml (5 ml + 2.5 ml)     3 times
7-9 years         10 ml (5 ml + 5 ml)        3 times

Not suitable for children under 3 months.
"""


def test_a_header_with_a_figure_heads_a_column_of_figures_in_words(runtime):
    """A leaflet's dosage table is headed "How often in 24 hours": a figure, so its first row
    was no header unless figures alone stood under one of its labels, and "7.5 ml (5 ml + 2.5
    ml)" is more letters than figures. Under "Age of child" every cell holds a figure, and the
    label none: the first row heads the table, and "How much for a 5 year old?" finds its row."""
    text = page_text(DOSES.encode(), "leaflet.txt")
    assert (
        "Age of child: 4-6 years; How much: 7.5 ml (5 ml + 2.5 ml); How often in 24 hours: "
        "3 times." in text.split("\n\n")
    ), text
    dose = ask(runtime, text, "What dose should an 8 year old child have, how much?")
    assert "10 ml" in dose.text, dose.text


def test_a_heading_opening_a_page_is_not_run_into_the_page_before():
    """A list of ingredients ends its page with no full stop, so its last line seemed to run
    on into the next page: that page opens with the bold heading "Method", which was read on
    as "Small bunch fresh coriander, to serve ## Method". The heading opens its own page."""
    from tests import pdfs

    first, second = extract(pdfs.recipe_over_pages_pdf(), "recipe.pdf").pages
    assert first.text.endswith("- Small bunch fresh coriander, to serve"), first.text
    assert second.text.split("\n\n")[0].endswith(" Method"), second.text
    assert second.text.split("\n\n")[0].startswith("#"), second.text


BANDS = """Council Tax bands

Band   Value at 1 April 1991   Proportion of Band D   Charge 2026/27 (£)
A      Up to £40,000           6/9                    1,670.94
B      £40,001 - £52,000       7/9                    1,949.43
C      £52,001 - £68,000       8/9                    2,227.92
"""


def test_a_header_naming_its_year_heads_its_table(runtime):
    """"Charge 2026/27 (£)" holds as many figures as letters, so the first row was read as a
    row like the others ("A; Up to £40,000; 6/9; 1,670.94."), and nothing told what "A" or
    "1,670.94" was. A label opening with a word names its column, figures after it and all:
    "How much would a Band A house pay?" finds the row."""
    text = page_text(BANDS.encode(), "bands.txt")
    assert (
        "Band: A; Value at 1 April 1991: Up to £40,000; Proportion of Band D: 6/9; "
        "Charge 2026/27 (£): 1,670.94." in text.split("\n\n")
    ), text
    answer = ask(runtime, text, "How much would a Band A house pay this year?")
    assert answer.text.startswith("Band: A;"), answer.text


def test_a_timetables_times_read_under_the_days_their_group_of_columns_runs(runtime):
    """A timetable heads its columns of times by groups ("Monday to Friday" centred over three
    journeys, "Saturday" over two), with "Stop" over the stops and a mark over one journey:
    its rows read as a stop and nine times in a row, so nothing told a Saturday's times from a
    weekday's; and a row whose "—" (not served) stood centred broke the table."""
    from tests import pdfs

    (page,) = extract(pdfs.timetable_pdf(), "timetable.pdf").pages
    assert page.text.split("\n\n")[1:4] == [
        "Stop: Kettlewell, Car Park; Monday to Friday: -, 10:25, 16:05; Saturday: 09:40, 17:25.",
        "Stop: Kilnsey, Tennant Arms; Monday to Friday: 07:53, 10:33, 16:13; Saturday: 09:48, "
        "17:33.",
        "Stop: Grassington, Centre; Monday to Friday: 08:08, 10:48, 16:28; Saturday: 10:03, 17:48.",
    ]
    saturday = ask(runtime, page.text, "When do Saturday buses leave Kilnsey?")
    assert "09:48, 17:33" in saturday.text, saturday.text


def test_a_timetables_wrapped_cells_and_centred_labels_read_under_their_columns(runtime):
    """A word processor's timetable: sessions set flush left in their columns, a session's
    name wrapped under its times with each cell centred on its row (a one-line cell between
    the two lines of a wrapped one), labels centred over the columns and two of them wrapped,
    some columns left empty. Rows with an empty column fell out of the table, a wrapped label
    lost its second line, and a header label holding figures ("Junior (4-16)") left its table
    unnamed."""
    from tests import pdfs

    (page,) = extract(pdfs.pool_pdf(), "pool.pdf").pages
    assert page.text.split("\n\n")[1:5] == [
        "Day: Monday; Early lane swim: 06:30-08:30; Morning: 09:00-10:00 Aqua Fit; Lunchtime "
        "lanes: 12:00-13:30; Evening: 17:00-19:00 Swim School.",
        "Day: Tuesday; Early lane swim: 06:30-08:30; Morning: 09:00-11:00 Over 60s; Evening: "
        "20:00-21:30 Adults Only.",
        "Day: Wednesday; Early lane swim: 06:30-08:30; Lunchtime lanes: 12:00-13:30; Evening: "
        "18:00-20:00 Otters Swimming Club.",
        "Day: Saturday; Early lane swim: 07:00-09:00; Morning: 09:00-12:00 Swim School.",
    ]
    otters = ask(runtime, page.text, "When does the Otters swimming club train on Wednesday?")
    assert "18:00-20:00" in otters.text, otters.text
    # Its prices, under labels centred over their columns, one holding figures.
    assert page.text.split("\n\n")[5:8] == [
        "Session: Public swim; Adult: £5.40; Junior (4-16): £3.20.",
        "Session: Family swim (2 adults + 2 children); Adult: £15.00.",
        "Session: Aqua fit; Adult: £6.80; Junior (4-16): £5.10.",
    ]


def test_a_pdf_lists_marks_set_apart_are_no_table_and_a_label_keeps_one_colon():
    """A word processor sets a list's mark or number apart from its item: "- 25 g butter"
    read as a table of two columns ("-: 25 g butter."), and numbered steps ran into the box
    of labels below them ("1.: Heat the oven …"); a label with its own colon got a second
    ("Serves:: 6.")."""
    from tests import pdfs

    text = page_text(pdfs.recipe_pdf(), "recipe.pdf")
    assert "\n".join(f"- {item}" for item in pdfs.INGREDIENTS) in text
    steps = "\n".join(f"{n}. {step}" for n, step in enumerate(pdfs.METHOD, 1))
    assert f"\n{steps}\n" in text
    assert text.endswith("Serves: 6.\n\nOven: 200 C.\n\nFreezes: Yes, for a month.")


def test_a_box_of_label_and_value_pairs_reads_pair_by_pair(runtime):
    """A report's box of details, two labels each beside its value to a row ("Report No.",
    "HHP-24-1187", "Date of visit", "14 October 2024"): two rows ran together as one line of
    words, and such rows in a longer box read as four cells apart by semicolons."""
    from tests import pdfs

    text = page_text(pdfs.service_report_pdf(), "report.pdf")
    assert text.split("\n\n")[1:3] == [
        "Report No.: HHP-24-1187; Date of visit: 14 October 2024.",
        "Customer: Mrs Joanne Pickering; Engineer: Darren Whitlock.",
    ]
    engineer = ask(runtime, text, "Which engineer did the visit?")
    assert "Darren Whitlock" in engineer.text, engineer.text


def test_a_line_opening_with_a_dash_is_no_heading(runtime):
    """A letter's signature under it ("– Bernadette Quinlan, Chair") stood between two
    headings in a passage, so it was read as one and never answered."""
    text = page_text(
        "# The Orchard Lane Echo\n\n## From the Chair\n\nWelcome to the spring issue. It has "
        "been a busy winter for the committee.\n\n– Bernadette Quinlan, Chair\n\n"
        "## Traffic calming\n\nWork on the speed cushions begins on 12 May.\n".encode(),
        "echo.md",
    )
    spans = {text[a:b] for a, b in headings.heading_spans(text)}
    assert "– Bernadette Quinlan, Chair" not in spans and "## Traffic calming" in spans
    chunk = text[text.index("## From the Chair") :]
    assert "– Bernadette Quinlan, Chair" not in {
        chunk[a:b] for a, b in headings.heading_spans(f"# The Orchard Lane Echo\n\n{chunk}")
    }
    chair = ask(runtime, text, "Who is the chair of the residents' association?")
    assert "Bernadette Quinlan" in chair.text, chair.text


TIME_TRIAL = """Wensum Valley Wheelers newsletter

RESULTS: CLUB 10-MILE TIME TRIAL, SATURDAY 1 MARCH 2025
--------------------------------------------------------

Course B10/27, Lenwade to Great Witchingham and back. Cold and dry, light wind.

Pos  Rider              Category    Time
---  -----------------  ----------  -----
 1   Tom Harrold        Senior      21:47
 2   Ellie Braithwaite  Senior (W)  22:31
 3   Martin Cuthbert    Vet 50      23:08

Tom Harrold's 21:47 is a personal best by 19 seconds.
"""


def test_a_heading_answers_only_with_a_figure_of_what_is_asked(runtime):
    """A heading holding a figure the question lacks may answer ("When was the time trial?"
    by its date), but not a question asking something else: "What was the fastest time …?"
    got the results' heading, its date the figure, over the rows and the sentence with the
    time."""
    text = page_text(TIME_TRIAL.encode(), "newsletter.txt")
    fastest = ask(runtime, text, "What was the fastest time in the 10 mile time trial?")
    assert "21:47" in fastest.text, fastest.text
    held = ask(runtime, text, "When was the club 10-mile time trial?")
    assert "1 MARCH 2025" in held.text, held.text


EVENT = b"""<html><head><title>Northern Data Day 2024 - Programme</title></head><body>
<header class="site"><a href="/">Home</a></header>
<header class="hero"><nav><a href="#programme">Programme</a><a href="#venue">Venue</a></nav>
<h1>Northern Data Day 2024</h1>
<p>Thursday 17 October 2024 at The Engine Works, Newcastle upon Tyne</p></header>
<main><h2>Welcome</h2><p>Now in its sixth year, Northern Data Day brings together around 350
people from public services and start-ups.</p></main>
<footer>Northern Data Day is run by volunteers.</footer></body></html>"""


def test_a_pages_title_block_above_its_main_content_is_read():
    """An event's page sets its heading and its date in a hero header above <main>: only
    <main> was read, so its date was nowhere in the text ("What date is Northern Data Day?"
    got the page's <title>). The header that holds the <h1> is read when <main> holds none;
    the site's banner and menus are not."""
    assert paragraphs(EVENT, "event.html") == [
        "# Northern Data Day 2024",
        "Thursday 17 October 2024 at The Engine Works, Newcastle upon Tyne",
        "## Welcome",
        "Now in its sixth year, Northern Data Day brings together around 350 people from "
        "public services and start-ups.",
        # What the footer says of the event comes after the page's own text.
        "Northern Data Day is run by volunteers.",
    ]


PARAMETERS = b"""<html><body><h2>Create a shipment</h2>
<p>Send a POST request to /v2/shipments with these fields.</p>
<table><tr><th>Name</th><th>Type</th><th>Required</th><th>Description</th></tr>
<tr><td>weight_grams</td><td>integer</td><td>Yes</td><td>Total parcel weight in grams.
Minimum 1, maximum 30000.</td></tr>
<tr><td>limit</td><td>integer</td><td>No</td><td>Number of results per page, from 1 to 100.
Default 25.</td></tr></table></body></html>"""


def test_a_table_row_is_one_sentence_whatever_its_cells_hold():
    """A row whose description cell holds two sentences was cut in two: "Minimum 1, maximum
    30000." stood apart from the row it belongs to, and an answer showed the row without it."""
    text = page_text(PARAMETERS, "api.html")
    row = (
        "Name: weight_grams; Type: integer; Required: Yes; Description: Total parcel weight in "
        "grams. Minimum 1, maximum 30000."
    )
    assert row in [span.text for span in split_sentences(text)]
    assert "Default 25." not in [span.text for span in split_sentences(text)]
    # Prose whose clauses hold colons is no row.
    prose = "The Normans (Norman: Nourmands; French: Normands) were a people. They settled."
    assert len(split_sentences(prose)) == 2


SABBATICAL = """## Sabbaticals

After five years' continuous service, you may apply for an unpaid sabbatical of between one
and three months. Applications go to the Managing Director, Callum Ferreira, at least six
months before the intended start date. Only one sabbatical can be taken in any five-year
period.
"""


def test_the_next_sentence_joins_an_answer_that_lacks_what_is_asked(runtime):
    """"Who do I apply to for a sabbatical?" was answered with the sentence about applying,
    which names no one; the next sentence, which names the person, was left out."""
    text = page_text(SABBATICAL.encode(), "handbook.md")
    who = ask(runtime, text, "Who do I apply to if I want to take a sabbatical?")
    assert "Callum Ferreira" in who.text, who.text
    # A question that asks no one's name keeps the one sentence.
    how_long = ask(runtime, text, "How long can a sabbatical be?")
    assert how_long.text.startswith("After five years") and "Ferreira" not in how_long.text


def test_a_table_printed_cell_by_cell_with_wrapped_cells_reads_as_rows(runtime):
    """A word processor's PDF prints a table's row cell by cell, each cell's lines before the
    next cell's, so a cell too long for its column ("Reporting absence," over "lateness, leave
    requests") came out as lines of pieces from several cells, and the rows read as runs of
    words. Its rows now read whole under the header's names."""
    from tests import pdfs

    (page,) = extract(pdfs.contacts_pdf(), "policy.pdf").pages
    assert page.text.split("\n\n")[1:3] == [
        "Role: Attendance Officer; Name: Mrs Joanne Pike; Contact about: Reporting absence, "
        "lateness, leave requests; How to reach them: 01632 960418 (option 1).",
        # The cell's own semicolon is written as a comma: the row's "; " parts cells only.
        "Role: Head teacher; Name: Mr Daniel Osei; Contact about: Exceptional leave requests, "
        "appeals; How to reach them: Via the school office, 01632 960418 (option 3).",
    ]
    appeals = ask(runtime, page.text, "Who do I contact about an appeal?")
    assert "Mr Daniel Osei" in appeals.text, appeals.text


def test_a_table_whose_cells_are_centred_on_their_rows_reads_row_by_row():
    """A row whose first cell wraps ("Student (with valid NUS", then "or university ID)"
    beside the row's other cells, set halfway down) read as a line of its own, and every row
    after it without the header's names ("Senior (aged 65 and over) As Premium … £27.00")."""
    from tests import pdfs

    (page,) = extract(pdfs.members_pdf(), "terms.pdf").pages
    rows = page.text.split("\n\n")[1:]
    assert rows[2] == (
        "Membership: Student (with valid NUS or university ID); Access: As Standard; "
        "Monthly: £22.50; Annual: £225; Joining fee: £0."
    ), page.text
    assert rows[3].startswith("Membership: Senior (aged 65 and over); Access: As Premium")
    assert rows[4] == (
        "Membership: Family (2 adults + up to 3 children aged 11-15); Access: As Premium, "
        "children must follow Junior Rules; Monthly: £94.00; Annual: £960; Joining fee: £35."
    ), page.text
    assert rows[5].startswith("Membership: Swim Only; Access: Pool during public swims;")
    assert len(rows) == 6


def test_dot_leaders_read_as_the_colon_after_a_label():
    """A menu's dots leading from a dish to its price were kept, eighty to a line, and a list
    of contacts' dots from a name to its number."""
    menu = "Soup of the Day (V, G)..............................£6.95\nWait... what?"
    assert clean_text(menu).split("\n\n") == ["Soup of the Day (V, G): £6.95", "Wait... what?"]
    assert clean_text("Front desk ......... 01632 960 412") == "Front desk: 01632 960 412"
    assert clean_text("Contents\n\n1. Borrowing . . . . . . . . 3") == "Contents\n\n1. Borrowing: 3"


SUBTITLES = """1
00:00:05,090 --> 00:00:11,183
GEMMA: Good morning, you're with Gemma Holt
on Coast Mornings.

2
00:00:11,283 --> 00:00:17,697
RUTH: My late father-in-law, Walter,
had two hives at the bottom of his orchard.

3
00:00:17,800 --> 00:00:21,100
When he died I took them on,
and now I have fourteen.

4
00:00:21,200 --> 00:00:24,886
GEMMA: Fourteen hives!
"""


def test_a_subtitle_files_cues_read_as_its_speakers_turns(runtime):
    """A radio interview saved as subtitles read with each cue's number and times inside its
    sentences ("… orchard. 9 00:00:46,824 --> 00:00:52,579 When he died …"), and a sentence
    cut by a cue stayed cut."""
    text = page_text(SUBTITLES.encode(), "interview.txt")
    assert text.split("\n\n") == [
        "GEMMA: Good morning, you're with Gemma Holt on Coast Mornings.",
        "RUTH: My late father-in-law, Walter, had two hives at the bottom of his orchard. When "
        "he died I took them on, and now I have fourteen.",
        "GEMMA: Fourteen hives!",
    ]
    host = ask(runtime, text, "Who presents Coast Mornings?")
    assert host.text == "GEMMA: Good morning, you're with Gemma Holt on Coast Mornings.", host.text


def test_a_transcripts_times_are_left_out_and_an_agendas_kept():
    """A podcast's transcript opens each turn with when it was said ("[00:18:58] GWEN: …"):
    the times are no part of what was said, and their figures answered every "How many …?".
    An agenda's times, not in brackets, are what it says."""
    transcript = (
        "[00:00:14] OWEN: Welcome to The Back Garden Buzz.\n\n"
        "[00:00:46] GWEN: Thank you. Forty-two colonies at the last count.\n\n"
        "[00:18:58] GWEN: A colony needs eighteen to twenty kilos of stores for winter.\n"
    )
    assert paragraphs(transcript.encode(), "episode.txt") == [
        "OWEN: Welcome to The Back Garden Buzz.",
        "GWEN: Thank you. Forty-two colonies at the last count.",
        "GWEN: A colony needs eighteen to twenty kilos of stores for winter.",
    ]
    agenda = "Agenda\n\n09:00 Registration\n\n10:30 Keynote\n\n12:00 Lunch\n"
    assert "09:00 Registration" in page_text(agenda.encode(), "agenda.txt")


FORUM = b"""<html><head><title>F28 fault every morning | HomeFixers</title></head><body>
<main><article class="message"><h3>LucyB</h3><div class="message-body"><p>Our Carrington
EcoHeat 30c locks out with F28 every morning since the frost.</p></div>
<aside class="message-signature"><p>Lucy - 1930s semi, endless projects</p></aside></article>
<article class="message"><h3>Gasman_Geoff</h3><div class="message-body"><p>F28 on that model
is ignition failure: check the condensate pipe has not frozen.</p></div>
<aside class="message-signature"><p>Gas Safe registered since 2004.</p></aside></article>
</main></body></html>"""


def test_a_forum_posts_signature_is_no_part_of_the_thread():
    """A forum writer's signature stands under each of their posts ("Lucy - 1930s semi,
    endless projects"): "How old is Lucy's boiler?" was answered with it."""
    text = page_text(FORUM, "thread.html")
    assert "endless projects" not in text and "Gas Safe registered" not in text
    assert "ignition failure" in text and "locks out with F28" in text


PHPBB_THREAD = b"""<html><body><div class="page-body" role="main">
<h2 class="topic-title">Spring term 2026 - new venue, concert tickets</h2>
<div id="p1" class="post"><dl class="postprofile"><dt>MargaretH</dt>
<dd class="profile-rank">Choir Secretary</dd><dd><strong>Posts:</strong> 1284</dd>
<dd><strong>Joined:</strong> Sat Sep 12, 2015 10:02 am</dd></dl>
<div class="postbody"><h3>Spring term 2026 - new venue, concert tickets</h3>
<p class="author">by MargaretH &raquo; Mon Jan 05, 2026 9:14 pm</p><div class="content">
<strong>1. New venue.</strong> We are rehearsing at Holmfield Community Centre. There is a free
car park behind the centre.<br><br>
<strong>2. Spring concert.</strong> Saturday 21 March 2026, 7pm, at Kingsley Methodist Church.
We're singing the Faure Requiem.</div></div></div>
<div id="p2" class="post"><dl class="postprofile"><dt>tenor_tom</dt>
<dd class="profile-rank">Regular</dd><dd><strong>Joined:</strong> Tue Jan 10, 2023 8:45 pm</dd>
</dl><div class="postbody"><h3>Re: Spring term 2026 - new venue, concert tickets</h3>
<p class="author">by tenor_tom &raquo; Mon Jan 05, 2026 10:02 pm</p><div class="content">
<blockquote><cite>MargaretH wrote: Mon Jan 05, 2026 9:14 pm</cite>There is a free car park
behind the centre.</blockquote>Is the car park open all evening?</div></div></div>
</div></body></html>"""


def test_a_forum_threads_posts_read_without_their_writers_boxes(runtime):
    """A phpBB thread: each post's box of its writer's rank, posts and joining date ("Joined:
    Sat Sep 12, 2015 10:02 am") read as the post's text and answered "What time does choir
    start?"; a quotation's "MargaretH wrote: … 9:14 pm" ran into the words quoted ("9:14
    pmThere is …"); "When's the spring concert?" was answered by a reply's subject ("Re:
    Spring term 2026 …"), the date being under the numbered run-in heading "2. Spring
    concert." cut off from it."""
    text = page_text(PHPBB_THREAD, "thread.html")
    assert "Joined:" not in text and "Choir Secretary" not in text and "1284" not in text
    assert "MargaretH wrote: Mon Jan 05, 2026 9:14 pm\n\nThere is a free car park" in text
    concert = ask(runtime, text, "When's the spring concert?")
    assert concert.text.startswith("2. Spring concert. Saturday 21 March 2026"), concert.text


def test_a_pages_buttons_for_sharing_it_are_no_part_of_it():
    """A news page's bar of buttons ("Share this article: Facebook X WhatsApp Email") read as
    a paragraph of the article; a table of market shares is the article's."""
    page = (
        b"<html><body><main><h1>Cycle lane approved</h1>"
        b"<div class='share-bar'><span>Share this article:</span><a href='#'>Facebook</a>"
        b"<a href='#'>WhatsApp</a></div><p>Councillors voted nine to four for the lane.</p>"
        b"<table class='market-share'><tr><th>Firm</th><th>Share</th></tr>"
        b"<tr><td>Acme</td><td>41%</td></tr></table>"
        b"<ul class='social-links'><li><a href='#'>Follow us</a></li></ul></main></body></html>"
    )
    assert paragraphs(page, "news.html") == [
        "# Cycle lane approved",
        "Councillors voted nine to four for the lane.",
        "Firm: Acme; Share: 41%.",
    ]


def test_a_list_of_pictures_leaves_no_empty_items():
    """A product page's gallery is a list of pictures: each item read as a bullet alone, and
    between them and the page's title its <h1> came twice."""
    page = (
        b"<html><head><title>Trail 3 Tent | Fellside Outdoor</title></head><body><main>"
        b"<ul class='gallery'><li><img src='a.jpg'></li><li><img src='b.jpg'></li></ul>"
        b"<h1>Trail 3 Tent</h1><p>Now \xc2\xa3249.00, was \xc2\xa3299.00.</p></main></body></html>"
    )
    expected = ["# Trail 3 Tent", "Now \u00a3249.00, was \u00a3299.00."]
    assert paragraphs(page, "tent.html") == expected


def test_a_row_whose_every_cell_wraps_reads_as_one_row():
    """A fees table printed line by line, a row's every cell wrapped onto a line under it:
    the wrapped line ("(surrender)", "rent until a new tenant", "before the end of the") read
    as a row of its own."""
    from tests import pdfs

    (page,) = extract(pdfs.fees_pdf(), "fees.pdf").pages
    assert page.text.split("\n\n")[1:] == [
        "Payment: Holding deposit; Amount: One week's rent; When it is payable: To reserve the "
        "property.",
        "Payment: Early termination (surrender); Amount: The landlord's costs, plus rent until a "
        "new tenant moves in; When it is payable: If you ask to leave before the end of the "
        "fixed term.",
        "Payment: Lost keys; Amount: The cost of replacement; When it is payable: When one is "
        "needed.",
    ]


RESTAURANT = b"""<html><head><title>Dinner Menu - Juniper & Rye</title></head>
<body class="header-sticky footer-dark">
<header><nav><a href="/">Home</a><a href="/menus">Menus</a></nav></header>
<main><h1>Dinner Menu</h1><ul><li>Half Roast Chicken, salsa verde $26</li></ul></main>
<footer id="footer"><div class="footer-blocks">
<div class="footer-block"><h3>Visit</h3><p>418 Haywood Road<br>Asheville, NC 28806<br>
(828) 555-0193<br><a href="mailto:hello@juniper.example">Email us</a></p></div>
<div class="footer-block"><h3>Hours</h3><p>Dinner: Tue-Thu 5-9 pm<br>Brunch: Sat-Sun 10 am-2 pm
<br>Closed Mondays</p></div>
<div class="footer-block"><h3>Stay in the loop</h3><form><label for="e">Sign up for our
newsletter</label><input id="e"><button>Sign Up</button></form>
<p><a href="https://instagram.example">Instagram</a> &middot; <a href="#">Facebook</a></p></div>
</div><p class="footer-legal">&copy; 2025 Juniper &amp; Rye LLC &middot; <a href="/privacy">Privacy
</a> &middot; Powered by Squarespace</p></footer></body></html>"""


def test_what_a_pages_footer_says_of_the_place_is_read_after_it(runtime):
    """A restaurant's page gives its hours and address in its footer only: the footer was left
    out with the site's parts, so "Are you open on Mondays?" went unanswered. Its facts are
    read after the page's text; its links, sign-up form and small print are not."""
    assert paragraphs(RESTAURANT, "menu.html") == [
        "# Dinner Menu",
        "• Half Roast Chicken, salsa verde $26",
        "### Visit",
        "418 Haywood Road",
        "Asheville, NC 28806\n(828) 555-0193",
        "### Hours",
        "Dinner: Tue-Thu 5-9 pm\nBrunch: Sat-Sun 10 am-2 pm\nClosed Mondays",
    ]
    text = page_text(RESTAURANT, "menu.html")
    monday = ask(runtime, text, "Are you open on Mondays?")
    assert "Closed Mondays" in monday.text, monday.text
    # A footer of links and small print says nothing.
    bare = b"<main><p>Open the app.</p></main><footer><a href='/'>Home</a> &copy; 2026 Us</footer>"
    assert paragraphs(bare, "help.html") == ["Open the app."]


def test_a_table_under_a_header_set_in_bold_reads_row_by_row_however_long_its_cells(runtime):
    """A word processor's table whose cells are sentences (a manual's troubleshooting
    table: "Problem", "Possible cause", "Solution" in bold over rows printed cell by cell)
    came out cell after cell, each a paragraph, so "My coffee is weak" answered with the
    problem alone; a table of one row under a bold header ran its header into its row."""
    from tests import pdfs

    rows = paragraphs(pdfs.bold_header_pdf(), "manual.pdf")
    assert rows[1:5] == [
        "Booking reference: K7QZ4M; Booking date: 14 January 2026; Status: Confirmed.",
        "Problem: The machine does not switch on; Possible cause: Not connected to the mains, "
        "or the main power switch is off; Solution: Check the plug and the socket. Switch on "
        "the main power switch at the back.",
        "Problem: Coffee is too weak or watery; Possible cause: Grind is too coarse, or too "
        "little coffee when using ground coffee; Solution: Turn the grind setting dial to a "
        "finer grind setting while the grinder is running.",
        "Problem: Coffee is not hot enough; Possible cause: Cups are cold; Solution: Warm the "
        "cups with hot water first.",
    ]
    assert rows[5].startswith("If the problem persists")
    text = "\n\n".join(rows)
    weak = ask(runtime, text, "My coffee's really weak and watery, what am I doing wrong?")
    assert "finer grind setting" in weak.text, weak.text
    reference = ask(runtime, text, "What's our booking reference?")
    assert "K7QZ4M" in reference.text, reference.text


AGREEMENT = b"""PARTICULARS

Landlord:        Mr Graham Peter Holloway
                 of 22 Beech Avenue, Northfield, Birmingham B31 2TS

Landlord's       Midland Lettings Ltd, 41 Bristol Road,
Agent:           Birmingham B5 7TU  (tel. 0121 496 0733)

Term:            12 months, starting on 1 September 2025
"""


def test_a_forms_label_wrapped_in_its_column_reads_whole():
    """A plain-text agreement's label too long for its column ("Landlord's" over "Agent:",
    the value beside both) read "Landlord's Midland Lettings Ltd, …" then "Agent: Birmingham
    …", so the agent's telephone number was under the label "Agent" of half an address."""
    assert paragraphs(AGREEMENT, "agreement.txt")[2] == (
        "Landlord's Agent: Midland Lettings Ltd, 41 Bristol Road, Birmingham B5 7TU "
        "(tel. 0121 496 0733)"
    )


README_FAQ = b"""## FAQ

**The admin page won't load.**
Make sure you're using port 8080, not the default port 80.

**Everything stopped working after a power cut.**
Usually the SD card has been corrupted. This is the main reason an SSD is recommended.
Restore from the USB backup with `sudo ./restore.sh`.

**Mr Daniel Okafor**
Head of Year 8 and Trip Leader
"""


def test_a_markdown_line_all_in_bold_over_its_text_titles_it(runtime):
    """A README's FAQ sets each entry's title in bold on the line above its answer:
    "Everything stopped working after a power cut. How do I get it back?" was answered with
    the title itself, then with the entry's first two sentences only. The entry answers whole,
    as an FAQ's entry titled by its question does. A name in bold over its title stays a line
    of text."""
    text = page_text(README_FAQ, "README.md")
    assert "###### Everything stopped working after a power cut." in text
    assert "###### Mr Daniel Okafor" not in text and "Mr Daniel Okafor" in text
    back = ask(runtime, text, "Everything stopped working after a power cut. How do I get it back?")
    assert back.text.startswith("Usually the SD card") and "restore.sh" in back.text, back.text


def _typed_page(number: int, clause: str) -> str:
    return (
        "MIDLAND LETTINGS LTD                    Ref: ML/SP117\n"
        f"Tenancy Agreement - Flat 3                  Page {number} of 4\n" + "=" * 60 + "\n\n"
        f"{clause}\n\n" + "-" * 60 + "\nInitials: Landlord ____  Tenant ____\n" + "=" * 60 + "\n"
    )


def test_a_typed_texts_running_lines_are_read_once():
    """A plain-text agreement printed page by page repeats its letterhead, "Page 2 of 4" and
    a line for initials on every page, between the clauses."""
    clauses = [
        "1.1: The Tenant will pay the Rent of £1,150 per calendar month.",
        "2.1: The Tenant must not keep any pet without written consent.",
        "3.1: The Landlord will repair the structure and exterior.",
        "4.1: Either party may end this tenancy by giving two months' notice.",
    ]
    text = page_text("".join(_typed_page(n, c) for n, c in enumerate(clauses, 1)).encode(), "a.txt")
    assert text.count("MIDLAND LETTINGS") == 1 and "Page 2 of 4" not in text
    assert "Initials" not in text and "====" not in text
    assert all(clause in text for clause in clauses)


def test_two_columns_of_prose_under_two_bold_labels_are_no_table():
    """Two labels set in bold over two columns of prose printed line by line look like a
    table's bold header over its rows: they read as the two columns, each under its label."""
    from tests import pdfs

    assert paragraphs(pdfs.bold_labelled_columns_pdf(), "flyer.pdf") == [
        "# The lake",
        " ".join(left for left, _ in pdfs.COLUMNS_PROSE),
        "# The town",
        " ".join(right for _, right in pdfs.COLUMNS_PROSE),
    ]


def test_a_bills_amounts_totals_and_contacts_read_as_rows(runtime):
    """An energy bill as a word processor prints it: amounts set flush right beside long
    descriptions under a lone "Amount", totals that leave a column of the charges empty, and
    labels in bold beside their wrapped details, one of them a question ("Power cut?")."""
    from tests import pdfs

    text = page_text(pdfs.energy_bill_pdf(), "bill.pdf")
    parts = text.split("\n\n")
    assert parts[1:5] == [
        "Balance brought forward on 1 March 2026: £42.15 in credit.",
        "Payments received - Direct Debit, 15 March 2026: £95.00.",
        "Electricity charges this period (including VAT): £97.38.",
        "Balance on 31 March 2026: £39.77 in credit.",
    ], text
    assert parts[8:11] == [
        "Charge: Total before VAT; Amount: £92.74.",
        "Charge: VAT; Calculation: 5% of £92.74; Amount: £4.64.",
        "Charge: Total charges for this period; Amount: £97.38.",
    ], text
    assert parts[12] == (
        "Call us: 0345 072 4419. Monday to Friday 8am to 8pm, Saturday 9am to 1pm."
    ), text
    assert parts[14].startswith("Power cut? Call 105 free of charge"), text
    paid = ask(runtime, text, "How much did my Direct Debit take in March?")
    assert "£95.00" in paid.text, paid.text
    total = ask(runtime, text, "What did this period's charges come to altogether?")
    assert "£97.38" in total.text, total.text
    power = ask(runtime, text, "What number do I call if there is a power cut?")
    assert "Call 105" in power.text, power.text


def test_a_slides_table_named_above_all_but_its_first_column_reads_by_those_names(runtime):
    """A slide's results under labels over every column but the first ("Q1 target", "Q1
    actual", "Variance"), each variance's sign printed as a piece of its own."""
    from tests import pdfs

    text = page_text(pdfs.results_slide_pdf(), "slides.pdf")
    assert text.split("\n\n")[1:] == [
        "Revenue; Q1 target: £4.60m; Q1 actual: £4.82m; Variance: +4.8%.",
        "Operating costs; Q1 target: £2.31m; Q1 actual: £2.27m; Variance: -1.7%.",
        "EBITDA; Q1 target: £0.58m; Q1 actual: £0.71m; Variance: +22%.",
    ], text
    costs = ask(runtime, text, "How far off target were operating costs?")
    assert "-1.7%" in costs.text, costs.text


HELP_PAGE = b"""<html><body><main><h1>Resetting your password</h1>
<p>Go to the sign-in page and click Forgotten your password? to get a reset link.</p>
<h2>Frequently asked questions</h2>
<details><summary>I didn't get the reset email</summary>
<p>Reset emails usually arrive within two minutes. Check your spam or junk folder.</p></details>
<details><summary>The reset link says it has expired</summary>
<p>Links expire after 30 minutes, or as soon as they have been used.</p></details>
</main></body></html>"""


def test_a_disclosures_summary_heads_the_answer_it_opens():
    """An FAQ of <details> disclosures: each <summary> titles its answer a level below the
    heading over them, so the answer is read as that question's."""
    text = page_text(HELP_PAGE, "help.html")
    assert "## Frequently asked questions\n\n### I didn't get the reset email\n\n" in text, text
    answer = "Links expire after 30 minutes"
    assert headings_above(text, answer)[-1] == "### The reset link says it has expired"


def test_a_running_line_that_names_the_version_is_read_once(runtime):
    """A policy's running header and footer say what its pages do not (the handbook, the
    version): read once, after the first page's text, without the page's number; the
    version is then found."""
    from tests import pdfs

    pages = [page.text for page in extract(pdfs.versioned_policy_pdf(), "policy.pdf").pages]
    assert pages[0].split("\n\n")[-2:] == [
        "Thornbury Fielding Ltd - Staff Handbook",
        "Version 4.2 - effective 1 April 2026",
    ], pages[0]
    assert [text for text in pages[1:] if "Version" in text or "Handbook" in text] == []
    version = ask(runtime, "\n\n".join(pages), "Which version of the policy is this?")
    assert "Version 4.2" in version.text, version.text


HELP_WITH_CONTACTS = b"""<html><body><div class="layout"><main><h1>Two-factor authentication</h1>
<p>Two-factor authentication adds a second step when you sign in: a six-digit code from your
phone as well as your password.</p></main>
<aside class="sidebar"><h2>Related articles</h2><ul><li><a href="/a">Closing your account</a></li>
</ul><div class="contact-card"><h2>Still need help?</h2>
<p>Live chat: Monday to Friday, 8am to 6pm (UK time)</p>
<p>Enterprise customers: priority phone line 0161 496 0275</p></div></aside></div>
<footer><p>&copy; 2026 Tallyloom Ltd</p></footer></body></html>"""


def test_a_sidebars_box_for_contacting_the_business_is_read_after_the_text(runtime):
    """A help page's sidebar is the site's, but its box for contacting the business (class
    "contact-card") says when live chat is open: read after the page's text, under its
    heading, without the sidebar's links."""
    text = page_text(HELP_WITH_CONTACTS, "help.html")
    assert text.split("\n\n")[-2:] == [
        "## Still need help?",
        "Live chat: Monday to Friday, 8am to 6pm (UK time)\n"
        "Enterprise customers: priority phone line 0161 496 0275",
    ], text
    assert "Closing your account" not in text
    chat = ask(runtime, text, "What hours is live chat open?")
    assert "8am to 6pm" in chat.text, chat.text


def test_a_title_set_large_over_two_lines_is_one_heading():
    """A paper's title in large type wrapped onto a second line, its lines further apart than
    the body's: one heading, not two (the second titling the whole paper)."""
    from tests import pdfs

    parts = paragraphs(pdfs.paper_title_pdf(), "paper.pdf")
    assert parts == [f"# {pdfs.PAPER_TITLE}", *pdfs.PAPER_BODY]


def test_a_browser_printed_page_that_is_mostly_a_table_keeps_its_paragraphs_apart():
    """A surgery's page printed to PDF by a browser: a table of tall rows fills most of it,
    and the steps between its rows made the page's usual line step look as wide as a
    paragraph's, so the short paragraphs around the table ran into each other ("… for
    parents Vaccines are offered …"). Rows and changes of type size no longer count."""
    from pathlib import Path

    from backend.documents.ingest import extract

    path = (
        Path(__file__).parent
        / "data/question-sets/saved-and-printed/childhood_immunisation_schedule.pdf"
    )
    (page,) = extract(path.read_bytes(), path.name).pages
    paragraphs = page.text.split("\n\n")
    assert "Ashgrove Medical Practice – information for parents" in paragraphs, page.text
    assert any(p.startswith("Vaccines are offered free of charge.") for p in paragraphs)
    assert any(p.startswith("If your child misses an appointment") for p in paragraphs)
    assert any(p.startswith("Immunisation clinics run on Tuesday") for p in paragraphs)


def test_a_browser_printed_fact_box_reads_as_labels_and_values():
    """An encyclopedia article's fact box printed by a browser: a label wrapped onto two lines
    has its value centred between them, so the label's first line stood alone ("Primary",
    read as a heading) and its second went into a row with the next label ("outflows: Max.
    length; River Varrick: …"); a unit's raised "2" split its cell. The wrapped label is one,
    the superscript reads on with its cell, and a label whose value is empty joins no row."""
    from tests import pdfs

    (page,) = extract(pdfs.fact_box_two_columns_pdf(), "loch.pdf").pages
    paragraphs = page.text.split("\n\n")
    assert paragraphs[:6] == [
        "Type: Freshwater loch.",
        "Primary inflows: River Duich.",
        "Primary outflows: River Varrick.",
        "Max. length: 11.4 km (7.1 mi).",
        "Max. width: 1.6 km (1.0 mi).",
        "Surface area: 12.9 km2 (5.0 sq mi).",
    ], page.text
    assert "Notes" in paragraphs, page.text


def test_a_browser_printed_articles_fact_box_keeps_its_facts():
    """The same on the article of the kept question sets, as Chromium printed it."""
    from pathlib import Path

    path = Path(__file__).parent / "data/question-sets/saved-and-printed/loch_varrick.pdf"
    (page, _) = extract(path.read_bytes(), path.name).pages
    paragraphs = page.text.split("\n\n")
    for fact in (
        "Primary outflows: River Varrick.",
        "Surface area: 12.9 km2 (5.0 sq mi).",
        "Max. depth: 148 m (486 ft).",
        "Surface elevation: 38 m (125 ft).",
    ):
        assert fact in paragraphs, page.text
