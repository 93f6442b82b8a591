"""Admin notice banner: open notices are shown to admins on every page, never to users."""

from __future__ import annotations

from backend.operations import maintenance
from tests import factories
from tests.admin_support import fresh_caches  # noqa: F401
from tests.test_dashboard_support import messages, open_page


def test_admins_see_open_notices_and_users_do_not(runtime):
    admin = factories.make_user(runtime, role="admin")
    user = factories.make_user(runtime)
    settings = runtime.settings
    with runtime.session() as session:
        maintenance.notify_admins(
            session=session, settings=settings, kind="old", message="Disk nearly full."
        )
        maintenance.resolve_notice(session=session, kind="old")
        maintenance.notify_admins(
            session=session,
            settings=settings,
            kind="no_workers",
            message="No worker has answered for 2 minutes.",
        )
        maintenance.notify_admins(
            session=session,
            settings=settings,
            kind="queue_high:document_processing",
            message="Queue document_processing holds 120 tasks (threshold 100).",
        )

    at = open_page(admin, "usage")
    (banner,) = [m for m in messages(at, "warning") if "Admin notices" in m]
    assert "No worker has answered for 2 minutes." in banner
    assert "Queue document_processing holds 120 tasks (threshold 100)." in banner
    assert "Disk nearly full." not in banner

    at = open_page(user, "usage")
    assert not [m for m in messages(at, "warning") if "Admin notices" in m]
    assert not any("No worker has answered" in m for m in messages(at, "warning"))
