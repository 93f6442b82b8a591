"""Users & analytics and System health pages; non-admins see no Administration section."""

from __future__ import annotations

import json
import re
import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from backend.accounts import admin_users, audit, users
from backend.errors import InvalidInput, PermissionDenied
from backend.models import AuditEntry, TaskRecord, User, utcnow
from backend.operations import admin_ops, user_admin
from dashboard import navigation
from tests import factories
from tests.admin_support import fresh_caches, open_admin_page  # noqa: F401
from tests.test_dashboard_support import (
    SMALL_TEXT,
    button,
    messages,
    open_page,
    select_row,
    texts,
)

pytestmark = pytest.mark.usefixtures("worker")


def _actions(runtime) -> list[tuple[str, str]]:
    with runtime.session() as session:
        return [(e.action, e.target or "") for e in session.scalars(select(AuditEntry))]


def _detail(runtime, admin, owner) -> object:
    at = open_admin_page(admin, "user")
    at.query_params["user"] = str(owner.id)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_usage_table_csv_charts_and_a_link_to_each_account(runtime):
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
    (link,) = [p for p in at.get("page_link") if p.proto.label == "Details and controls"]
    assert (link.proto.page, link.proto.query_string) == ("admin-user", f"user={owner.id}")


def test_failure_rate_reads_as_a_percentage(runtime):
    admin = factories.make_user(runtime, role="admin")
    owner = factories.make_user(runtime)
    with runtime.session() as session:
        for i, state in enumerate(("FAILURE", "SUCCESS", "SUCCESS", "SUCCESS", "SUCCESS")):
            session.add(
                TaskRecord(
                    task_id=f"rate-{i}",
                    name="workers.tasks.users.generate_user_report",
                    queue="user_management",
                    user_id=owner.id,
                    args={"user_id": owner.id, "days": 30},
                    state=state,
                )
            )
    at = open_admin_page(admin, "users")
    frame = at.dataframe[0].value
    assert frame.set_index("Email").loc[owner.email, "Failure rate"] == 20.0
    config = json.loads(at.dataframe[0].proto.columns)["Failure rate"]
    assert config["type_config"]["format"] == "%.1f %%"  # shown as "20.0 %"


def test_user_detail_shows_the_accounts_usage_tasks_and_documents(runtime):
    admin = factories.make_user(runtime, role="admin")
    owner = factories.make_user(runtime)
    doc = factories.upload_and_wait(runtime, owner, "bees.txt", SMALL_TEXT)
    at = _detail(runtime, admin, owner)

    assert "<h2" in at.get("html")[0].value and owner.email in at.get("html")[0].value
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Documents"] == "1" and metrics["Tasks"] == "1"
    tasks, documents = at.dataframe[0].value, at.dataframe[1].value
    assert list(tasks["Type"]) == ["Process document"]
    assert list(tasks["State"]) == ["succeeded"]
    assert list(tasks["What"]) == ["bees.txt"]
    assert list(tasks["Task"]) == [doc.processing_task_id[:8]]
    assert list(documents["Name"]) == ["bees.txt"]
    assert list(documents["Status"]) == [doc.processing_status]
    # The same words as the user's own Documents page.
    assert list(documents.columns) == ["Name", "Status", "Size", "Passages", "Uploaded", "Problem"]
    assert list(documents["Passages"]) == [doc.chunk_count]
    assert len(at.get("plotly_chart")) == 2  # tasks per day and by state

    select_row(at, doc.processing_task_id[:8])
    assert f"Task {doc.processing_task_id} · user {owner.email}" in texts(at)
    assert button(at, "Cancel task").disabled and button(at, "Retry task").disabled
    (flower,) = at.link_button
    assert flower.proto.url.endswith(f"/task/{doc.processing_task_id}")


def _colours(chart) -> dict[str, str]:
    """The colour each state has in a plotly bar or pie chart, as the browser draws it."""
    figure = json.loads(chart.proto.spec)
    found: dict[str, str] = {}
    for trace in figure["data"]:
        if trace["type"] == "pie":
            found.update(zip(trace["labels"], trace["marker"]["colors"], strict=True))
        else:
            found[trace["name"]] = trace["marker"]["color"]
    return found


