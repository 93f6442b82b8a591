"""Users & analytics and System health pages; non-admins see no Administration section."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from backend import admin_ops, admin_users, users
from backend.errors import InvalidInput, PermissionDenied
from backend.models import User
from backend.models_admin import AuditEntry
from dashboard import navigation
from tests import factories
from tests.admin_support import fresh_caches, open_admin_page  # noqa: F401
from tests.test_dashboard_support import SMALL_TEXT, button, messages, open_page, texts

pytestmark = pytest.mark.usefixtures("worker")


def _actions(runtime) -> list[tuple[str, str]]:
    with runtime.session() as session:
        return [(e.action, e.target or "") for e in session.scalars(select(AuditEntry))]


def test_usage_table_csv_and_account_changes_are_audited(runtime):
    admin = factories.make_user(runtime, role="admin")
    owner = factories.make_user(runtime)
    factories.upload_and_wait(runtime, owner, "bees.txt", SMALL_TEXT)
    at = open_admin_page(admin, "users")

    frame = at.dataframe[0].value
    mine = frame[frame["Email"] == owner.email].iloc[0]
    assert (mine["Documents"], mine["Tasks"], mine["Failed"]) == (1, 1, 0)
    assert at.get("download_button")[0].proto.label == "Download CSV"
    assert len(at.get("plotly_chart")) >= 1

    at.selectbox(key="admin_users_pick").select(owner.id).run()
    at.selectbox(key="admin_users_role").select("premium").run()
    button(at, "Set role").click().run()
    assert f"{owner.email} is now premium." in messages(at, "success")
    button(at, "Deactivate").click().run()
    assert f"{owner.email} is now deactivated." in messages(at, "success")
    button(at, "Reset password").click().run()
    shown = [m for m in messages(at, "success") if m.startswith("New password for")]
    assert shown
    new_password = shown[0].rsplit(": ", 1)[1]
    with runtime.session() as session:
        fresh = session.get(User, owner.id)
        assert fresh.role == "premium" and not fresh.is_active
        assert users.verify_password(fresh.password_hash, new_password)
    assert {a for a, _ in _actions(runtime)} == {"set_role", "deactivate_user", "reset_password"}


def test_create_an_account_from_the_form(runtime):
    admin = factories.make_user(runtime, role="admin")
    at = open_admin_page(admin, "users")
    at.text_input[0].input("new.person@example.com")
    at.text_input[1].input("a long password")
    button(at, "Create account").click().run()
    assert "Created new.person@example.com (user)." in messages(at, "success")
    assert ("create_user", "new.person@example.com") in _actions(runtime)


def test_an_admin_cannot_lock_themself_out(runtime):
    admin = factories.make_user(runtime, role="admin")
    with runtime.session() as session:
        me = session.get(User, admin.id)
        with pytest.raises(InvalidInput):
            admin_users.set_active(session=session, user=me, user_id=me.id, active=False)
        with pytest.raises(InvalidInput):
            admin_users.set_role(session=session, user=me, user_id=me.id, role="user")


def test_health_page_shows_each_system_with_its_reason(runtime):
    admin = factories.make_user(runtime, role="admin")
    at = open_admin_page(admin, "health")
    shown = messages(at, "success") + messages(at, "error")
    for label in ("Database", "Broker", "Workers", "Flower", "Upload store disk"):
        assert any(m.startswith(f"**{label}**:") for m in shown), shown
    # No Flower runs in the tests: red, with the reason.
    assert any(m.startswith("**Flower**: Flower at") for m in messages(at, "error"))


def test_non_admin_sees_no_administration_and_services_refuse(runtime):
    user = factories.make_user(runtime, role="premium")
    assert list(navigation.sections_for(user)) == ["Workspace"]
    at = open_page(user)
    for page in ("operations", "tasks", "users", "health"):
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            at.switch_page(f"pages/admin/{page}.py")
    assert "Queues" not in texts(at)
    with runtime.session() as session:
        me = session.get(User, user.id)
        for call in (
            lambda: admin_users.usage_by_user(session=session, user=me),
            lambda: admin_users.create_account(
                session=session, user=me, email="x@example.com", password="long enough"
            ),
            lambda: admin_users.set_role(session=session, user=me, user_id=me.id, role="admin"),
            lambda: admin_ops.system_health(rt=runtime, user=me),
        ):
            with pytest.raises(PermissionDenied):
                call()
