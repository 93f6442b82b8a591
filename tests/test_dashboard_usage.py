"""My usage page: the user's own figures and charts over a period, and a CSV download."""

from __future__ import annotations

import pytest

from backend import reports
from backend.usage_export import report_csv
from tests import factories, pdfs
from tests.test_dashboard_support import SMALL_TEXT, open_page

pytestmark = pytest.mark.usefixtures("worker")


def test_figures_charts_and_csv_count_only_the_users_activity(runtime):
    user = factories.make_user(runtime)
    other = factories.make_user(runtime)
    factories.upload_and_wait(runtime, user, "bees.txt", SMALL_TEXT)
    factories.upload_and_wait(runtime, user, "scan.pdf", pdfs.shapes_only_pdf())
    factories.ask_and_wait(runtime, user, "Where is the honey sold?")
    factories.upload_and_wait(runtime, other, "theirs.txt", b"Other people ask other things.")
    factories.ask_and_wait(runtime, other, "What do other people ask?")
    factories.ask_and_wait(runtime, other, "Anything else?")

    at = open_page(user, "usage")

    figures = {m.label: m.value for m in at.metric}
    assert figures["Questions"] == "1"
    assert figures["Answered"] == "1"
    assert figures["Documents uploaded"] == "2"
    assert figures["Documents ready"] == "1"
    assert figures["Documents failed"] == "1"
    assert figures["Tasks"] == "3"
    assert figures["Task failures"] == "1"
    charts = at.get("plotly_chart")
    assert len(charts) == 5
    failures = at.dataframe[0].value
    assert list(failures["Type"]) == ["Process document"]

    at.selectbox[0].select("7 days").run()
    assert not at.exception
    (download,) = at.get("download_button")
    assert download.proto.label == "Download CSV"

    with runtime.session() as session:
        report = reports.user_report(session=session, user=user, days=7)
    lines = report_csv(report).splitlines()
    header = lines[0].split(",")
    assert header[:3] == ["date", "questions", "documents"]
    assert len(lines) == 1 + 7
    today = dict(zip(header, lines[-1].split(","), strict=True))
    assert (today["questions"], today["documents"]) == ("1", "2")
    assert (today["tasks_success"], today["tasks_failure"]) == ("2", "1")