def test_each_state_has_one_colour_in_every_chart(runtime):
    admin = factories.make_user(runtime, role="admin")
    owner = factories.make_user(runtime)
    now = utcnow()
    states = ("SUCCESS", "FAILURE", "REVOKED", "PENDING", "STUCK", "SUCCESS")
    with runtime.session() as session:
        for i, state in enumerate(states):
            session.add(
                TaskRecord(
                    task_id=f"colour-{i}",
                    name="workers.tasks.users.generate_user_report",
                    queue="user_management",
                    user_id=owner.id,
                    args={"user_id": owner.id, "days": 30},
                    state=state,
                    queued_at=now - timedelta(days=i % 3),
                )
            )
    expected = {
        "succeeded": "#2e9e5b",
        "failed": "#d64545",
        "cancelled": "#8c8c8c",
        "queued": "#f0b429",
        "stuck": "#e8710a",
    }
    detail = _detail(runtime, admin, owner)
    bar, pie = detail.get("plotly_chart")
    assert _colours(bar) == expected
    assert _colours(pie) == expected
    users_page = open_admin_page(admin, "users")
    assert _colours(users_page.get("plotly_chart")[0]) == expected
    usage_page = open_page(owner, "usage")
    per_day, by_state = usage_page.get("plotly_chart")[2:4]
    assert _colours(per_day) == expected
    assert _colours(by_state) == expected


def test_account_controls_on_the_detail_page_are_audited(runtime):
    admin = factories.make_user(runtime, role="admin")
    owner = factories.make_user(runtime)
    at = _detail(runtime, admin, owner)

    at.selectbox(key="admin_user_role").select("premium").run()
    button(at, "Set role").click().run()
    assert f"{owner.email} is now premium." in messages(at, "success")
    button(at, "Reset password").click().run()
    shown = [m for m in messages(at, "success") if m.startswith("New password for")]
    assert shown
    found = re.search(r"\(shown once\): (\S+)\. Every sign-in of the account has ended", shown[0])
    assert found, shown[0]
    new_password = found.group(1)
    button(at, "Usage report").click().run()
    assert any(
        m.startswith("A 30-day usage report is being prepared") for m in messages(at, "success")
    )
    button(at, "Deactivate").click().run()
    assert any(m.startswith("The account is deactivated") for m in messages(at, "success"))
    assert [b for b in at.button if b.label == "Activate"]

    with runtime.session() as session:
        fresh = session.get(User, owner.id)
        assert fresh.role == "premium" and not fresh.is_active
        assert users.verify_password(fresh.password_hash, new_password)
    assert {a for a, _ in _actions(runtime)} == {
        "set_role",
        "reset_password",
        "request_report",
        "deactivate_user",
    }
    history = at.dataframe[-1].value
    assert set(history["Action"]) == {
        "set_role",
        "reset_password",
        "request_report",
        "deactivate_user",
    }
    assert set(history["Admin"]) == {admin.email}


def test_deleting_an_account_needs_its_email_typed_and_removes_it(runtime):
    admin = factories.make_user(runtime, role="admin")
    owner = factories.make_user(runtime)
    factories.upload_and_wait(runtime, owner, "bees.txt", SMALL_TEXT)
    at = _detail(runtime, admin, owner)

    assert button(at, "Delete account").disabled
    at.text_input(key="admin_user_delete_pending").input("someone.else@example.com").run()
    assert button(at, "Delete account").disabled
    at.text_input(key="admin_user_delete_pending").input(owner.email).run()
    button(at, "Delete account").click().run()
    assert any("is being deleted" in m for m in messages(at, "success")), texts(at)

    deadline = time.monotonic() + 60
    while True:
        with runtime.session() as session:
            if session.get(User, owner.id) is None:
                break
        assert time.monotonic() < deadline, "the account was not deleted"
        time.sleep(0.2)
    assert ("delete_user", owner.email) in _actions(runtime)


def test_audit_log_page_filters_by_action_and_exports_csv(runtime):
    admin = factories.make_user(runtime, role="admin")
    owner = factories.make_user(runtime)
    with runtime.session() as session:
        me = session.get(User, admin.id)
        admin_users.set_role(session=session, user=me, user_id=owner.id, role="premium")
        admin_users.reset_password(session=session, user=me, user_id=owner.id)
        session.commit()
    at = open_admin_page(admin, "audit")
    frame = at.dataframe[0].value
    assert set(frame["Action"]) == {"set_role", "reset_password"}
    assert set(frame["Target"]) == {owner.email}
    assert "user -> premium" in list(frame["Detail"])

    at.selectbox[0].select("set_role").run()
    assert list(at.dataframe[0].value["Action"]) == ["set_role"]
    assert "1 entry match." in texts(at)
    (download,) = at.get("download_button")
    assert download.proto.label == "Download CSV (1 row)"

    at.text_input[1].input("nobody-matches-this").run()
    assert "0 entries match." in texts(at) and not at.get("download_button")


