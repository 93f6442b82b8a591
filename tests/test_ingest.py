"""The ingest package: extraction, cleaning, sentence splitting and chunking on real files."""

from __future__ import annotations

import gzip
import io
import re
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from pypdf import PdfReader
from pypdf.errors import DependencyError

from backend.documents.ingest import (
    ChunkDraft,
    ExtractionError,
    PageText,
    chunk_pages,
    clean_text,
    detect_content_type,
    extract,
    split_sentences,
)
from tests import pdfs

SQUAD_DOCS = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "squad-dev" / "docs"
SUPPORTED = "upload a PDF, text, Markdown or HTML file."
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64)


def squad_text(name: str) -> str:
    path = SQUAD_DOCS / name
    if not path.exists():
        pytest.skip("the squad-dev dataset is not beside the project")
    return path.read_text(encoding="utf-8")


def error_message(data: bytes, filename: str, **limits: int) -> str:
    with pytest.raises(ExtractionError) as caught:
        extract(data, filename, **limits)
    return caught.value.message


# --- extraction errors: the sentence the user sees ----------------------------------------


@pytest.mark.parametrize("data", [b"", b"  \n\t "])
def test_empty_file(data: bytes) -> None:
    assert error_message(data, "notes.txt") == "The file is empty."


@pytest.mark.parametrize(
    ("data", "filename", "looks_like"),
    [
        (PNG, "photo.png", "a PNG image"),
        (PNG, "photo.txt", "a PNG image"),
        (PNG, "photo.pdf", "a PNG image"),
        (b"\xff\xd8\xff\xe0" + bytes(40), "scan.jpg", "a JPEG image"),
        (b"GIF89a" + bytes(40), "anim.gif", "a GIF image"),
        (gzip.compress(b"hello"), "notes.txt.gz", "a gzip archive"),
        (b"\x7fELF\x02\x01\x01" + bytes(60), "a.out", "a program (ELF executable)"),
    ],
)
def test_known_binaries_are_refused_by_content(data: bytes, filename: str, looks_like: str) -> None:
    message = f"This file looks like {looks_like}, which is not supported; {SUPPORTED}"
    assert error_message(data, filename) == message


def _zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, body in members.items():
            archive.writestr(name, body)
    return out.getvalue()


