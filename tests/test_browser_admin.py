"""The administration pages in real Chromium against a real `streamlit run` and the worker.

An admin signs in, sees the Operations page with the running worker, opens All tasks and
retries another user's failed upload, then sees the new linked task; screenshots go to
tests/artifacts/.
"""

from __future__ import annotations

import re

from playwright.sync_api import expect  # noqa: E402
from sqlalchemy import select

from backend.models import TaskRecord
from tests import factories, pdfs
from tests.test_browser import (  # noqa: F401  (fixtures)
    ARTIFACTS,
    SLOW,
    dashboard_url,
    go,
    page,
    pytestmark,
    scroll_to,
    settle,
    snap,
)


def test_admin_sees_worker_and_retries_a_failed_task(runtime, dashboard_url, page):  # noqa: F811
    owner = factories.make_user(runtime, email="owner@example.com")
    doc = factories.upload_and_wait(runtime, owner, "locked.pdf", pdfs.encrypted_pdf())
    failed = doc.processing_task_id
    assert failed is not None
    admin = factories.make_user(runtime, role="admin", email="root@example.com")

    page.goto(dashboard_url)
    page.get_by_role("textbox", name="Email").fill(admin.email)
    page.get_by_role("textbox", name="Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    settle(page)

    go(page, "Operations")
    expect(page.get_by_role("heading", name="Workers")).to_be_visible()
    expect(page.get_by_test_id("stDataFrame").nth(1)).to_be_visible(timeout=SLOW)
    expect(page.get_by_text("No workers are answering")).to_have_count(0)
    snap(page, "admin-01-operations")
    # The queues, the workers and the purge form together, below Flower's access line.
    scroll_to(page, page.get_by_role("heading", name="Queues"))
    expect(page.get_by_role("button", name="Purge…")).to_be_in_viewport()
    snap(page, "admin-01-operations-queues")

    go(page, "All tasks")
    expect(page.get_by_text("1 tasks match · page 1 of 1")).to_be_visible()
    snap(page, "admin-02-tasks")
    # Select the task's row (its check box, left of the first row) to act on it.
    table = page.get_by_test_id("stDataFrame").first
    box = table.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + 16, box["y"] + 36 + 17)
    settle(page)
    page.get_by_role("button", name="Retry task").click()
    expect(page.get_by_text(f"Retrying process document {failed[:8]} (locked.pdf)")).to_be_visible()
    settle(page)

    with runtime.session() as session:
        linked = session.scalar(select(TaskRecord).where(TaskRecord.retry_of == failed))
    assert linked is not None and linked.user_id == owner.id
    go(page, "Operations")
    go(page, "All tasks")
    expect(page.get_by_text("2 tasks match · page 1 of 1")).to_be_visible(timeout=SLOW)
    page.get_by_role("textbox", name="Text in id, arguments or error").fill(linked.task_id[:8])
    page.keyboard.press("Enter")
    # Filtering by the new task's id finds exactly it: the retry is listed for the admin.
    expect(page.get_by_text("1 tasks match · page 1 of 1")).to_be_visible()
    snap(page, "admin-03-retried")

    # The owner's detail page, through the link of Users & analytics (the account picker
    # starts at the first email: owner@ before root@).
    go(page, "Users & analytics")
    page.get_by_role("link", name="Details and controls").click()
    settle(page)
    expect(page.get_by_role("heading", name=owner.email)).to_be_visible(timeout=SLOW)
    expect(page.get_by_role("heading", name="Recent tasks")).to_be_visible()
    expect(page).to_have_url(f"{dashboard_url.rstrip('/')}/admin-user?user={owner.id}")
    snap(page, "admin-04-user-detail")
    # Further down: the account's tasks, named by what they worked on, its documents and the
    # controls.
    scroll_to(page, page.get_by_role("heading", name="Recent tasks"))
    tasks = page.get_by_test_id("stDataFrame").first
    expect(tasks).to_be_in_viewport()
    # Both tasks (the failed upload and its retry) are named by the file they processed.
    # (The grid draws on a canvas; its accessibility table holds the cells' text.)
    what = tasks.locator("td").filter(has_text=re.compile(r"^locked\.pdf$"))
    expect(what).to_have_count(2)
    snap(page, "admin-04-user-detail-tasks")

    go(page, "Audit log")
    expect(page.get_by_text("1 entry match.")).to_be_visible(timeout=SLOW)
    expect(page.get_by_test_id("stDataFrame")).to_be_visible()
    snap(page, "admin-05-audit-log")