def test_create_an_account_from_the_form(runtime):
    admin = factories.make_user(runtime, role="admin")
    at = open_admin_page(admin, "users")
    at.text_input[0].input("new.person@example.com")
    at.text_input[1].input("a long password")
    button(at, "Create account").click().run()
    assert "Created new.person@example.com (user)." in messages(at, "success")
    assert ("create_user", "new.person@example.com") in _actions(runtime)
    # The new account is in the table and the picker at once, and the form is empty again.
    assert "new.person@example.com" in list(at.dataframe[0].value["Email"])
    picker = at.selectbox(key="admin_users_pick")
    assert "new.person@example.com" in picker.options
    assert (at.text_input[0].value, at.text_input[1].value) == ("", "")


def test_a_refused_account_keeps_what_was_typed(runtime):
    admin = factories.make_user(runtime, role="admin")
    at = open_admin_page(admin, "users")
    at.text_input[0].input("keep.me@example.com")
    at.text_input[1].input("short")
    at.selectbox(key="create_user_role").select("premium")
    button(at, "Create account").click().run()
    assert not at.exception
    assert any("password must be at least" in m for m in messages(at, "error")), texts(at)
    assert not messages(at, "success")
    assert at.text_input[0].value == "keep.me@example.com"
    assert at.text_input[1].value == "short"
    assert at.selectbox(key="create_user_role").value == "premium"
    assert ("create_user", "keep.me@example.com") not in _actions(runtime)


def test_an_admin_cannot_lock_themself_out(runtime):
    admin = factories.make_user(runtime, role="admin")
    with runtime.session() as session:
        me = session.get(User, admin.id)
        with pytest.raises(PermissionDenied):
            user_admin.deactivate_user(
                session=session, celery=runtime.celery, actor=me, user_id=me.id
            )
        with pytest.raises(InvalidInput):
            admin_users.set_role(session=session, user=me, user_id=me.id, role="user")


def test_deactivation_has_one_path_that_revokes_unfinished_tasks(runtime):
    admin = factories.make_user(runtime, role="admin")
    other = factories.make_user(runtime)
    with runtime.session() as session:
        me = session.get(User, admin.id)
        with pytest.raises(InvalidInput, match="Deactivate action"):
            admin_users.set_active(session=session, user=me, user_id=other.id, active=False)
    with runtime.session() as session:
        assert session.get(User, other.id).is_active


def test_health_page_shows_each_system_with_its_reason(runtime):
    admin = factories.make_user(runtime, role="admin")
    at = open_admin_page(admin, "health")
    shown = messages(at, "success") + messages(at, "error")
    for label in ("Database", "Broker", "Workers", "Flower", "Upload store disk"):
        assert any(m.startswith(f"**{label}**:") for m in shown), shown
    # No Flower runs in the tests: red, with the reason.
    assert any(m.startswith("**Flower**: Flower at") for m in messages(at, "error"))
    # When, on the reader's clock to the second, and how long ago.
    (checked,) = [c for c in messages(at, "caption") if c.startswith("Checked at")]
    assert re.fullmatch(r"Checked at \d\d:\d\d:\d\d \((just now|\d+ s ago)\)", checked), checked


def test_moments_read_as_local_clock_time_with_their_age():
    from datetime import UTC, datetime

    from dashboard import common

    now = datetime(2026, 12, 2, 11, 19, 40, tzinfo=UTC)
    assert common.fmt_moment("2026-12-02T11:16:39.978505+00:00", now) == "11:16:40 (3 min ago)"
    assert common.fmt_moment("2026-12-02T11:19:30.2+00:00", now) == "11:19:30 (10 s ago)"
    assert common.fmt_moment(now, now) == "11:19:40 (just now)"
    assert common.fmt_moment("2026-12-01T09:00:00+00:00", now) == "2026-12-01 09:00:00 (1 day ago)"
    assert common.fmt_moment(None) == ""


def test_non_admin_sees_no_administration_and_services_refuse(runtime):
    user = factories.make_user(runtime, role="premium")
    assert list(navigation.sections_for(user)) == ["Workspace"]
    at = open_page(user)
    for page in ("operations", "tasks", "users", "user", "audit", "health"):
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
            lambda: admin_users.user_detail(session=session, user=me, user_id=me.id),
            lambda: admin_users.accounts(session=session, user=me),
            lambda: audit.browse_entries(session=session, user=me, filters=audit.AuditFilters()),
        ):
            with pytest.raises(PermissionDenied):
                call()