def test_office_files_are_named() -> None:
    docx = _zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"})
    xlsx = _zip({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>"})
    assert "looks like a Word document" in error_message(docx, "report.docx")
    assert "looks like a Word document" in error_message(docx, "report.txt")
    assert "looks like an Excel spreadsheet" in error_message(xlsx, "sheet.xlsx")
    assert "looks like a ZIP archive" in error_message(_zip({"a.txt": b"hi"}), "files.zip")


def test_unknown_binary_gets_the_generic_sentence() -> None:
    data = bytes(range(256)) * 8
    assert error_message(data, "blob.bin") == f"This file type is not supported; {SUPPORTED}"


def test_binary_bytes_in_a_text_file() -> None:
    data = b"Some words here.\x00\x01\x02\x03" * 50
    assert error_message(data, "notes.txt") == (
        "This file is not valid text; it contains binary data. "
        "Save it as plain text (UTF-8) and upload it again."
    )


def test_undecodable_text() -> None:
    lone_surrogate = b"\xff\xfe" + "Hello ".encode("utf-16-le") + b"\x00\xd8A\x00"
    assert error_message(lone_surrogate, "notes.txt") == (
        "The text in this file could not be decoded; save it as UTF-8 text and upload it again."
    )


@pytest.mark.parametrize(
    ("data", "filename"),
    [
        (b"12345 67 -- *** 2024\n", "numbers.txt"),
        (b"<html><body><script>var words = 'hidden';</script></body></html>", "x.html"),
        (b"![only an image](pic.png)\n", "readme.md"),
    ],
)
def test_no_words_after_cleaning(data: bytes, filename: str) -> None:
    assert error_message(data, filename) == "This document has no readable words in it."


def test_pdf_named_file_that_is_not_a_pdf() -> None:
    assert error_message(pdfs.not_a_pdf(), "minutes.pdf") == (
        "This file is named .pdf but is not a PDF; it may be damaged or renamed. "
        "Upload the original PDF."
    )


@pytest.mark.parametrize("build", [pdfs.truncated_pdf, pdfs.garbage_pdf])
def test_damaged_pdf(build: Callable[[], bytes]) -> None:
    assert error_message(build(), "report.pdf") == "This PDF is damaged and could not be read."


def test_encrypted_pdf() -> None:
    assert error_message(pdfs.encrypted_pdf(), "secret.pdf") == (
        "This PDF is encrypted; upload an unencrypted copy."
    )


def test_pdf_encryption_we_cannot_decrypt(monkeypatch: pytest.MonkeyPatch) -> None:
    def needs_cryptography(self: PdfReader, password: str) -> None:
        raise DependencyError("cryptography is required for AES")

    monkeypatch.setattr(PdfReader, "decrypt", needs_cryptography)
    assert error_message(pdfs.empty_password_pdf(), "aes.pdf") == (
        "This PDF uses an encryption method we cannot open; upload an unencrypted copy."
    )


def test_pdf_with_empty_user_password_is_read() -> None:
    extracted = extract(pdfs.empty_password_pdf(), "open.pdf")
    assert extracted.page_count == 3
    assert pdfs.PAGE_SENTENCES[1][0] in extracted.pages[1].text


def test_pdf_without_text_layer() -> None:
    assert error_message(pdfs.shapes_only_pdf(), "scan.pdf") == (
        "This PDF has no extractable text; it may be a scanned image. "
        "Upload a PDF with a text layer."
    )


def test_pdf_without_pages() -> None:
    assert error_message(pdfs.no_pages_pdf(), "blank.pdf") == "This PDF has no pages."


def test_page_limit() -> None:
    message = error_message(pdfs.text_pdf(), "long.pdf", max_pages=2)
    assert message == "This PDF has 3 pages; the limit is 2."


@pytest.mark.parametrize(
    ("data", "filename"),
    [(b"A short sentence. " * 100, "long.txt"), (pdfs.text_pdf(), "long.pdf")],
)
def test_character_limit(data: bytes, filename: str) -> None:
    assert error_message(data, filename, max_chars=100) == (
        "This document has more than 100 characters of text, which is over the limit; "
        "split it into smaller files and upload them separately."
    )


def test_decompression_bomb_stops_at_the_default_page_limit() -> None:
    data = pdfs.big_stream_pdf(30_000_000)
    assert len(data) < 100_000
    started = time.perf_counter()
    message = error_message(data, "bomb.pdf")
    assert message == (
        "Page 1 of this PDF has more content than we can safely read "
        "(over 20,000,000 bytes); split the PDF or save a simpler copy."
    )
    assert time.perf_counter() - started < 5


def test_uncompressed_page_stream_over_the_limit() -> None:
    data = pdfs.big_stream_pdf(50_000, compress=False)
    message = error_message(data, "big.pdf", max_page_stream_bytes=10_000)
    assert message.startswith("Page 1 of this PDF has more content than we can safely read")


# --- detection and decoding ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "filename", "expected"),
    [
        (pdfs.text_pdf(), "report.pdf", "application/pdf"),
        (pdfs.text_pdf(), "report.txt", "application/pdf"),
        (b"junk line\n" + pdfs.text_pdf(), "report", "application/pdf"),
        (b"<!DOCTYPE html><html><body><p>Hi there</p></body></html>", "page.txt", "text/html"),
        (b"<p>Just a <b>fragment</b></p>", "page.html", "text/html"),
        (b"No markup at all, just words.", "page.htm", "text/plain"),
        (b"# Title\n\nSome *text*.", "README.md", "text/markdown"),
        (b"# Title\n\nSome *text*.", "README.txt", "text/plain"),
        (b"<html><body>Hi</body></html>", "notes.md", "text/html"),
        (b"Plain words in a file.", "notes.txt", "text/plain"),
        (b"name,age\nAlice,30\n", "table.csv", "text/plain"),
    ],
)
def test_detect_content_type(data: bytes, filename: str, expected: str) -> None:
    assert detect_content_type(data, filename) == expected


def test_svg_is_refused() -> None:
    svg = b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"><text>Hi</text></svg>'
    assert "looks like an SVG image" in error_message(svg, "logo.svg")


@pytest.mark.parametrize(
    "data",
    [
        "Caf\u00e9 costs \u20ac5 \u2014 na\u00efve \u201cquotes\u201d.".encode(),
        "\ufeffCaf\u00e9 costs \u20ac5 \u2014 na\u00efve \u201cquotes\u201d.".encode(),
        "Caf\u00e9 costs \u20ac5 \u2014 na\u00efve \u201cquotes\u201d.".encode("utf-16"),
        "Caf\u00e9 costs \u20ac5 \u2014 na\u00efve \u201cquotes\u201d.".encode("cp1252"),
    ],
    ids=["utf-8", "utf-8-bom", "utf-16-bom", "cp1252"],
)
def test_text_encodings(data: bytes) -> None:
    extracted = extract(data, "notes.txt")
    assert extracted.content_type == "text/plain"
    assert extracted.page_count is None
    assert extracted.pages == [
        PageText(None, "Caf\u00e9 costs \u20ac5 \u2014 na\u00efve \u201cquotes\u201d.")
    ]


# --- PDF, HTML and Markdown text ---------------------------------------------------------


def test_pdf_pages_keep_their_numbers() -> None:
    extracted = extract(pdfs.text_pdf(), "lighthouse.pdf")
    assert extracted.content_type == "application/pdf"
    assert extracted.page_count == 3
    assert [page.number for page in extracted.pages] == [1, 2, 3]
    for page, sentences in zip(extracted.pages, pdfs.PAGE_SENTENCES, strict=True):
        assert page.text == " ".join(sentences)


def test_pdf_paragraphs_follow_the_layout_and_survive_a_page_break() -> None:
    """Space above a line, an indented first line and a change of type size start paragraphs;
    the running footer ("Skerra survey - page 2") is dropped; a paragraph a page break cuts in
    two is whole on the page where it starts."""
    pages = extract(pdfs.report_pdf(), "survey.pdf").pages

    assert [page.number for page in pages] == [1, 2, 3]
    assert pages[0].text.split("\n\n") == [
        f"# {pdfs.REPORT_TITLE}",  # the document's title, marked as its first heading
        *pdfs.REPORT_SPACED,
        *pdfs.REPORT_INDENTED,
        pdfs.REPORT_ACROSS,
    ]
    assert pages[1].text == "The survey ends here."
    assert pages[2].text == "Appendix: the keepers' names are kept in the museum."


def test_an_article_as_a_pdf_reads_as_the_same_paragraphs_as_its_text() -> None:
    """Normans.txt set over several pages (the paragraphs the PDF's core font can print): the
    PDF gives back exactly its paragraphs, in order, none cut by a page break, without the
    running title or the page numbers."""
    paragraphs = [p.strip() for p in squad_text("Normans.txt").split("\n\n") if p.strip()]
    printable = [p for p in paragraphs if all(ord(c) < 256 for c in p)]
    extracted = extract(pdfs.article_pdf("The Normans", printable), "normans.pdf")

    assert extracted.page_count is not None and extracted.page_count > 4
    read = [p for page in extracted.pages for p in page.text.split("\n\n") if p]
    assert read == [clean_text(p) for p in printable]


def test_lines_whose_placement_cannot_be_read_keep_their_text() -> None:
    """A malformed text matrix or type size leaves a line unplaced, never the PDF unread."""
    from backend.documents.ingest.page_flow import PageLines, page_texts

    lines = PageLines()
    lines.visit("The keeper's log", [1, 0, 0, 1, 0, 0], [1, 0], None, 11)  # a short matrix
    lines.visit(
        "\nrecords every ship", [1, 0, 0, 1, 0, 0], [1, 0, 0, 1, 72, 700], None, float("nan")
    )
    lines.visit("\nthat passed.", [1, 0, 0, 1, 0, 0], [1, 0, 0, 1, 72, 686], None, 11)
    assert [line.placed for line in lines.lines] == [False, False, True]
    assert page_texts([lines.lines]) == ["The keeper's log\nrecords every ship\nthat passed."]


def test_a_short_pdf_keeps_a_line_each_page_repeats() -> None:
    """With fewer than three pages nothing counts as a running line."""
    two = [["Tide tables for Velmoor.", "High water at noon."], ["Tide tables for Velmoor."]]
    pages = extract(pdfs.text_pdf(two), "tides.pdf").pages
    assert [page.text for page in pages] == [" ".join(two[0]), two[1][0]]


HTML = b"""<!DOCTYPE html>
<html><head><title>Harbour News</title>
<style>body { color: red } .secret-style {}</style>
<script>var secretScript = "do not index";</script>
<meta name="description" content="secret meta"></head>
<body>
<h1>Storm &amp; Repairs</h1>
<p>The wall was damaged in
November.</p><p>It will be rebuilt&nbsp;with granite.</p>
<noscript>secret noscript</noscript><template><p>secret template</p></template>
<div hidden>secret hidden</div><p style="display: none">secret invisible</p>
<svg><text>secret svg</text></svg>
<ul><li>First item</li><li>Second item</li></ul>
<table><tr><th>Year</th><th>Cost</th></tr><tr><td>1889</td><td>&pound;400</td></tr></table>
</body></html>"""


def test_html_keeps_visible_text_only() -> None:
    text = extract(HTML, "news.html").pages[0].text
    assert "secret" not in text.lower()
    assert "color" not in text
    # Headings keep their level as Markdown writes it; the page's title is the first.
    assert text.split("\n\n") == [
        "# Harbour News",
        "# Storm & Repairs",
        "The wall was damaged in November.",
        "It will be rebuilt with granite.",
        "\u2022 First item",  # a list's item keeps a bullet or its number
        "\u2022 Second item",
        "Year: 1889; Cost: \u00a3400.",  # a row names its cells by the header's
    ]


def test_html_leaves_out_the_site_menus_unless_the_page_is_only_a_menu() -> None:
    page = (
        b"<html><body><nav><a href='/'>Main page</a> <a href='/random'>Random article</a></nav>"
        b"<div role='navigation'>Jump to search</div><h1>Velmoor</h1>"
        b"<p>Velmoor holds a festival of lanterns every June.</p></body></html>"
    )
    assert extract(page, "velmoor.html").pages[0].text == (
        "# Velmoor\n\nVelmoor holds a festival of lanterns every June."
    )
    sitemap = (
        b"<html><body><nav><a href='/'>Home</a> <a href='/harbour'>Harbour</a></nav></body></html>"
    )
    assert extract(sitemap, "sitemap.html").pages[0].text == "Home Harbour"


def test_a_lists_items_keep_their_numbers_or_a_bullet() -> None:
    page = (
        b"<p>To reset your password:</p><ol><li>Open Settings.</li><li>Choose Security."
        b"<ul><li>or Privacy</li></ul></li></ol><ol start='7'><li>Seventh</li></ol>"
    )
    assert extract(page, "steps.html").pages[0].text.split("\n\n") == [
        "To reset your password:",
        "1. Open Settings.",
        "2. Choose Security.",
        "\u25e6 or Privacy",  # a list inside the item above: it belongs to that item
        "7. Seventh",
    ]
    markdown = b"To reset your password:\n\n1. Open Settings.\n2) Choose Security.\n* or Privacy\n"
    assert extract(markdown, "steps.md").pages[0].text.split("\n\n") == [
        "To reset your password:",
        "1. Open Settings.",
        "2. Choose Security.",
        "\u2022 or Privacy",
    ]


def test_a_definition_reads_with_its_term() -> None:
    page = (
        b"<html><body><h2>Fees</h2><dl><dt>Late return</dt><dd>20 pence a day per item</dd>"
        b"<dt>Lost card:</dt><dd>2 pounds for a replacement</dd><dd>free for children</dd>"
        b"<dt>Term</dt><dt>Semester</dt><dd>half a year</dd></dl></body></html>"
    )
    assert extract(page, "fees.html").pages[0].text == (
        "## Fees\n\nLate return: 20 pence a day per item\n\n"
        "Lost card: 2 pounds for a replacement\n\nfree for children\n\n"
        "Term\n\nSemester: half a year"
    )


MARKDOWN = b"""---
title: Secret front matter
---
# Harbour *Report* #

The wall was **damaged** in __November__, see [the council page](http://secret.example/url)
and ![secret alt text](secret.png) the ~~old~~ new plan_with_underscores.
Call `rebuild(wall)` or visit <https://harbour.example>.

<!-- secret comment -->
> Quoted line.

- First item
- Second item

| Year | Cost |
|------|-----:|
| 1889 | 400  |

```python
print("kept *code*")
```

Setext Title
------------
Last [reference link][ref] here.

[ref]: http://secret.example/ref
"""


def test_markdown_is_stripped_to_plain_text() -> None:
    text = extract(MARKDOWN, "report.md").pages[0].text
    assert "secret" not in text.lower()
    assert not re.search(r"[\[\]]|\]\(|\*\*|__|~~|^>", text, re.MULTILINE)
    # A heading keeps its level's marks (a closing run of "#" goes); nothing else does.
    marked = [line for line in text.split("\n") if "#" in line]
    assert marked == ["# Harbour Report", "## Setext Title"]
    assert text.split("\n\n") == [
        "# Harbour Report",
        "The wall was damaged in November, see the council page and the old new "
        "plan_with_underscores. Call rebuild(wall) or visit https://harbour.example.",
        "Quoted line.",
        "\u2022 First item",  # a list's item keeps a bullet or its number
        "\u2022 Second item",
        "Year: 1889; Cost: 400.",
        'print("kept *code*")',
        "## Setext Title",
        "Last reference link here.",
    ]


TIMETABLE_HTML = b"""<html><body><h2>Ferry timetable</h2>
<table><caption>Ferries to Skerra</caption>
<thead><tr><td>Day</td><td>Departure</td><td>Return</td></tr></thead>
<tr><td>Monday</td><td>08:15</td><td><b>17:40</b></td></tr>
<tr><td>Saturday</td><td>10:30<br>11:45</td><td></td></tr></table>
<table><tr><th>Population</th><td>7,845</td></tr><tr><th>Founded</th><td>1822</td></tr>
<tr><td>Mayor<table><tr><td>elected</td></tr></table></td><td>Ann Grieve</td><td>2019</td></tr>
</table></body></html>"""

TIMETABLE_MARKDOWN = b"""## Ferry timetable

| Day | Departure | Return |
|-----|:---------:|-------:|
| Monday | 08:15 | *17:40* |
| Saturday | 10:30 | |

After the table.
"""


def test_table_rows_read_as_sentences_named_by_their_header() -> None:
    """A row alone ("Saturday 10:30") answers nothing; named by its header it says what each
    figure is, so "When does the Saturday ferry leave?" finds it."""
    html = extract(TIMETABLE_HTML, "ferries.html").pages[0].text.split("\n\n")
    assert html == [
        "## Ferry timetable",
        "Ferries to Skerra",
        "Day: Monday; Departure: 08:15; Return: 17:40.",
        "Day: Saturday; Departure: 10:30 11:45.",
        # No header row: a name and its value, or the cells in order.
        "Population: 7,845.",
        "Founded: 1822.",
        "Mayor elected; Ann Grieve; 2019.",
    ]
    markdown = extract(TIMETABLE_MARKDOWN, "ferries.md").pages[0].text.split("\n\n")
    assert markdown == [
        "## Ferry timetable",
        "Day: Monday; Departure: 08:15; Return: 17:40.",
        "Day: Saturday; Departure: 10:30.",
        "After the table.",
    ]


def test_code_blocks_keep_each_line_as_its_own_sentence() -> None:
    """Commands in a fenced block or a <pre> are not prose: joined as wrapped lines, the block
    read as one long sentence and was shown whole as an answer."""
    markdown = (
        b"Start it with:\n\n```sh\nmake run    # the whole stack on embedded defaults\n"
        b"make test   # lint, type checks and the suite\n\nmake bench\n```\n\nThen sign in.\n"
    )
    html = (
        b"<html><body><p>Start it with:</p><pre>make run    # the whole stack on embedded "
        b"defaults\nmake test   # lint, type checks and the suite</pre><p>Then sign in.</p>"
        b"</body></html>"
    )
    for data, name in ((markdown, "guide.md"), (html, "guide.html")):
        text = extract(data, name).pages[0].text
        sentences = [s.text for s in split_sentences(text)]
        assert "make run # the whole stack on embedded defaults" in sentences, (name, sentences)
        assert "make test # lint, type checks and the suite" in sentences, (name, sentences)
        assert "Then sign in." in sentences, (name, sentences)


# --- cleaning ------------------------------------------------------------------------------


def test_clean_text_joins_pdf_lines_and_keeps_paragraphs() -> None:
    raw = (
        "The infor-\nmation was hard-\nwrapped across\r\nseveral   lines.\t Done.\n\n\n"
        "Second\u00a0para\x07graph with a \ufb01ne ligature.\n"
        "- first bullet\n- second bullet\n"
        "Early History\nThe town grew."
    )
    assert clean_text(raw) == (
        "The information was hardwrapped across several lines. Done.\n\n"
        "Second paragraph with a fine ligature.\n- first bullet\n- second bullet\n"
        "Early History\n\nThe town grew."  # a heading above its text is a paragraph
    )


def test_a_figures_compound_wrapped_after_its_hyphen_is_one_word() -> None:
    """"A 34-" then "kilometre trail": the hyphen is the compound's own, so it stays and no
    space comes in ("34- kilometre" was shown in answers); a word's hyphen still goes."""
    wrapped = "A 34-\nkilometre trail, the Varrick Circuit, goes round the infor-\nmal loch."
    assert clean_text(wrapped) == (
        "A 34-kilometre trail, the Varrick Circuit, goes round the informal loch."
    )


def test_a_line_of_names_that_leaves_a_bracket_open_runs_on() -> None:
    """A wrapped line of capitalised words that looks like a heading but leaves a bracket
    open ("… Northmoor (reference") goes on into the next line, in one paragraph."""
    wrapped = (
        "The study was approved by the School of Psychology Research\n"
        "Ethics Committee at the University of Northmoor (reference\n"
        "PSY-2024-117), and all participants gave written informed consent."
    )
    assert clean_text(wrapped) == " ".join(wrapped.split("\n"))


def test_a_fraction_after_a_whole_number_keeps_its_value() -> None:
    # Unicode's compatibility form spells "2½" as "21⁄2": twenty-one halves.
    cleaned = clean_text("Cook the filling for 2½ hours with ¾ tsp of salt in a ｗｉｄｅ pan.")
    assert cleaned == "Cook the filling for 2½ hours with ¾ tsp of salt in a wide pan."


def test_reference_markers_wrapped_across_lines_are_removed() -> None:
    wrapped = "The claim was disputed.[citation\nneeded] It was settled in\n1911.[12]"
    assert clean_text(wrapped) == "The claim was disputed. It was settled in 1911."


def test_clean_text_is_idempotent_and_keeps_every_word() -> None:
    text = squad_text("Normans.txt")
    cleaned = clean_text(text)
    assert clean_text(cleaned) == cleaned
    # Every word stays; only the reference apparatus ("[citation needed]") goes.
    assert "[citation needed]" in text and "[citation" not in cleaned
    assert cleaned.split() == text.replace("[citation needed]", "").split()


# --- sentences -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Mr. Smith met Dr. Jones at St. Mary's. They talked.",
            ["Mr. Smith met Dr. Jones at St. Mary's.", "They talked."],
        ),
        (
            "Use a tool, e.g. a hammer, i.e. something heavy. Then stop.",
            ["Use a tool, e.g. a hammer, i.e. something heavy.", "Then stop."],
        ),
        (
            "J. R. R. Tolkien wrote it. The U.S. Army read it. Pi is 3.14 roughly.",
            ["J. R. R. Tolkien wrote it.", "The U.S. Army read it.", "Pi is 3.14 roughly."],
        ),
        (
            "Apples, pears, etc. are fruit. We ate them etc. Then we left.",
            ["Apples, pears, etc. are fruit.", "We ate them etc.", "Then we left."],
        ),
        (
            'He said "Stop." Then he left (quietly.) Was it late? Yes! Wait... Go on.',
            [
                'He said "Stop."',
                "Then he left (quietly.)",
                "Was it late?",
                "Yes!",
                "Wait...",
                "Go on.",
            ],
        ),
        ('"Really?" she asked. It was.', ['"Really?" she asked.', "It was."]),
        (
            "A heading without a stop\nThe body starts here.\n\nNext paragraph",
            ["A heading without a stop", "The body starts here.", "Next paragraph"],
        ),
        ("The answer is no. Then we went.", ["The answer is no.", "Then we went."]),
        ("See Fig. 2 and No. 5 for details.", ["See Fig. 2 and No. 5 for details."]),
        # A list's number opens its item; a number ending a sentence still ends it.
        (
            "To reset it:\n1. Open Settings.\n12. Choose Security.\niv. Click Reset. Done.",
            [
                "To reset it:",
                "1. Open Settings.",
                "12. Choose Security.",
                "iv. Click Reset.",
                "Done.",
            ],
        ),
        ("He left at 5. Then he came back.", ["He left at 5.", "Then he came back."]),
        # A numbered item's run-in heading stays with what it heads; the next item does not.
        (
            "4. Spring concert. Saturday 21 March, 7pm. We sing Faure.\n"
            "3.2 Pets. No pets may be kept.\n1. Open Settings. Then choose Security.",
            [
                "4. Spring concert. Saturday 21 March, 7pm.",
                "We sing Faure.",
                "3.2 Pets. No pets may be kept.",
                "1. Open Settings. Then choose Security.",
            ],
        ),
        # A law case's "v.", "c." before a year (circa) and a spaced ellipsis end nothing.
        (
            "It led to the case of FCC v. Pacifica Foundation. Such as Jacques Lefevre "
            '(c. 1455–1536). He said, "I am here to . . . submit." He waited . . . '
            "Nothing came. The answer was c. Then we left.",
            [
                "It led to the case of FCC v. Pacifica Foundation.",
                "Such as Jacques Lefevre (c. 1455–1536).",
                'He said, "I am here to . . . submit."',
                "He waited . . .",
                "Nothing came.",
                "The answer was c.",
                "Then we left.",
            ],
        ),
        ("  \n \n", []),
    ],
)
def test_split_sentences(text: str, expected: list[str]) -> None:
    spans = split_sentences(text)
    assert [span.text for span in spans] == expected
    assert all(text[span.start : span.end] == span.text for span in spans)


