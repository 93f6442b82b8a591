"""A dashboard sign-in in real Chromium survives reloads and new tabs through an HTTP-only
session cookie, ends with sign-out and with a password reset, and a deep link opened while
signed out leads to its page after signing in."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import BrowserContext, Page, expect, sync_playwright

from backend.accounts import admin_users
from backend.accounts.browser_sessions import COOKIE_NAME
from backend.models import User
from tests import factories
from tests.test_browser import (  # noqa: F401  (fixtures)
    CHROMIUM,
    CHROMIUM_ARGS,
    dashboard_url,
    pytestmark,
    settle,
    snap,
)


@pytest.fixture
def context() -> Iterator[BrowserContext]:
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        ctx = browser.new_context(viewport={"width": 1440, "height": 900})
        ctx.set_default_timeout(30_000)
        try:
            yield ctx
        finally:
            browser.close()


def _sign_in(page: Page, email: str) -> None:
    """Fill the form and wait for the page to trade its ticket for the session cookie."""
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    page.get_by_role("textbox", name="Email").fill(email)
    page.get_by_role("textbox", name="Password").fill(factories.PASSWORD)
    with page.expect_response(lambda r: r.url.endswith("/session/start")) as started:
        page.get_by_role("button", name="Sign in").click()
    assert started.value.status == 204
    settle(page)


def _session_cookie(context: BrowserContext) -> dict | None:
    return next((c for c in context.cookies() if c["name"] == COOKIE_NAME), None)


def _signed_in_as(page: Page, email: str) -> None:
    expect(page.get_by_text(f"Signed in as {email}")).to_be_visible()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def test_reload_and_new_tab_stay_signed_in_until_sign_out(runtime, dashboard_url, context):  # noqa: F811
    user = factories.make_user(runtime, email="reload@example.com")
    page = context.new_page()
    page.goto(f"{dashboard_url}/documents")
    expect(page.get_by_text("Page not found")).to_have_count(0)
    _sign_in(page, user.email)
    _signed_in_as(page, user.email)
    expect(page).to_have_url(f"{dashboard_url}/documents")

    cookie = _session_cookie(context)
    assert cookie is not None
    assert cookie["httpOnly"] is True and cookie["sameSite"] == "Lax" and cookie["path"] == "/"
    assert cookie["expires"] > 0  # a lasting cookie, not one that ends with the browser
    assert COOKIE_NAME not in page.evaluate("document.cookie")

    page.reload()
    settle(page)
    _signed_in_as(page, user.email)
    expect(page.get_by_role("heading", name="Documents")).to_be_visible()
    expect(page).to_have_url(f"{dashboard_url}/documents")

    other = context.new_page()
    other.goto(f"{dashboard_url}/usage")
    settle(other)
    _signed_in_as(other, user.email)
    expect(other).to_have_url(f"{dashboard_url}/usage")

    with page.expect_response(lambda r: r.url.endswith("/session/end")) as ended:
        page.get_by_role("button", name="Sign out").click()
    assert ended.value.status == 204
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    assert _session_cookie(context) is None
    page.reload()
    settle(page)
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)

    # The other tab's sign-in was the same session: its next run signs it out too.
    other.reload()
    settle(other)
    expect(other.get_by_role("button", name="Sign in")).to_be_visible()


def test_a_deep_link_opened_signed_out_leads_to_its_page(runtime, dashboard_url, context):  # noqa: F811
    admin = factories.make_user(runtime, role="admin", email="amy@example.com")
    target = factories.make_user(runtime, email="zed@example.com")
    page = context.new_page()
    link = f"{dashboard_url}/admin-user?user={target.id}"
    page.goto(link)
    settle(page)
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    expect(page.get_by_text("Page not found")).to_have_count(0)
    expect(page).to_have_url(link)
    snap(page, "session-01-deep-link-signed-out")

    _sign_in(page, admin.email)
    expect(page.get_by_role("heading", name=target.email)).to_be_visible()
    expect(page).to_have_url(link)
    expect(page.get_by_text("Page not found")).to_have_count(0)
    snap(page, "session-02-deep-link-signed-in")

    page.reload()  # the shared link again, now through the cookie
    settle(page)
    expect(page.get_by_role("heading", name=target.email)).to_be_visible()


def test_a_user_following_an_admin_link_gets_their_workspace(runtime, dashboard_url, context):  # noqa: F811
    user = factories.make_user(runtime, email="plain@example.com")
    page = context.new_page()
    page.goto(f"{dashboard_url}/admin-users")
    settle(page)
    expect(page.get_by_text("Page not found")).to_have_count(0)
    _sign_in(page, user.email)
    expect(page.get_by_role("heading", name="Ask your documents")).to_be_visible()
    expect(page.get_by_text("That page is for administrators")).to_be_visible()
    expect(page.get_by_text("Page not found")).to_have_count(0)
    expect(page.get_by_role("heading", name="Users & analytics")).to_have_count(0)


def test_a_password_reset_ends_the_browser_session(runtime, dashboard_url, context):  # noqa: F811
    admin = factories.make_user(runtime, role="admin")
    user = factories.make_user(runtime, email="reset@example.com")
    page = context.new_page()
    page.goto(dashboard_url)
    _sign_in(page, user.email)
    _signed_in_as(page, user.email)
    page.reload()
    settle(page)
    _signed_in_as(page, user.email)

    with runtime.session() as session:
        actor = session.get(User, admin.id)
        admin_users.reset_password(session=session, user=actor, user_id=user.id)

    page.reload()
    settle(page)
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    expect(page.get_by_text("Your password was changed or reset")).to_be_visible()
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)


def test_changing_ones_own_password_keeps_this_browser_only(runtime, dashboard_url, context):  # noqa: F811
    user = factories.make_user(runtime, email="changer@example.com")
    page = context.new_page()
    page.goto(f"{dashboard_url}/account")
    _sign_in(page, user.email)
    assert context.browser is not None
    elsewhere = context.browser.new_context().new_page()
    elsewhere.goto(dashboard_url)
    _sign_in(elsewhere, user.email)

    page.get_by_role("textbox", name="Current password").fill(factories.PASSWORD)
    page.get_by_role("textbox", name="New password", exact=True).fill("another-long-password")
    page.get_by_role("textbox", name="New password again").fill("another-long-password")
    with page.expect_response(lambda r: r.url.endswith("/session/start")) as renewed:
        page.get_by_role("button", name="Change password").click()
    assert renewed.value.status == 204
    expect(page.get_by_text("Your password has been changed.")).to_be_visible()

    page.reload()
    settle(page)
    _signed_in_as(page, user.email)
    expect(page.get_by_role("heading", name="Account")).to_be_visible()
    elsewhere.reload()
    settle(elsewhere)
    expect(elsewhere.get_by_role("button", name="Sign in")).to_be_visible()
