"""The administration tables in real Chromium at 1280 × 800, the size operators use: All tasks'
Error and Flower columns and the Operations workers' Active, Reserved and Uptime columns are
on screen without scrolling, and a selected task row brings its actions.

The grid draws its cells on a canvas. Its accessibility table lists exactly the columns that
are at least partly inside the grid's visible area, so a column is wholly on screen when it and
the column after it are both listed; the grid's own box is measured against the viewport, and
each header's box is worked out from it and the grid's laid-out column widths.
"""

from __future__ import annotations

from datetime import timedelta

from playwright.sync_api import Locator, Page, expect, sync_playwright

from backend.models import Document, TaskRecord, utcnow
from tests import factories
from tests.test_browser import (  # noqa: F401  (fixtures)
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    SLOW,
    dashboard_url,
    go,
    pytestmark,
    settle,
    snap,
)

WIDTH, HEIGHT = 1280, 800
LONG_ERROR = (
    "ExtractionError: the PDF's cross-reference table points past the end of the file; "
    "the parser gave up after reading 3 of 48 objects. " * 6
)


def _sign_in(page: Page, url: str, email: str) -> None:
    page.goto(url)
    page.get_by_role("textbox", name="Email").fill(email)
    page.get_by_role("textbox", name="Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    settle(page)


def _visible_headers(frame: Locator) -> list[str]:
    """The columns the grid draws inside its visible area, left to right."""
    return frame.locator("th[role=columnheader]").all_inner_texts()


def _grid(frame: Locator) -> dict[str, float]:
    """The grid's visible box, its horizontal scroll and the laid-out width of all columns."""
    return frame.evaluate(
        """(root) => {
            const grid = root.querySelector('.dvn-scroller');
            const box = grid.getBoundingClientRect();
            const total = root.querySelector('.dvn-stack').getBoundingClientRect().width;
            return {left: box.left, right: box.right, scroll: grid.scrollLeft, total: total};
        }"""
    )


def _header_boxes(frame: Locator, columns: dict[str, int]) -> dict[str, tuple[float, float]]:
    """Each column's left and right edge on the page: the grid's left edge, its row-marker
    column (whatever the laid-out width has beyond the columns) and the widths before it."""
    grid = _grid(frame)
    assert grid["scroll"] == 0, grid
    x = grid["left"] + grid["total"] - sum(columns.values())
    boxes = {}
    for name, width in columns.items():
        boxes[name] = (x, x + width)
        x += width
    return boxes


def _listed_whole(frame: Locator, names: list[str], wanted: list[str]) -> None:
    """The grid draws `wanted` inside its visible area, and the column after the last of them
    too (so none of them is cut at the right edge); the grid itself is inside the viewport."""
    box = frame.bounding_box()
    assert box is not None and 0 <= box["x"] and box["x"] + box["width"] <= WIDTH, box
    shown = _visible_headers(frame)
    assert all(name in shown for name in wanted), shown
    assert shown == names[: len(shown)], shown
    last = max(shown.index(name) for name in wanted)
    assert last + 1 < len(shown), f"{shown[last]} is cut at the grid's right edge: {shown}"


def _boxes_inside(frame: Locator, columns: dict[str, int], wanted: list[str]) -> None:
    """Each wanted header's box lies inside the grid's visible box and the viewport."""
    box = frame.bounding_box()
    assert box is not None
    right = _grid(frame)["right"]
    boxes = _header_boxes(frame, columns)
    for name in wanted:
        left, end = boxes[name]
        assert box["x"] <= left and end <= min(right, WIDTH), (name, boxes[name], right)


def test_key_columns_fit_in_1280_px_and_a_selected_row_gets_its_actions(
    runtime,
    dashboard_url,  # noqa: F811
):
    owner = factories.make_user(runtime, email="margaret.hamilton@example.com")
    admin = factories.make_user(runtime, role="admin", email="operator@example.com")
    now = utcnow()
    with runtime.session() as session:
        doc = Document(
            owner_id=owner.id,
            filename="quarterly-report-final-v3.pdf",
            size_bytes=10,
            sha256="0" * 64,
        )
        session.add(doc)
        session.flush()
        for i in range(6):
            session.add(
                TaskRecord(
                    task_id=f"{i:08x}-1d2c-4b5a-9e8f-7a6b5c4d3e2f",
                    name="workers.tasks.documents.process_document",
                    queue="document_processing",
                    user_id=owner.id,
                    args={"document_id": doc.id, "user_id": owner.id},
                    state="FAILURE" if i % 2 else "SUCCESS",
                    error=LONG_ERROR if i % 2 else None,
                    queued_at=now - timedelta(minutes=i),
                    started_at=now - timedelta(minutes=i),
                    finished_at=now - timedelta(minutes=i) + timedelta(seconds=3),
                    runtime_ms=3000.0,
                    worker="celery@worker-host-with-a-long-name.internal",
                )
            )

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_context(viewport={"width": WIDTH, "height": HEIGHT}).new_page()
        page.set_default_timeout(30_000)
        try:
            _sign_in(page, dashboard_url, admin.email)

            go(page, "All tasks")
            expect(page.get_by_text("6 tasks match · page 1 of 1")).to_be_visible()
            expect(page.get_by_test_id("stDataFrame").first).to_be_visible()
            settle(page)
            frame = page.get_by_test_id("stDataFrame").first
            names = [
                "Task", "What", "User", "State", "Queued", "Error", "Flower", "Type", "Queue",
                "Started", "Finished", "Runtime (s)", "Retries", "Worker",
            ]  # fmt: skip
            wanted = ["Task", "What", "User", "State", "Error", "Flower"]
            _listed_whole(frame, names, wanted)
            from dashboard import task_table

            _boxes_inside(frame, {name: task_table.WIDTHS[name] for name in names}, wanted)
            snap(page, "layout-01-all-tasks-1280")

            # Select the second row (a failure): its details and actions appear under the table.
            box = frame.bounding_box()
            assert box is not None
            page.mouse.click(box["x"] + 16, box["y"] + 36 + 35 + 17)
            settle(page)
            selected = "00000001-1d2c-4b5a-9e8f-7a6b5c4d3e2f"
            expect(page.get_by_text(f"Task {selected}")).to_be_visible()
            error = page.get_by_test_id("stHtml").filter(has_text="Error: ExtractionError")
            expect(error).to_contain_text("the parser gave up after reading 3 of 48 objects.")
            expect(page.get_by_role("button", name="Retry task")).to_be_enabled()
            expect(page.get_by_role("button", name="Cancel task")).to_be_disabled()
            flower = f"{runtime.settings.flower_url.rstrip('/')}/task/{selected}"
            expect(page.get_by_role("link", name="Open in Flower")).to_have_attribute(
                "href", flower
            )
            snap(page, "layout-02-all-tasks-selected")

            go(page, "Operations")
            expect(page.get_by_role("heading", name="Workers")).to_be_visible()
            workers = page.get_by_test_id("stDataFrame").nth(1)
            expect(workers).to_be_visible(timeout=SLOW)
            settle(page)
            workers.scroll_into_view_if_needed()
            top = workers.bounding_box()
            assert top is not None and 0 <= top["y"] and top["y"] + 36 <= HEIGHT, top
            columns = {
                "Worker": 170, "Status": 100, "Active": 62, "Reserved": 76, "Processed": 86,
                "Uptime": 84, "Last seen": 84, "Flower": 62, "Tasks tab": 76, "Pool": 110,
                "Queues": 400,
            }  # fmt: skip
            wanted = ["Worker", "Status", "Active", "Reserved", "Uptime", "Flower", "Tasks tab"]
            _listed_whole(workers, list(columns), wanted)
            _boxes_inside(workers, columns, wanted)
            snap(page, "layout-03-operations-1280")
        finally:
            browser.close()