def test_sentence_spans_map_back_onto_a_real_article() -> None:
    text = clean_text(squad_text("Normans.txt"))
    spans = split_sentences(text)
    assert len(spans) > 150
    assert all(text[span.start : span.end] == span.text for span in spans)
    assert all(a.end <= b.start for a, b in zip(spans, spans[1:], strict=False))
    assert "".join(span.text for span in spans).replace(" ", "") == re.sub(r"\s", "", text)


# --- chunking ------------------------------------------------------------------------------


def chunk_offsets(page_text: str, chunks: list[ChunkDraft]) -> list[tuple[int, int]]:
    """Where each chunk sits in its page text (chunks are slices of it, in order)."""
    offsets = []
    position = 0
    for chunk in chunks:
        start = page_text.index(chunk.text, position)
        offsets.append((start, start + len(chunk.text)))
        position = start + 1
    return offsets


def assert_well_formed(chunks: list[ChunkDraft], count: Callable[[str], int], limit: int) -> None:
    assert [chunk.ordinal for chunk in chunks] == list(range(len(chunks)))
    for chunk in chunks:
        assert chunk.text.strip() == chunk.text != ""
        assert chunk.token_count == count(chunk.text) <= limit


@pytest.mark.parametrize(
    "name", sorted(p.name for p in SQUAD_DOCS.glob("*.txt")) if SQUAD_DOCS.exists() else []
)
def test_squad_articles_chunk_within_limits_and_lose_nothing(
    name: str, count_tokens: Callable[[str], int]
) -> None:
    extracted = extract(squad_text(name).encode(), name)
    page = extracted.pages[0]
    chunks = chunk_pages(extracted.pages, count_tokens=count_tokens)
    assert_well_formed(chunks, count_tokens, 160)
    assert all(chunk.page is None for chunk in chunks)
    assert 60 < sum(c.token_count for c in chunks) / len(chunks) <= 160
    covered: set[int] = set()
    for start, end in chunk_offsets(page.text, chunks):
        covered.update(range(start, end))
    for paragraph in page.text.split("\n\n"):
        for sentence in split_sentences(paragraph):
            assert any(sentence.text in chunk.text for chunk in chunks), sentence.text
    assert all(i in covered for i, char in enumerate(page.text) if not char.isspace())


