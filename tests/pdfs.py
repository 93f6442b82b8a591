"""Real PDF files for tests, built with fpdf2 (and pypdf for encryption and odd structures)."""

from __future__ import annotations

import io
import zlib

from fpdf import FPDF
from pypdf import PdfWriter
from pypdf.generic import NameObject, StreamObject

# Sentences placed on known pages: PAGE_SENTENCES[n - 1] is on page n.
PAGE_SENTENCES = [
    [
        "The lighthouse keeper climbed the spiral stairs every evening at dusk.",
        "Seabirds nested on the rocks below the tower.",
    ],
    [
        "Storms in November damaged the harbour wall twice.",
        "The village council voted to rebuild it with granite blocks.",
    ],
    [
        "A new lamp arrived from Glasgow in the spring of 1889.",
        "Its beam could be seen from thirty kilometres away.",
    ],
]


def _text_pdf(pages: list[list[str]]) -> FPDF:
    pdf = FPDF()
    pdf.set_font("Helvetica", size=12)
    for sentences in pages:
        pdf.add_page()
        pdf.multi_cell(0, 8, " ".join(sentences))
    return pdf


def text_pdf(pages: list[list[str]] | None = None) -> bytes:
    """A PDF with a text layer, one page per list of sentences (PAGE_SENTENCES by default)."""
    return bytes(_text_pdf(PAGE_SENTENCES if pages is None else pages).output())


# A report as word processors lay it out: a title in large type, paragraphs set apart by space
# or by an indented first line, a running title and page number on every page, and a paragraph
# that a page break cuts in two.
REPORT_TITLE = "Survey of the Skerra light"
REPORT_SPACED = [
    "The lighthouse on Skerra was first lit in 1871 after two wrecks on the northern reef. "
    "Its keepers kept a log of every ship that passed and of the weather at each watch.",
    "The tower is built of granite quarried on the island itself and stands twenty-six metres "
    "above the rocks. A spiral stair of one hundred and twelve steps leads to the lamp room.",
]
REPORT_INDENTED = [
    "Storms in the winter of 1903 cracked the lantern glass, and the lamp was dark for nine "
    "nights while a new pane came by boat from Leith.",
    "The keepers left the island in 1987 when the light was made automatic, and the cottages "
    "now house a small museum of their log books.",
]
# Long enough to run past the bottom of the first page.
REPORT_ACROSS = (
    "The fog signal, a pair of compressed air horns installed in 1911, sounded two blasts "
    "every minute in poor visibility and could be heard eleven kilometres out to sea. "
) * 9 + "The horns were silenced for good in 2005 when ships no longer needed them."


