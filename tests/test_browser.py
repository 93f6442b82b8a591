"""The dashboard in real Chromium against a real `streamlit run` and the in-process worker.

Sign in, upload a SQuAD article, watch it reach ready, ask a question and read the cited
answer; every page is saved as a screenshot under tests/artifacts/ for review.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import factories

pytest.importorskip("playwright.sync_api")
from playwright.sync_api import Locator, Page, expect, sync_playwright  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
SLOW = 120_000  # ms: document processing and answering on a busy machine
# The window operators and users work in; the README's screenshots are taken at this size.
VIEWPORT = {"width": 1280, "height": 800}
# Every expectation waits for its condition this long: a loaded 2-core machine takes seconds to
# rerun a page, and a wait on a condition costs nothing when the page is fast.
expect.set_options(timeout=30_000)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.usefixtures("worker"),
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed"),
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_healthy(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited early:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as reply:
                if reply.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"streamlit did not answer:\n{log.read_text()[-3000:]}")


@pytest.fixture
def dashboard_url(runtime) -> Iterator[str]:
    """`streamlit run dashboard/server.py` with this session's settings (same env as the tests)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    log = ARTIFACTS / "streamlit.log"
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        "dashboard/server.py",
        f"--server.port={port}",
        "--server.address=127.0.0.1",
        "--server.headless=true",
        "--server.fileWatcherType=none",
        "--browser.gatherUsageStats=false",
    ]
    with log.open("wb") as out:
        proc = subprocess.Popen(
            command, cwd=ROOT, env=dict(os.environ), stdout=out, stderr=subprocess.STDOUT
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, proc, log)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture
def page() -> Iterator[Page]:
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context(viewport=VIEWPORT)
        tab = context.new_page()
        tab.set_default_timeout(30_000)
        try:
            yield tab
        finally:
            browser.close()


def settle(page: Page) -> None:
    """Wait until Streamlit has finished the current run (its 'running' widget is gone)."""
    page.wait_for_load_state("networkidle")
    expect(page.get_by_test_id("stStatusWidget")).to_have_count(0, timeout=SLOW)
    page.wait_for_timeout(400)


def snap(page: Page, name: str) -> None:
    settle(page)
    # The pointer leaves the content, so no hover highlight or tooltip shows in the picture.
    page.mouse.move(VIEWPORT["width"] - 2, VIEWPORT["height"] - 2)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def scroll_to(page: Page, target: Locator) -> None:
    """Scroll the page's main column until `target` starts near the top of the window."""
    target.evaluate(
        """(el) => {
            const main = el.closest('[data-testid="stMain"]');
            const top = el.getBoundingClientRect().top - main.getBoundingClientRect().top;
            main.scrollBy(0, top - 12);
        }"""
    )
    settle(page)


def go(page: Page, title: str) -> None:
    page.get_by_test_id("stSidebarNav").get_by_text(title, exact=True).click()
    settle(page)


def test_sign_in_upload_watch_ready_and_ask_with_citations(runtime, dashboard_url, page, squad_doc):
    user = factories.make_user(runtime, email="ada@example.com")
    page.goto(dashboard_url)
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()

    page.get_by_role("textbox", name="Email").fill(user.email)
    page.get_by_role("textbox", name="Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("Wrong email or password.")).to_be_visible()
    snap(page, "01-sign-in")

    page.get_by_role("textbox", name="Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Ask your documents")).to_be_visible()
    expect(page.get_by_text("You have no processed documents yet")).to_be_visible()
    snap(page, "02-ask-empty")

    go(page, "Upload")
    page.locator("input[type=file]").set_input_files(str(squad_doc))
    expect(page.get_by_text(squad_doc.name).first).to_be_visible()
    page.get_by_role("button", name="Upload and process").click()
    expect(page.get_by_test_id("stProgress").first).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "03-upload-progress.png"))
    expect(page.get_by_text(f"{squad_doc.name} is ready")).to_be_visible(timeout=SLOW)
    snap(page, "03-upload-ready")

    go(page, "Documents")
    expect(page.get_by_test_id("stDataFrame")).to_be_visible()
    page.get_by_role("button", name="Delete").click()
    expect(page.get_by_text(f"Delete {squad_doc.name}?")).to_be_visible()
    snap(page, "04-documents")
    page.get_by_role("button", name="Cancel").click()
    expect(page.get_by_text(f"Delete {squad_doc.name}?")).to_have_count(0)

    go(page, "Ask")
    page.get_by_test_id("stChatInputTextArea").fill("Who conquered England in 1066?")
    page.keyboard.press("Enter")
    answer = page.get_by_test_id("stChatMessage").nth(1)
    expect(answer).to_contain_text("William", timeout=SLOW)
    citation = page.get_by_text(f"[1] {squad_doc.name}")
    expect(citation).to_be_visible()
    citation.click()
    expect(page.locator("mark").first).to_contain_text("William")
    snap(page, "05-ask-answer")

    go(page, "My tasks")
    expect(page.get_by_test_id("stDataFrame")).to_be_visible()
    snap(page, "06-tasks")

    go(page, "My usage")
    expect(page.get_by_test_id("stPlotlyChart").first).to_be_visible()
    snap(page, "07-usage")

    go(page, "Account")
    expect(page.get_by_role("heading", name="API tokens")).to_be_visible()
    snap(page, "08-account")

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