def test_overlap_is_trailing_whole_sentences(count_tokens: Callable[[str], int]) -> None:
    text = clean_text(squad_text("Normans.txt"))
    chunks = chunk_pages([PageText(None, text)], count_tokens=count_tokens, overlap_tokens=32)
    offsets = chunk_offsets(text, chunks)
    starts = {span.start for span in split_sentences(text)}
    overlaps = 0
    for (_, previous_end), (start, _) in zip(offsets, offsets[1:], strict=False):
        assert start in starts
        if start < previous_end:
            overlaps += 1
            # At least the overlap when sentences allow, never more than half a chunk.
            assert count_tokens(text[start:previous_end]) - 2 <= 160 // 2
        else:
            # No overlap only where the previous chunk ended at a paragraph break.
            assert "\n\n" in text[previous_end - 1 : start + 1] or start > previous_end
    assert overlaps >= len(chunks) // 3


def test_a_fact_across_a_cut_is_whole_in_one_chunk(count_tokens: Callable[[str], int]) -> None:
    text = clean_text(squad_text("Black_Death.txt"))
    chunks = chunk_pages([PageText(None, text)], count_tokens=count_tokens, overlap_tokens=32)
    checked = 0
    for paragraph in text.split("\n\n"):
        sentences = [s.text for s in split_sentences(paragraph)]
        for first, second in zip(sentences, sentences[1:], strict=False):
            if count_tokens(first) - 2 > 80 or count_tokens(f"{first} {second}") > 160:
                continue
            # Neighbouring sentences of one paragraph stand together in some chunk, so an
            # answer that spans the cut is never lost.
            assert any(first in c.text and second in c.text for c in chunks), first
            checked += 1
    assert checked > 50


