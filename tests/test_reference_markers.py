"""Wikipedia-style reference apparatus is removed at extraction, for every document type, so
answers and citations read as prose: footnote calls, editors' tags, citation page numbers."""

from __future__ import annotations

import pytest

from backend.documents.ingest import extract
from backend.documents.ingest.clean import strip_reference_markers

SENTENCE = "In June 1884, he relocated to New York City where he worked for Edison."


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        (SENTENCE.replace("City", "City:57–60"), None),
        (SENTENCE.replace("1884,", "1884,[12]").replace("City", "City[13][14]"), None),
        (SENTENCE + "[citation needed]", None),
        (SENTENCE.replace("1884,", "1884,[note 3]").replace("City", "City[a]"), None),
        (SENTENCE.replace("1884,", "1884,[when?]") + "[vague]", None),
        ("Tesla said:12, 14–15 nothing.", "Tesla said nothing."),
        # Page references after the sentence's full stop, one after another.
        ("Calvinist parties.:1–4 When he died.", "Calvinist parties. When he died."),
        ("(defined as Unitarian ideas).:4–5:24", "(defined as Unitarian ideas)."),
        ("Early life[edit]", "Early life"),  # a saved Wikipedia page's section link
        # A call set apart from the sentence it follows, as a PDF's raised call reads joined.
        (SENTENCE.replace("1884, he", "1884, [12] he"), None),
    ],
)
def test_markers_go(raw, clean):
    assert strip_reference_markers(raw) == (clean or SENTENCE)


@pytest.mark.parametrize(
    "kept",
    [
        "a ratio of 3:2 at 10:30 am, John 3:16",
        "the server listens on localhost:8080 and db:5432",
        "Ratio 1.:2 is written so.",  # no space or end after the figures: not a page
        "It ended at 5 p.m.: 12 stayed",
        "see http://example.com:8080/path",
        "he wrote [sic] and was [less than three years] old",
        "Martin Luther [ˈmaɐ̯tiːn ˈlʊtɐ] was born",
        "the interval [256kn + 1, 256k(n + 1) − 1] holds",
        "an array a [1] with a space before stays",
        "[3] Holm, Erik (2011). Bronze Age Norland.",  # a reference list's entry
    ],
)
def test_what_is_not_a_marker_stays(kept):
    assert strip_reference_markers(kept) == kept


@pytest.mark.parametrize(
    ("filename", "data"),
    [
        ("tesla.txt", b"In June 1884, he relocated to New York City:57\xe2\x80\x9360 where he "
         b"worked for Edison.[citation needed]"),
        ("tesla.md", b"# Tesla\n\nIn June 1884,[12] he relocated to New York City:57\xe2\x80\x9360 "
         b"where he worked for Edison.[13]"),
        ("tesla.html", b"<html><body><h1>Tesla</h1><p>In June 1884,<sup>[12]</sup> he relocated "
         b"to New York City<sup>:57&ndash;60</sup> where he worked for Edison."
         b"<sup>[citation needed]</sup></p></body></html>"),
    ],
)
def test_every_document_type_is_cleaned(filename, data):
    text = "\n".join(page.text for page in extract(data, filename).pages)
    assert SENTENCE in text
    assert "[" not in text and ":57" not in text


def test_a_pdfs_raised_call_opening_a_line_goes():
    """A browser prints a saved article's calls raised and smaller: one opening a line made
    the line a paragraph of its own ("[3] The town of Orvik was founded ..."), the call kept."""
    from tests import pdfs

    (page,) = extract(pdfs.raised_call_pdf(), "orvik.pdf").pages
    assert page.text == " ".join(pdfs.RAISED_CALL)



def test_a_call_left_on_a_line_of_its_own_goes():
    """A browser's PDF can set a paragraph's last call apart on a line, or a paragraph, of its
    own ("megawatts." then "[6]"): alone it is no sentence, and it goes; a reference list's
    entry that opens with its number stays."""
    from backend.documents.ingest.clean import clean_text

    text = "Its power station produces up to 24 megawatts.\n\n[6]\n\n## Wildlife"
    assert clean_text(text) == "Its power station produces up to 24 megawatts.\n\n## Wildlife"
    assert clean_text("It produces 24 megawatts. [6]") == "It produces 24 megawatts."
    entry = "[6] Varrick power station. North of Scotland Hydro-Electric Board. 1956."
    assert clean_text(entry) == entry
