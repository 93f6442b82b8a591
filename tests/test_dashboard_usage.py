"""My usage page: the user's own figures and charts over a period, and a CSV download."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from backend.models import Question, UsageReport, utcnow
from backend.reports import usage
from backend.reports.export import report_csv
from tests import factories, pdfs
from tests.test_dashboard_support import SMALL_TEXT, open_page, texts

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
    outcome = {m.label: m.proto.delta for m in at.metric}["Questions"]
    assert outcome in ("1 answered, 0 with no answer found", "0 answered, 1 with no answer found")
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
        report = usage.user_report(session=session, user=user, days=7)
    lines = report_csv(report).splitlines()
    header = lines[0].split(",")
    assert header[:3] == ["date", "questions", "documents"]
    assert len(lines) == 1 + 7
    today = dict(zip(header, lines[-1].split(","), strict=True))
    assert (today["questions"], today["documents"]) == ("1", "2")
    assert (today["tasks_success"], today["tasks_failure"]) == ("2", "1")


def test_question_outcomes_read_as_parts_that_do_not_overlap(runtime):
    user = factories.make_user(runtime)
    now = utcnow()
    with runtime.session() as session:
        for i, found in enumerate((True,) * 8 + (False,) * 2 + (None,)):
            session.add(
                Question(
                    user_id=user.id,
                    text=f"Question {i}?",
                    found=found,
                    answered_at=now if found is not None else None,
                )
            )
    at = open_page(user, "usage")
    (questions,) = [m for m in at.metric if m.label == "Questions"]
    assert questions.value == "11"
    assert questions.proto.delta == (
        "8 answered, 2 with no answer found, 1 not answered (waiting or failed)"
    )
    assert not [m for m in at.metric if m.label in ("Answered", "No answer found")]


def test_stored_daily_reports_are_listed_under_the_charts(runtime):
    user = factories.make_user(runtime)
    other = factories.make_user(runtime)
    at = open_page(user, "usage")
    assert "No daily reports stored yet" in texts(at)

    def summary(day: date, questions: int, latency: float | None) -> dict:
        return {
            "day": day.isoformat(),
            "questions": questions,
            "answered": questions - 1,
            "documents_uploaded": 2,
            "tasks": questions + 2,
            "failed_tasks": 1,
            "avg_latency_ms": latency,
        }

    with runtime.session() as session:
        for back, questions, latency in ((1, 4, 1500.0), (2, 3, None)):
            day = date(2026, 3, 10) - timedelta(days=back)
            session.add(
                UsageReport(user_id=user.id, day=day, data=summary(day, questions, latency))
            )
        session.add(
            UsageReport(
                user_id=other.id, day=date(2026, 3, 9), data=summary(date(2026, 3, 9), 99, None)
            )
        )
        session.add(
            UsageReport(user_id=user.id, day=date(2026, 3, 10), kind="on_demand", days=7, data={})
        )

    at.run()
    assert not at.exception
    assert "Daily reports" in texts(at)
    table = at.dataframe[-1].value
    assert list(table["Day"]) == ["2026-03-09", "2026-03-08"]
    assert list(table["Questions"]) == [4, 3]
    assert list(table["Failed tasks"]) == [1, 1]
    assert list(table["Average latency (s)"]) == ["1.50", ""]