def test_no_overlap_when_zero(count_tokens: Callable[[str], int]) -> None:
    text = clean_text(squad_text("Normans.txt"))
    chunks = chunk_pages([PageText(None, text)], count_tokens=count_tokens, overlap_tokens=0)
    offsets = chunk_offsets(text, chunks)
    assert all(b[0] >= a[1] for a, b in zip(offsets, offsets[1:], strict=False))
    assert re.sub(r"\s", "", "".join(c.text for c in chunks)) == re.sub(r"\s", "", text)


def test_small_chunks(count_tokens: Callable[[str], int]) -> None:
    text = clean_text(squad_text("Rhine.txt"))
    chunks = chunk_pages(
        [PageText(None, text)], count_tokens=count_tokens, max_tokens=40, overlap_tokens=8
    )
    assert_well_formed(chunks, count_tokens, 40)


def test_pdf_chunks_carry_their_page(count_tokens: Callable[[str], int]) -> None:
    extracted = extract(pdfs.text_pdf(), "lighthouse.pdf")
    chunks = chunk_pages(
        extracted.pages, count_tokens=count_tokens, max_tokens=24, overlap_tokens=8
    )
    assert_well_formed(chunks, count_tokens, 24)
    for number, sentences in enumerate(pdfs.PAGE_SENTENCES, start=1):
        for sentence in sentences:
            assert any(sentence in c.text and c.page == number for c in chunks), sentence
    for chunk in chunks:
        assert chunk.page is not None
        assert chunk.text in extracted.pages[chunk.page - 1].text