def report_pdf() -> bytes:
    """A three-page report laid out as above (REPORT_*), with "Skerra survey" and the page
    number at the foot of every page."""

    class Report(FPDF):
        def footer(self) -> None:
            self.set_y(-15)
            self.set_font("Helvetica", size=9)
            self.cell(0, 10, f"Skerra survey - page {self.page_no()}", align="C")

    pdf = Report()
    pdf.set_auto_page_break(True, margin=20)
    pdf.add_page()
    pdf.set_font("Helvetica", size=20)
    pdf.multi_cell(0, 10, REPORT_TITLE, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=11)
    for paragraph in REPORT_SPACED:
        pdf.ln(4)
        pdf.multi_cell(0, 6, paragraph, new_x="LMARGIN", new_y="NEXT")
    for paragraph in REPORT_INDENTED:  # no space between: the first line is indented
        pdf.set_x(pdf.l_margin + 8)
        pdf.write(6, paragraph)
        pdf.ln(6)
    pdf.ln(4)
    pdf.set_y(pdf.h - 20 - 6 * 4)  # four lines from the foot of the page
    pdf.multi_cell(0, 6, REPORT_ACROSS, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.multi_cell(0, 6, "The survey ends here.", new_x="LMARGIN", new_y="NEXT")
    pdf.add_page()
    pdf.multi_cell(0, 6, "Appendix: the keepers' names are kept in the museum.",
                   new_x="LMARGIN", new_y="NEXT")  # fmt: skip
    return bytes(pdf.output())


def article_pdf(title: str, paragraphs: list[str]) -> bytes:
    """An article set as a book page: a running title at the head of every page, the page
    number at its foot, paragraphs apart by a little space, page breaks where they fall."""

    class Article(FPDF):
        def header(self) -> None:
            self.set_font("Helvetica", size=8)
            self.cell(0, 6, title, align="R", new_x="LMARGIN", new_y="NEXT")
            self.ln(4)

        def footer(self) -> None:
            self.set_y(-12)
            self.set_font("Helvetica", size=8)
            self.cell(0, 6, str(self.page_no()), align="C")

    pdf = Article()
    pdf.add_page()
    for paragraph in paragraphs:
        pdf.set_font("Helvetica", size=11)
        pdf.multi_cell(0, 5.5, paragraph, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(3)
    return bytes(pdf.output())


# A handbook set in three sizes of heading over its body text; the second section runs over the
# page break.
HANDBOOK_TITLE = "Staff handbook"
HANDBOOK_SECTIONS = [
    (
        "1. Annual leave",
        "Carrying over",
        ["Every employee has 25 days of paid leave a year. Up to five unused days may be carried "
         "over into the next year with the manager's agreement."],
    ),
    (
        "2. Expenses",
        "Meals and hotels",
        [
            f"Rule {n}: claims of kind {n} are paid up to {10 * n} pounds a day while travelling, "
            f"with a receipt for every item over {n} pounds, through the finance office in room "
            f"{100 + n}, which answers within {n + 2} working days of the claim and pays it with "
            f"the salary of the month after, unless the claim is older than {n + 30} days."
            for n in range(1, 19)
        ],
    ),
]


def handbook_pdf() -> bytes:
    """A two-page handbook: its title at 18 points, sections at 14, their parts at 12, the
    text at 10.5 (HANDBOOK_*)."""
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=18)
    pdf.multi_cell(0, 10, HANDBOOK_TITLE, new_x="LMARGIN", new_y="NEXT")
    for section, part, paragraphs in HANDBOOK_SECTIONS:
        pdf.ln(6)
        pdf.set_font("Helvetica", size=14)
        pdf.multi_cell(0, 8, section, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(3)
        pdf.set_font("Helvetica", size=12)
        pdf.multi_cell(0, 7, part, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)
        pdf.set_font("Helvetica", size=10.5)
        for text in paragraphs:
            pdf.multi_cell(0, 5.5, text, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(3)
    return bytes(pdf.output())


def shapes_only_pdf() -> bytes:
    """A PDF whose only page holds drawn shapes: no text layer, like a scanned page."""
    pdf = FPDF()
    pdf.add_page()
    pdf.set_fill_color(200, 30, 30)
    pdf.rect(20, 20, 80, 40, style="F")
    pdf.ellipse(60, 100, 50, 50, style="D")
    pdf.line(10, 200, 190, 250)
    return bytes(pdf.output())


def _encrypt(data: bytes, user_password: str) -> bytes:
    writer = PdfWriter(clone_from=io.BytesIO(data))
    # RC4 needs no extra package; AES would need `cryptography`, which is not installed.
    writer.encrypt(user_password=user_password, owner_password="owner-secret", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def encrypted_pdf() -> bytes:
    """The text PDF, encrypted with a user password: cannot be opened without it."""
    return _encrypt(text_pdf(), "user-secret")


def empty_password_pdf() -> bytes:
    """The text PDF, encrypted with an empty user password: opens without asking."""
    return _encrypt(text_pdf(), "")


def truncated_pdf() -> bytes:
    """The first part of a real PDF, as left by an interrupted download."""
    data = text_pdf()
    return data[: len(data) // 3]


def garbage_pdf() -> bytes:
    """A PDF header followed by bytes that are not PDF structure."""
    return b"%PDF-1.7\n" + bytes(range(256)) * 20


def not_a_pdf() -> bytes:
    """Plain text that someone saved with a .pdf name."""
    return b"Meeting notes: bring the quarterly figures on Monday.\n"


def no_pages_pdf() -> bytes:
    """A structurally valid PDF without a single page."""
    out = io.BytesIO()
    PdfWriter().write(out)
    return out.getvalue()


def big_stream_pdf(decompressed_bytes: int, *, compress: bool = True) -> bytes:
    """A one-page PDF whose content stream is `decompressed_bytes` long once inflated.

    Compressed, a few KB on disk inflate to the full size: the shape of a decompression bomb.
    """
    writer = PdfWriter()
    page = writer.add_blank_page(width=200, height=200)
    body = b"BT /F1 12 Tf 10 10 Td (Hi) Tj ET\n"
    body += b" " * (decompressed_bytes - len(body))
    stream = StreamObject()
    if compress:
        # set_data stores the bytes as given; the /Filter entry tells readers to inflate them.
        stream.set_data(zlib.compress(body, 9))
        stream[NameObject("/Filter")] = NameObject("/FlateDecode")
    else:
        stream.set_data(body)
    page[NameObject("/Contents")] = writer._add_object(stream)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def bold_report_pdf() -> bytes:
    """A two-page report whose sections are headed by bold lines in the text's own size, its
    paragraphs one or two lines each, and each page's foot numbered ("... - page 1")."""

    class Report(FPDF):
        def footer(self) -> None:
            self.set_y(-15)
            self.set_font("Helvetica", size=8)
            self.cell(0, 10, f"Greenway Trust - Annual Report 2025 - page {self.page_no()}")

    pdf = Report()
    pdf.add_page()
    pdf.set_font("Helvetica", style="B", size=16)
    pdf.multi_cell(0, 9, "Greenway Trust Annual Report 2025", new_x="LMARGIN", new_y="NEXT")
    for page, (heading, paragraphs) in enumerate(REPORT_SECTIONS):
        if page == 2:
            pdf.add_page()
        pdf.ln(3)
        pdf.set_font("Helvetica", style="B", size=11)
        pdf.multi_cell(0, 6, heading, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", size=11)
        for text in paragraphs:
            pdf.ln(1)
            pdf.multi_cell(0, 6, text, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(3)
    return bytes(pdf.output())


REPORT_SECTIONS = [
    (
        "Chair's welcome",
        [
            "2025 was our busiest year yet. Volunteers planted 14,200 trees across 31 sites.",
            "Our new education programme reached 2,900 schoolchildren.",
            "I thank every volunteer and donor who made this possible.",
        ],
    ),
    ("Finances", ["Total income for the year was 1.42 million pounds.", "Spending rose."]),
    ("Our people", ["Dr Helen Ashworth became chief executive in April 2025."]),
]


INCOME = [("Source", "Amount (pounds)", "Share"), ("Donations", "823,600", "58%"),
          ("Grants", "426,000", "30%"), ("Events", "170,400", "12%")]  # fmt: skip
COLUMNS_PROSE = [
    ("The lake lies in a valley carved by", "The town of Orvik was founded in 1346"),
    ("glaciers during the last ice age and", "as a trading post for timber and fish,"),
    ("is fed by meltwater from the Skarn", "and its harbour still serves the boats"),
    ("Glacier, nine kilometres to the east.", "that fish the lake every summer."),
]


def table_pdf(centred: bool = False) -> bytes:
    """A sentence, a table of income set in cells (INCOME, its header bold, `centred` over its
    columns or flush left as the rows), a sentence, then two columns of prose printed line by
    line across the page (COLUMNS_PROSE)."""
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    pdf.multi_cell(0, 6, "Income came from three sources.", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    for k, row in enumerate(INCOME):
        pdf.set_font("Helvetica", style="B" if k == 0 else "", size=10)
        for cell in row:
            pdf.cell(60, 7, cell, border=1, align="C" if centred and k == 0 else "L")
        pdf.ln()
    pdf.ln(4)
    pdf.set_font("Helvetica", size=11)
    pdf.multi_cell(0, 6, "Spending rose to 1.18 million pounds.", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    for left, right in COLUMNS_PROSE:
        pdf.cell(95, 6, left)
        pdf.cell(95, 6, right)
        pdf.ln()
    return bytes(pdf.output())


FACT_BOX = [
    ("Lectures", ["Tuesday and Thursday, 10:05-11:20 AM, Bracken Hall 118"]),
    ("Instructor", ["Dr. Marisol Echeverria-Hunt"]),
    ("Office hours", ["Mondays 1:30-3:00 PM and Thursdays 11:30 AM-12:30 PM, or by",
                      "appointment"]),
    ("Prerequisites", ["MATH 1210 (Calculus I)"]),
]
OUTCOMES = ["Describe the hydrological cycle and its stores.", "Apply Darcy's law to wells."]


def fact_box_pdf() -> bytes:
    """A syllabus's opening: a box of FACT_BOX's labels and values (one value going on onto
    a second line under it), then a numbered list (OUTCOMES), its numbers apart from its
    items."""
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    pdf.multi_cell(0, 6, "ENVS 2140: Introduction to Hydrology", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    for label, value in FACT_BOX:
        for k, line in enumerate(value):
            pdf.cell(40, 6, label if k == 0 else "")
            pdf.cell(140, 6, line)
            pdf.ln()
    pdf.ln(4)
    outcomes = "By the end of the course you will be able to:"
    pdf.multi_cell(0, 6, outcomes, new_x="LMARGIN", new_y="NEXT")
    for number, outcome in enumerate(OUTCOMES, start=1):
        pdf.cell(10, 6, f"{number}.")
        pdf.cell(170, 6, outcome)
        pdf.ln()
    return bytes(pdf.output())


STATEMENT_HEADER = ["Date", "Description", "Paid out", "Paid in", "Balance"]
STATEMENT = [  # a date, a description, then an amount paid out or in, and the balance
    ("01 Sep", "BALANCE BROUGHT FORWARD", "", "", "1,284.36"),
    ("02 Sep", "DD THAMES WATER UTILITIES", "38.50", "", "1,245.86"),
    ("03 Sep", "SO MRS J OKONKWO RENT SHARE", "", "450.00", "1,695.86"),
    ("12 Sep", "SO GREYSTONE LETTINGS RENT", "1,950.00", "", "254.14 OD"),
    ("27 Sep", "BANK GIRO CREDIT KESTREL ANALYTICS SALARY", "", "2,614.83", "2,360.69"),
]


def statement_pdf() -> bytes:
    """A bank statement's box of labels and values (the account holder's name beside "Account
    name" first), then its transactions (STATEMENT) under a header (STATEMENT_HEADER): each row
    leaves one amount's column empty, and the amounts are set flush right, so they start where
    their width puts them."""
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=10)
    for label, value in [
        ("Account name", "MR MARCUS J BELL"), ("Sort code", "40-17-62"),
        ("Account number", "51837264"), ("Statement date", "1 October 2024"),
    ]:
        pdf.cell(40, 6, label)
        pdf.cell(80, 6, value)
        pdf.ln()
    pdf.ln(4)
    widths = [20, 85, 25, 25, 30]
    for k, label in enumerate(STATEMENT_HEADER):
        pdf.cell(widths[k], 7, label, align="R" if k > 1 else "L")
    pdf.ln()
    for row in STATEMENT:
        for k, cell in enumerate(row):
            pdf.cell(widths[k], 7, cell, align="R" if k > 1 else "L")
        pdf.ln()
    return bytes(pdf.output())


def _table_page(title: str) -> FPDF:
    """A page with a title over a table set in small type, ready for the table's cells."""
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    pdf.multi_cell(0, 6, title, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf.set_font("Helvetica", size=9)
    return pdf


TIMETABLE = [  # a stop, then three weekday journeys and two on Saturday ("-": not served)
    ("Kettlewell, Car Park", "-", "10:25", "16:05", "09:40", "17:25"),
    ("Kilnsey, Tennant Arms", "07:53", "10:33", "16:13", "09:48", "17:33"),
    ("Grassington, Centre", "08:08", "10:48", "16:28", "10:03", "17:48"),
]


def timetable_pdf() -> bytes:
    """A bus timetable (TIMETABLE): "Stop" over its first column, "Monday to Friday" centred
    over three columns of times and "Saturday" over two, a line of marks ("*") over a column,
    and a stop not served on one journey ("-", centred)."""
    pdf = _table_page("Kettlewell to Grassington")
    pdf.cell(50, 6, "Stop")
    pdf.cell(60, 6, "Monday to Friday", align="C")
    pdf.cell(40, 6, "Saturday", align="C")
    pdf.ln()
    pdf.cell(70, 6, "")
    pdf.cell(20, 6, "*", align="C")
    pdf.ln()
    for row in TIMETABLE:
        pdf.cell(50, 6, row[0])
        for cell in row[1:]:
            pdf.cell(20, 6, cell, align="C")
        pdf.ln()
    pdf.ln(4)
    pdf.set_font("Helvetica", size=11)
    pdf.multi_cell(0, 6, "* Runs on school days only.", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


CONTACTS_HEADER = ["Role", "Name", "Contact about", "How to reach them"]
CONTACTS = [  # cells too long for their column wrap onto lines of their own
    ("Attendance Officer", "Mrs Joanne Pike", "Reporting absence, lateness, leave requests",
     "01632 960418 (option 1)"),
    ("Head teacher", "Mr Daniel Osei", "Exceptional leave requests; appeals",
     "Via the school office, 01632 960418 (option 3)"),
    ("SENCo", "Ms Priya Nair", "Attendance linked to special educational needs",
     "senco@oakfield.sch.uk"),
]


def _row_cell_by_cell(pdf: FPDF, widths: list[int], row: list[str] | tuple[str, ...]) -> None:
    """One table row as a word processor prints it: cell by cell, each cell's lines (wrapped
    in its column) before the next cell's; the next row starts under the tallest cell."""
    top = pdf.get_y()
    x = pdf.l_margin
    bottom = top
    for width, cell in zip(widths, row, strict=True):
        pdf.set_xy(x, top)
        pdf.multi_cell(width - 2, 5, cell)
        bottom = max(bottom, pdf.get_y())
        x += width
    pdf.set_xy(pdf.l_margin, bottom + 2)


def contacts_pdf() -> bytes:
    """A school's table of whom to contact (CONTACTS under CONTACTS_HEADER) as a word
    processor prints it: each row cell by cell, each cell's lines before the next cell's, a
    cell too long for its column wrapped onto a line under it."""
    pdf = _table_page("7. Who to contact")
    for row in [CONTACTS_HEADER, *CONTACTS]:
        _row_cell_by_cell(pdf, [35, 35, 50, 60], row)
    pdf.set_font("Helvetica", size=11)
    pdf.multi_cell(0, 6, "The office is open from 8.15 am.", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


FEES_HEADER = ["Payment", "Amount", "When it is payable"]
FEES = [  # each row's lines, as printed line by line across the row
    [("Holding deposit", "One week's rent", "To reserve the property")],
    [("Early termination", "The landlord's costs, plus", "If you ask to leave"),
     ("(surrender)", "rent until a new tenant", "before the end of the"),
     ("", "moves in", "fixed term")],
    [("Lost keys", "The cost of replacement", "When one is needed")],
]


def fees_pdf() -> bytes:
    """A letting agent's fees (FEES under FEES_HEADER), each row printed line by line across
    its cells, one row's every cell wrapped onto lines under it."""
    pdf = _table_page("Fees and payments")
    for row in [[tuple(FEES_HEADER)], *FEES]:
        for line in row:
            for width, cell in zip([45, 55, 55], line, strict=True):
                pdf.cell(width, 5, cell)
            pdf.ln()
        pdf.ln(2)
    return bytes(pdf.output())


RAISED_CALL = [
    "Archaeologists found a Bronze Age settlement on the eastern shore, dated to 1200 BC.",
    "The town of Orvik was founded in 1346 as a trading post for timber and fish.",
    "It grew quickly after the railway arrived in 1871, and by 1900 it had a school.",
]


def raised_call_pdf() -> bytes:
    """One paragraph of RAISED_CALL's sentences, a line each, the second line opening with a
    footnote's call set raised and smaller ("[3]"), as a browser prints a saved article."""
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    first, second, third = RAISED_CALL
    pdf.write(6, first)
    pdf.ln()
    pdf.char_vpos = "SUP"
    pdf.write(6, "[3]")
    pdf.char_vpos = "LINE"
    pdf.write(6, f" {second}")
    pdf.ln()
    pdf.write(6, third)
    return bytes(pdf.output())


POOL_HEADER = ["Day", "Early lane swim", "Morning", "Lunchtime lanes", "Evening"]
POOL = [  # a session's name wraps under its times; "" leaves the column empty
    ("Monday", "06:30-08:30", "09:00-10:00 Aqua Fit", "12:00-13:30", "17:00-19:00 Swim School"),
    ("Tuesday", "06:30-08:30", "09:00-11:00 Over 60s", "", "20:00-21:30 Adults Only"),
    ("Wednesday", "06:30-08:30", "", "12:00-13:30", "18:00-20:00 Otters Swimming Club"),
    ("Saturday", "07:00-09:00", "09:00-12:00 Swim School", "", ""),
]


POOL_PRICES = [  # under "Session", "Adult" and "Junior (4-16)", centred: a label with figures
    ("Public swim", "£5.40", "£3.20"),
    ("Family swim (2 adults + 2 children)", "£15.00", ""),
    ("Aqua fit", "£6.80", "£5.10"),
]


def pool_pdf() -> bytes:
    """A pool's timetable as a word processor sets it (POOL under POOL_HEADER): each row's
    cells printed in turn, flush left, a cell too long for its column wrapped onto a second
    line and each cell centred on the row's height (so a one-line cell stands between the
    two lines of a wrapped one), the header's labels centred over their columns (two of them
    wrapped too), and columns some rows leave empty; then its prices (POOL_PRICES), under a
    label holding figures."""
    pdf = _table_page("Main pool timetable")
    widths = [26, 22, 40, 24, 52]
    line = 4.2

    def row_of(cells: list[str], align: str) -> None:
        top = pdf.get_y()
        x = pdf.l_margin
        parts = [pdf.multi_cell(w - 3, line, c, dry_run=True, output="LINES") for w, c in
                 zip(widths, cells, strict=True)]  # fmt: skip
        height = max(len(p) for p in parts) * line
        for width, lines in zip(widths, parts, strict=True):
            y = top + (height - len(lines) * line) / 2
            for k, text in enumerate(lines):
                pdf.set_xy(x, y + k * line)
                pdf.cell(width - 3, line, text, align=align)
            x += width
        pdf.set_xy(pdf.l_margin, top + height + 2)

    row_of(POOL_HEADER, "C")
    for row in POOL:
        row_of(list(row), "L")
    pdf.ln(4)
    widths[:] = [60, 25, 35, 1, 1]
    row_of(["Session", "Adult", "Junior (4-16)", "", ""], "C")
    for row in POOL_PRICES:
        row_of([*row, "", ""], "L")
    pdf.set_font("Helvetica", size=11)
    pdf.multi_cell(0, 6, "Sessions may change in school holidays.", new_x="LMARGIN",
                   new_y="NEXT")  # fmt: skip
    return bytes(pdf.output())


INGREDIENTS = ["320 g shortcrust pastry", "2 medium leeks, sliced", "25 g butter", "3 large eggs",
               "200 ml double cream", "150 g Cheddar, grated"]  # fmt: skip
METHOD = ["Heat the oven to 200 C.", "Line the tin with the pastry.", "Bake for 40 minutes."]


def recipe_pdf() -> bytes:
    """A recipe whose lists set each item's mark apart from its text, as word processors do:
    a dash beside each ingredient (INGREDIENTS) and a number beside each step (METHOD), and a
    box of labels whose first ends in its own colon."""
    pdf = _table_page("Cheddar and leek tart")
    pdf.cell(0, 6, "Ingredients", new_x="LMARGIN", new_y="NEXT")
    for item in INGREDIENTS:
        pdf.cell(6, 5, "-")
        pdf.cell(0, 5, item, new_x="LMARGIN", new_y="NEXT")
    pdf.cell(0, 6, "Method", new_x="LMARGIN", new_y="NEXT")
    for number, step in enumerate(METHOD, 1):
        pdf.cell(6, 5, f"{number}.")
        pdf.cell(0, 5, step, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    for label, value in [("Serves:", "6"), ("Oven", "200 C"), ("Freezes", "Yes, for a month")]:
        pdf.cell(30, 5, label)
        pdf.cell(0, 5, value, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


SERVICE_BOX = [  # a report's box of details: label, value, label, value
    ("Report No.", "HHP-24-1187", "Date of visit", "14 October 2024"),
    ("Customer", "Mrs Joanne Pickering", "Engineer", "Darren Whitlock"),
]


def service_report_pdf() -> bytes:
    """An engineer's report opening with a box of details two pairs to a row (SERVICE_BOX),
    then a paragraph."""
    pdf = _table_page("Boiler service report")
    for row in SERVICE_BOX:
        for width, cell in zip([30, 55, 30, 55], row, strict=True):
            pdf.cell(width, 6, cell)
        pdf.ln()
    pdf.ln(3)
    pdf.set_font("Helvetica", size=11)
    pdf.multi_cell(0, 6, "The boiler was serviced and found safe to use.", new_x="LMARGIN",
                   new_y="NEXT")  # fmt: skip
    return bytes(pdf.output())


MEMBERS_HEADER = ["Membership", "Access", "Monthly", "Annual", "Joining fee"]
MEMBERS = [
    ["Standard", "Gym and classes, all hours", "£36.99", "£379", "£20"],
    ["Premium", "Gym, classes, pool and sauna", "£49.99", "£519", "£0"],
    ["Student (with valid NUS or university ID)", "As Standard", "£22.50", "£225", "£0"],
    ["Senior (aged 65 and over)", "As Premium, off-peak only", "£27.00", "£275", "£10"],
    ["Family (2 adults + up to 3 children aged 11-15)",
     "As Premium; children must follow Junior Rules", "£94.00", "£960", "£35"],
    ["Swim Only", "Pool during public swims", "£19.50", "£199", "£10"],
]  # fmt: skip


def members_pdf() -> bytes:
    """A gym's prices (MEMBERS under MEMBERS_HEADER) as a word processor prints a table whose
    cells are centred on their row's height: cell by cell, a cell of one line set halfway down
    beside a cell of two."""
    pdf = _table_page("1. Membership options and prices")
    widths, step = [40, 50, 25, 25, 25], 5
    for row in [MEMBERS_HEADER, *MEMBERS]:
        top = pdf.get_y()
        counts = [
            len(pdf.multi_cell(width - 2, step, cell, dry_run=True, output="LINES"))
            for width, cell in zip(widths, row, strict=True)
        ]
        x = pdf.l_margin
        for width, cell, count in zip(widths, row, counts, strict=True):
            pdf.set_xy(x, top + (max(counts) - count) * step / 2)
            pdf.multi_cell(width - 2, step, cell)
            x += width
        pdf.set_xy(pdf.l_margin, top + max(counts) * step + 2)
    return bytes(pdf.output())


BOOKING_HEADER = ["Booking reference", "Booking date", "Status"]
BOOKING = ["K7QZ4M", "14 January 2026", "Confirmed"]
TROUBLE_HEADER = ["Problem", "Possible cause", "Solution"]
TROUBLE = [
    ["The machine does not switch on.", "Not connected to the mains, or the main power "
     "switch is off.", "Check the plug and the socket. Switch on the main power switch at "
     "the back."],
    ["Coffee is too weak or watery.", "Grind is too coarse, or too little coffee when using "
     "ground coffee.", "Turn the grind setting dial to a finer grind setting while the "
     "grinder is running."],
    ["Coffee is not hot enough.", "Cups are cold.", "Warm the cups with hot water first."],
]


def bold_header_pdf() -> bytes:
    """A coffee machine's manual as a word processor prints it: a booking-style table of one
    row under a header set in bold (BOOKING under BOOKING_HEADER), then a troubleshooting
    table (TROUBLE under TROUBLE_HEADER) whose cells are sentences wrapped in their columns,
    each row printed cell by cell, then a paragraph."""
    pdf = _table_page("6. Troubleshooting")
    for header, rows, widths in (
        (BOOKING_HEADER, [BOOKING], [50, 50, 50]),
        (TROUBLE_HEADER, TROUBLE, [45, 55, 70]),
    ):
        for k, row in enumerate([header, *rows]):
            pdf.set_font("Helvetica", "B" if k == 0 else "", size=9)
            _row_cell_by_cell(pdf, widths, row)
        pdf.ln(4)
    pdf.set_font("Helvetica", size=11)
    pdf.multi_cell(0, 6, "If the problem persists, contact Customer Care on 01632 960 318.",
                   new_x="LMARGIN", new_y="NEXT")  # fmt: skip
    return bytes(pdf.output())


def bold_labelled_columns_pdf() -> bytes:
    """Two columns of prose printed line by line across the page (COLUMNS_PROSE) under two
    labels set in bold, one over each."""
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", style="B", size=11)
    pdf.cell(95, 6, "The lake")
    pdf.cell(95, 6, "The town")
    pdf.ln()
    pdf.set_font("Helvetica", size=11)
    for left, right in COLUMNS_PROSE:
        pdf.cell(95, 6, left)
        pdf.cell(95, 6, right)
        pdf.ln()
    return bytes(pdf.output())


RECIPE_ITEMS = ["400 g tin chopped tomatoes", "500 ml vegetable stock",
                "Small bunch fresh coriander, to serve"]  # fmt: skip
RECIPE_STEPS = ["1. Heat the oil in a large pan and fry the onion for 8 minutes.",
                "2. Add the tomatoes and the stock and simmer for 30 minutes."]  # fmt: skip


def recipe_over_pages_pdf() -> bytes:
    """A recipe whose ingredients list ends its first page with no full stop, and whose bold
    heading "Method" opens the second page over the steps."""
    pdf = FPDF()
    pdf.set_auto_page_break(False)
    pdf.add_page()
    pdf.set_font("Helvetica", style="B", size=14)
    pdf.multi_cell(0, 8, "Chickpea stew", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=11)
    pdf.multi_cell(0, 6, "Serves 4. Ready in an hour.", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", style="B", size=11.5)
    pdf.multi_cell(0, 6, "Ingredients", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=11)
    pdf.set_y(240)
    for item in RECIPE_ITEMS:
        pdf.multi_cell(0, 6, f"- {item}", new_x="LMARGIN", new_y="NEXT")
    pdf.add_page()
    pdf.set_font("Helvetica", style="B", size=11.5)
    pdf.multi_cell(0, 6, "Method", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=11)
    for step in RECIPE_STEPS:
        pdf.multi_cell(0, 6, step, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


BILL_SUMMARY = [  # a description beside its amount, set flush right
    ("Balance brought forward on 1 March 2026", "£42.15 in credit"),
    ("Payments received - Direct Debit, 15 March 2026", "£95.00"),
    ("Electricity charges this period (including VAT)", "£97.38"),
    ("Balance on 31 March 2026", "£39.77 in credit"),
]
BILL_CHARGES_HEADER = ["Charge", "Calculation", "Amount"]
BILL_CHARGES = [  # the totals leave the calculation empty
    ("Electricity used", "309 kWh at 24.86p per kWh", "£76.82"),
    ("Standing charge", "31 days at 51.37p per day", "£15.92"),
    ("Total before VAT", "", "£92.74"),
    ("VAT", "5% of £92.74", "£4.64"),
    ("Total charges for this period", "", "£97.38"),
]
BILL_CONTACTS = [  # a label in bold beside what to do, wrapped in its column
    ("Call us", "0345 072 4419. Monday to Friday 8am to 8pm, Saturday 9am to 1pm."),
    ("Email", "hello@brightwater-energy.example - we aim to reply within two working days."),
    ("Power cut?", "Call 105 free of charge from any phone. This puts you through to your "
     "local network operator, who looks after the cables in your area."),
]


def energy_bill_pdf() -> bytes:
    """An energy bill as a word processor prints it: an account summary whose amounts are set
    flush right beside long descriptions under "Amount" alone (BILL_SUMMARY), a table of
    charges under a bold header whose totals leave a column empty (BILL_CHARGES), and whom to
    contact, labels in bold beside their wrapped details, one of them a question
    (BILL_CONTACTS)."""
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", "B", size=12)
    pdf.multi_cell(0, 7, "Your account summary", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "B", size=9)
    pdf.cell(180, 6, "Amount", align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=9)
    for description, amount in BILL_SUMMARY:
        pdf.cell(120, 6, description)
        pdf.cell(60, 6, amount, align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font("Helvetica", "B", size=12)
    pdf.multi_cell(0, 7, "Your charges", new_x="LMARGIN", new_y="NEXT")
    for k, row in enumerate([BILL_CHARGES_HEADER, *BILL_CHARGES]):
        pdf.set_font("Helvetica", "B" if k == 0 else "", size=9)
        pdf.cell(55, 6, row[0])
        pdf.cell(95, 6, row[1])
        pdf.cell(30, 6, row[2], align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font("Helvetica", "B", size=12)
    pdf.multi_cell(0, 7, "Getting in touch", new_x="LMARGIN", new_y="NEXT")
    for label, details in BILL_CONTACTS:
        pdf.set_font("Helvetica", "B", size=9)
        top = pdf.get_y()
        pdf.cell(45, 5, label)
        pdf.set_font("Helvetica", size=9)
        pdf.set_xy(pdf.l_margin + 45, top)
        pdf.multi_cell(120, 5, details, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)
    return bytes(pdf.output())


RESULTS_HEADER = ["Q1 target", "Q1 actual", "Variance"]
RESULTS = [  # each variance's sign printed as a piece of its own
    ("Revenue", "£4.60m", "£4.82m", "+4.8%"),
    ("Operating costs", "£2.31m", "£2.27m", "-1.7%"),
    ("EBITDA", "£0.58m", "£0.71m", "+22%"),
]


def results_slide_pdf() -> bytes:
    """A slide's table of results: labels over every column but the first, whose cells name
    the rows (RESULTS under RESULTS_HEADER), each variance's sign printed on its own just
    before its figure."""
    pdf = FPDF(orientation="L")
    pdf.add_page()
    pdf.set_font("Helvetica", size=22)
    pdf.multi_cell(0, 12, "Financial results", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=14)
    pdf.cell(80, 9, "")
    for label in RESULTS_HEADER:
        pdf.cell(50, 9, label)
    pdf.ln()
    for row in RESULTS:
        for width, cell in zip([80, 50, 50], row[:3], strict=True):
            pdf.cell(width, 9, cell)
        sign, figure = row[3][0], row[3][1:]
        pdf.cell(pdf.get_string_width(sign), 9, sign)
        pdf.cell(50, 9, figure, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


POLICY_PAGES = [  # each page's paragraphs
    ["Leave and absence policy", "The leave year runs from 1 April to 31 March."],
    ["You may carry over up to five days of unused leave into the next leave year."],
    ["This policy is reviewed every year by the Head of People."],
]


def versioned_policy_pdf() -> bytes:
    """A three-page policy whose running footer names its version beside the page's number
    ("Version 4.2 - effective 1 April 2026 - Page 2 of 3"), and whose running header names the
    handbook, words its pages say nowhere else."""

    class Policy(FPDF):
        def header(self) -> None:
            self.set_font("Helvetica", size=8)
            self.cell(0, 8, "Thornbury Fielding Ltd - Staff Handbook", align="R")
            self.ln(12)

        def footer(self) -> None:
            self.set_y(-15)
            self.set_font("Helvetica", size=8)
            self.cell(0, 10, f"Version 4.2 - effective 1 April 2026 - Page {self.page_no()} of 3")

    pdf = Policy()
    for page in POLICY_PAGES:
        pdf.add_page()
        for k, paragraph in enumerate(page):
            pdf.set_font("Helvetica", size=16 if k == 0 and page is POLICY_PAGES[0] else 11)
            pdf.multi_cell(0, 8, paragraph, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(3)
    return bytes(pdf.output())


PAPER_TITLE = (
    "Pre-sleep smartphone use and objectively measured sleep in university students: "
    "a fourteen-night actigraphy study"
)
PAPER_BODY = [
    "We followed 84 undergraduate students for 14 consecutive nights using wrist actigraphy "
    "and an app that logged the time their screens were on before lights out.",
    "Heavier smartphone use before bed was associated with longer sleep onset and shorter "
    "sleep, whether or not a night-mode filter was in use.",
]


def paper_title_pdf() -> bytes:
    """A paper whose title, set large, wraps onto a second line (PAPER_TITLE), over its
    body's paragraphs (PAPER_BODY)."""
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", style="B", size=18)
    pdf.multi_cell(0, 8, PAPER_TITLE, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=11)
    for paragraph in PAPER_BODY:
        pdf.ln(4)
        pdf.multi_cell(0, 6, paragraph, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def fact_box_two_columns_pdf() -> bytes:
    """A fact box of labels and values as a browser prints one: a label wrapped onto two
    lines with its value centred between them ("Primary" / "outflows" beside "River
    Varrick"), a label whose value is empty ("Notes"), and a unit's superscript set smaller
    and raised ("12.9 km" "2" "(5.0 sq mi)")."""
    pdf = FPDF(unit="pt")
    pdf.add_page()
    pieces: list[tuple[float, float, str, float]] = [  # x, y (down the page), text, size
        (374, 100.0, "Type", 9), (450, 100.0, "Freshwater loch", 9),
        (374, 113.5, "Primary inflows", 9), (450, 113.5, "River Duich", 9),
        (374, 127.0, "Primary", 9), (374, 137.5, "outflows", 9),
        (450, 132.25, "River Varrick", 9),
        (374, 151.0, "Max. length", 9), (450, 151.0, "11.4 km (7.1 mi)", 9),
        (374, 164.5, "Max. width", 9), (450, 164.5, "1.6 km (1.0 mi)", 9),
        (374, 178.0, "Surface area", 9), (450, 178.0, "12.9 km", 9),
        (481.5, 174.5, "2", 6), (485.0, 178.0, " (5.0 sq mi)", 9),
        (374, 191.5, "Notes", 9),
        (374, 205.0, "Max. depth", 9), (450, 205.0, "148 m (486 ft)", 9),
    ]  # fmt: skip
    for x, y, text, size in pieces:
        pdf.set_font("Helvetica", size=size)
        pdf.text(x, y, text)
    return bytes(pdf.output())
