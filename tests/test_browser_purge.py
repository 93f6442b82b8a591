"""An administrator purges document_processing from the Operations page while a user's
Documents page is open in another browser, both in real Chromium against a real
`streamlit run`.

The running worker stops consuming document_processing first, so the user's uploads wait in
the queue as they would with the document workers down. After the admin confirms the purge,
the user's page (never reloaded) shows every upload failed with the purge's reason. The
seconds from the confirm click to the purge's commit (seen from another database connection)
and to the user's page showing all of them are printed and appended to
tests/artifacts/purge-timing.txt; they are measurements, not assertions.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from playwright.sync_api import Page, expect, sync_playwright
from sqlalchemy import func, select

from backend.models import Document, User
from backend.operations.broker import queue_depths
from tests import factories
from tests.test_browser import (  # noqa: F401  (fixtures)
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    SLOW,
    VIEWPORT,
    dashboard_url,
    go,
    pytestmark,
    settle,
)

QUEUE = "document_processing"
UPLOADS = 10
TIMINGS = ARTIFACTS / "purge-timing.txt"

# The moment (Unix seconds, the browser's clock) the page's documents table lists every
# expected file as failed with the reason; false until then. The grid draws its cells on a
# canvas; its accessibility table holds each shown cell's full text, one row per table row.
SHOWS_ALL_FAILED = """([names, reason]) => {
    const grid = document.querySelector('[data-testid="stDataFrame"] table[role="grid"]');
    if (!grid) return false;
    const rows = [...grid.querySelectorAll('tbody tr')].map(
        (tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent.trim()));
    const failed = new Set(
        rows.filter((cells) => cells.includes('failed') && cells.includes(reason))
            .map((cells) => cells[0]));
    return names.every((name) => failed.has(name)) ? Date.now() / 1000 : false;
}"""


@pytest.fixture
def documents_queue_unconsumed(runtime) -> Iterator[None]:
    """The running worker stops taking messages from document_processing, so they wait."""
    control = runtime.celery.control
    replies = control.cancel_consumer(QUEUE, reply=True, timeout=5)
    assert replies, "the worker did not answer the request to stop consuming"
    try:
        yield
    finally:
        # Whatever a failed run left queued is dropped, not run against the wiped tables.
        with runtime.celery.connection_for_write() as conn:
            conn.default_channel.queue_purge(QUEUE)
        control.add_consumer(QUEUE, reply=True, timeout=5)


def _sign_in(page: Page, url: str, email: str) -> None:
    page.goto(url)
    page.get_by_role("textbox", name="Email").fill(email)
    page.get_by_role("textbox", name="Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    settle(page)


def _queued_uploads(runtime, user: User) -> list[str]:
    names = []
    for i in range(1, UPLOADS + 1):
        name = f"field-notes-{i:02d}.txt"
        text = f"Field notes, day {i}: the tide gauge at station {i} read {i * 7} cm at noon."
        result = factories.upload(runtime, user, name, text.encode())
        assert result.task is not None and not result.duplicate
        names.append(name)
    return names


class CommitWatch(threading.Thread):
    """Polls the database from its own connection until the owner's documents are all failed
    with the reason; `seen` is the wall-clock moment it first saw them (the purge's commit)."""

    def __init__(self, runtime, owner_id: int, reason: str, count: int) -> None:
        super().__init__(daemon=True)
        self.runtime, self.owner_id, self.reason, self.count = runtime, owner_id, reason, count
        self.seen: float | None = None

    def run(self) -> None:
        query = select(func.count(Document.id)).where(
            Document.owner_id == self.owner_id,
            Document.processing_status == "failed",
            Document.processing_error == self.reason,
        )
        deadline = time.monotonic() + SLOW / 1000
        with self.runtime.engine.connect() as conn:
            while time.monotonic() < deadline:
                done = conn.scalar(query) == self.count
                conn.rollback()  # the next query sees what was committed since
                if done:
                    self.seen = time.time()
                    return
                time.sleep(0.01)


def test_purge_turns_queued_uploads_failed_on_the_owners_open_page(
    runtime,
    dashboard_url,  # noqa: F811
    documents_queue_unconsumed,
):
    owner = factories.make_user(runtime, email="grace@example.com")
    admin = factories.make_user(runtime, role="admin", email="root@example.com")
    names = _queued_uploads(runtime, owner)
    reason = f"Removed from the {QUEUE} queue by an administrator ({admin.email}) before it ran."

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            user_page = browser.new_context(viewport=VIEWPORT).new_page()
            admin_page = browser.new_context(viewport=VIEWPORT).new_page()
            for tab in (user_page, admin_page):
                tab.set_default_timeout(30_000)

            _sign_in(user_page, dashboard_url, owner.email)
            go(user_page, "Documents")
            metrics = user_page.get_by_test_id("stMetric")
            in_progress = metrics.filter(has_text="In progress").get_by_test_id("stMetricValue")
            failed = metrics.filter(has_text="Failed").get_by_test_id("stMetricValue")
            expect(in_progress).to_have_text(str(UPLOADS))
            expect(failed).to_have_text("0")
            settle(user_page)
            user_page.screenshot(path=str(ARTIFACTS / "purge-01-documents-queued.png"))
            # Gone if the page is reloaded: the change must reach the page as it stands.
            user_page.evaluate("window.openedBeforePurge = true")

            _sign_in(admin_page, dashboard_url, admin.email)
            go(admin_page, "Operations")
            picker = admin_page.get_by_test_id("stSelectbox").filter(has_text="Queue to purge")
            picker.get_by_role("combobox").click()
            admin_page.keyboard.type(QUEUE)
            admin_page.keyboard.press("Enter")
            expect(picker.get_by_role("combobox")).to_have_value(QUEUE)
            settle(admin_page)
            admin_page.get_by_role("button", name="Purge…").click()
            expect(
                admin_page.get_by_text(f"Purge {UPLOADS} messages from {QUEUE}?")
            ).to_be_visible()
            confirm = admin_page.get_by_role("button", name="Confirm purge")
            expect(confirm).to_be_enabled()

            watch = CommitWatch(runtime, owner.id, reason, UPLOADS)
            watch.start()
            clicked = time.time()
            confirm.click()
            shown = user_page.wait_for_function(
                SHOWS_ALL_FAILED, arg=[names, reason], polling=50, timeout=SLOW
            ).json_value()
            watch.join(timeout=SLOW / 1000)
            assert watch.seen is not None, "the purge was never committed"

            expect(admin_page.get_by_test_id("stAlertContentSuccess")).to_have_text(
                f"Purged {UPLOADS} messages from {QUEUE}."
            )
            depths = queue_depths(celery=runtime.celery)
            assert [q.messages for q in depths.queues if q.name == QUEUE] == [0], depths
            expect(failed).to_have_text(str(UPLOADS))
            expect(in_progress).to_have_text("0")
            expect(user_page.get_by_text(f"Why it failed: {reason}")).to_be_visible()
            assert user_page.evaluate("window.openedBeforePurge === true"), "the page reloaded"
            settle(user_page)
            user_page.screenshot(path=str(ARTIFACTS / "purge-02-documents-failed.png"))
        finally:
            browser.close()

    to_commit, to_page = watch.seen - clicked, shown - clicked
    line = (
        f"{datetime.now(UTC).isoformat(timespec='seconds')} documents={UPLOADS} "
        f"db={runtime.engine.dialect.name} "
        f"broker={runtime.celery.conf.broker_url.split(':', 1)[0]} "
        f"confirm_to_commit_s={to_commit:.3f} "
        f"confirm_to_user_page_s={to_page:.3f}"
    )
    print(f"\npurge timing: {line}")
    with TIMINGS.open("a") as out:
        out.write(line + "\n")