def test_chunks_end_at_paragraph_boundaries_when_the_paragraph_fits(
    count_tokens: Callable[[str], int],
) -> None:
    first = " ".join(f"Sentence {n} of the first paragraph is here." for n in range(10))
    second = " ".join(f"Line {n} of the second paragraph follows." for n in range(10))
    assert 80 < count_tokens(first) < 158 and 158 - count_tokens(first) < count_tokens(second)
    chunks = chunk_pages(
        [PageText(1, f"{first}\n\n{second}")], count_tokens=count_tokens, overlap_tokens=0
    )
    assert [c.text for c in chunks] == [first, second]


MANUAL_SECTIONS = [
    ("Safety", "Never immerse the kettle or its power base in water. " * 3),
    ("Before first use", "Fill the kettle to the MAX mark, boil the water and pour it away. " * 3),
    ("Descaling", "Descale the kettle once a month if you live in a hard water area. " * 4),
    ("Troubleshooting", "Problem: The kettle does not switch on; Cause: Not on its base."),
    ("Warranty", "The kettle is guaranteed for two years from the date of purchase. " * 2),
]


@pytest.mark.parametrize("max_tokens", range(40, 200, 8))
def test_a_heading_starts_the_chunk_of_the_text_it_titles(
    count_tokens: Callable[[str], int], max_tokens: int
) -> None:
    """A section's heading never closes a chunk with its text in the next one, whatever the
    chunk size: the chunk holding "Warranty" holds what the warranty is."""
    text = "\n\n".join(f"{heading}\n\n{body.strip()}" for heading, body in MANUAL_SECTIONS)
    chunks = chunk_pages([PageText(1, text)], count_tokens=count_tokens, max_tokens=max_tokens)
    for chunk in chunks[:-1]:
        last = chunk.text.rsplit("\n\n", 1)[-1]
        assert last not in dict(MANUAL_SECTIONS), (max_tokens, chunk.text)
    for heading, body in MANUAL_SECTIONS:
        first = split_sentences(body)[0].text
        assert any(f"{heading}\n\n{first}" in chunk.text for chunk in chunks), heading


def test_a_chunk_inside_a_long_section_opens_with_its_heading(
    count_tokens: Callable[[str], int],
) -> None:
    """A section longer than a chunk goes on in chunks that start with its heading, within the
    token limit; the rest of each chunk is the page's text. A page that starts inside a
    section (a PDF's next page) carries the heading over."""
    claims = " ".join(f"Claims of kind {n} are answered by the service centre." for n in range(30))
    first = PageText(1, f"Kettle manual\n\nWarranty\n\n{claims}")
    second = PageText(2, "Repairs by anyone else end the cover.\n\nDescaling\n\nUse vinegar.")
    chunks = chunk_pages([first, second], count_tokens=count_tokens, max_tokens=60)

    assert len(chunks) > 3
    assert chunks[0].text.startswith("Kettle manual\n\nWarranty\n\nClaims of kind 0")
    assert all(chunk.token_count == count_tokens(chunk.text) <= 60 for chunk in chunks)
    heading = "Kettle manual\n\nWarranty\n\n"
    later = [c.text for c in chunks[1:] if c.page == 1]
    assert later and all(t.startswith(f"{heading}Claims of kind") for t in later), later
    assert all(t.removeprefix(heading) in first.text for t in later)
    on_second = [c.text for c in chunks if c.page == 2]
    assert on_second[0].startswith("Kettle manual\n\nWarranty\n\nRepairs by anyone else")
    assert "Descaling\n\nUse vinegar." in on_second[-1]


def test_long_sentence_is_split_between_words(count_tokens: Callable[[str], int]) -> None:
    words = [f"word{n}" for n in range(600)]
    text = " ".join(words)
    for overlap in (0, 20):
        chunks = chunk_pages(
            [PageText(7, text)], count_tokens=count_tokens, max_tokens=60, overlap_tokens=overlap
        )
        assert_well_formed(chunks, count_tokens, 60)
        runs = [[int(word[4:]) for word in chunk.text.split(" ")] for chunk in chunks]
        for run, following in zip(runs, runs[1:], strict=False):
            assert run == list(range(run[0], run[-1] + 1))  # whole words, in order
            assert following[0] <= run[-1] + 1  # nothing skipped between chunks
            assert (following[0] <= run[-1]) == (overlap > 0)
        assert runs[0][0] == 0 and runs[-1][-1] == 599


def test_unspaced_text_is_cut_within_the_limit(count_tokens: Callable[[str], int]) -> None:
    text = "\u6e2f\u53e3\u7684\u6d77\u5824\u5728\u5341\u4e00\u6708\u53d7\u635f" * 200
    chunks = chunk_pages([PageText(None, text)], count_tokens=count_tokens, overlap_tokens=0)
    assert_well_formed(chunks, count_tokens, 160)
    assert "".join(c.text for c in chunks) == text


def test_empty_pages_and_bad_limits(count_tokens: Callable[[str], int]) -> None:
    assert chunk_pages([PageText(1, ""), PageText(2, " \n ")], count_tokens=count_tokens) == []
    with pytest.raises(ValueError):
        chunk_pages([], count_tokens=count_tokens, max_tokens=2)
    with pytest.raises(ValueError):
        chunk_pages([], count_tokens=count_tokens, max_tokens=50, overlap_tokens=50)


def test_one_megabyte_chunks_without_quadratic_work(count_tokens: Callable[[str], int]) -> None:
    """A megabyte of text is cut in well under a second on any machine (`make bench` times
    it); the guard catches work growing with the square of the text (hours), not speed."""
    article = clean_text(squad_text("Normans.txt"))
    text = ("\n\n".join([article] * (1_000_000 // len(article) + 1)))[:1_000_000]
    started = time.perf_counter()
    chunks = chunk_pages([PageText(None, text)], count_tokens=count_tokens)
    elapsed = time.perf_counter() - started
    assert len(chunks) > 1000 and max(c.token_count for c in chunks) <= 160
    assert "".join(c.text for c in chunks).count("Normans") >= text.count("Normans")
    assert elapsed < 120, f"chunking 1 MB took {elapsed:.1f}s"


def test_a_labelled_line_ends_where_its_value_does() -> None:
    """A note's lines of labels and values, then its prose: the last value is not run into
    the sentence below it, but a value that runs on ("Address: 4 Mill Lane,") goes on."""
    note = (
        "IN AN EMERGENCY\n"
        "Emergency services: 999\n"
        "Nearest A&E: Wansbeck General Hospital, Ashington (about 50 minutes)\n"
        "Nearest GP: Glendale Surgery, Wooler - 01668 000 310\n"
        "The stopcock is under the kitchen sink. The fuse box is in the cupboard under\n"
        "the stairs, next to the router.\n\n"
        "Delivery address: Curlew Cottage, Hethpool Farm, 4 Mill Lane, Wooler,\n"
        "Northumberland NE71 6AB, or leave parcels in the porch by the front door.\n"
    )
    text = extract(note.encode(), "welcome.txt").pages[0].text
    assert "Nearest GP: Glendale Surgery, Wooler - 01668 000 310\nThe stopcock" in text, text
    assert "the cupboard under the stairs" in text
    assert "4 Mill Lane, Wooler, Northumberland NE71 6AB" in text, text


def test_a_list_item_that_leaves_a_bracket_open_goes_on_onto_the_next_line() -> None:
    """A list's item wrapped inside a bracket or after a joining word goes on; a capitalised
    line after a whole item is the next paragraph."""
    kit = (
        "• Plain black school shoes, no trainers\n"
        "• Book bag with the school logo (Reception to\n"
        "Year 4)\n"
        "• Green drawstring PE bag, clearly named and\n"
        "Labelled with your child's class\n"
        "• White polo shirt\n"
        "PE kits should be brought in on Monday.\n"
    )
    lines = clean_text(kit).split("\n")
    assert "• Book bag with the school logo (Reception to Year 4)" in lines, lines
    assert "• Green drawstring PE bag, clearly named and Labelled with your child's class" in lines
    assert lines[-2:] == ["• White polo shirt", "PE kits should be brought in on Monday."]
