"""The administration REST API against the real app, database, Redis and a Celery worker."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from backend.models import Document, TaskRecord, User, utcnow
from backend.operations import maintenance
from backend.runtime import Runtime
from tests import factories, pdfs
from tests.test_api import SKERRA, auth

pytestmark = pytest.mark.usefixtures("worker")

FINISHED = ("SUCCESS", "FAILURE", "REVOKED")
PROCESS = "workers.tasks.documents.process_document"
QUEUE = "document_processing"
REFUSED = "Only administrators can do this."


def sign_in(client: TestClient, email: str, password: str = factories.PASSWORD) -> Any:
    return client.post("/auth/token", data={"username": email, "password": password})


def poll_task(client: TestClient, task_id: str, headers: dict[str, str]) -> Any:
    """GET the task from the ledger until it ends."""
    deadline = time.monotonic() + 120
    while True:
        body = client.get(f"/qa/tasks/{task_id}", headers=headers).json()
        if body["state"] in FINISHED or time.monotonic() > deadline:
            return body
        time.sleep(0.1)


def queued_record(rt: Runtime, user: User, task_id: str, *, age: timedelta | None = None) -> None:
    """A ledger row of the user's, waiting in a queue (no worker will ever see it)."""
    with rt.session() as session:
        record = TaskRecord(task_id=task_id, name=PROCESS, queue=QUEUE)
        record.user_id = user.id
        record.state = "PENDING"
        if age is not None:
            record.queued_at = utcnow() - age
        session.add(record)


def messages_waiting(client: TestClient, headers: dict[str, str], queue: str) -> int:
    body = client.get("/qa/system/queues", headers=headers).json()
    return int(next(q["messages"] for q in body["queues"] if q["name"] == queue))


# --- only administrators


def admin_calls(target: int) -> list[tuple[str, str, dict[str, Any]]]:
    """One valid request to every administration route, about the account `target`."""
    return [
        ("GET", "/qa/admin/users", {}),
        ("GET", f"/qa/admin/users/{target}", {}),
        ("POST", "/qa/admin/users", {"json": {"email": "x@example.com", "password": "p" * 12}}),
        ("PATCH", f"/qa/admin/users/{target}", {"json": {"role": "admin"}}),
        ("POST", f"/qa/admin/users/{target}/password", {}),
        ("POST", f"/qa/admin/users/{target}/unlock-sign-in", {}),
        ("POST", f"/qa/admin/users/{target}/deactivate", {}),
        ("DELETE", f"/qa/admin/users/{target}", {}),
        ("POST", f"/qa/admin/users/{target}/report", {}),
        ("GET", "/qa/admin/tasks", {}),
        ("GET", "/qa/admin/tasks/failed-count", {}),
        ("POST", "/qa/admin/tasks/retry-failed?expected=1", {}),
        ("GET", "/qa/admin/tasks/stuck", {}),
        ("POST", "/qa/admin/tasks/queued-by-test/cancel", {}),
        ("POST", "/qa/admin/tasks/queued-by-test/retry", {}),
        ("POST", f"/qa/admin/queues/{QUEUE}/purge?expected=0", {}),
        ("GET", "/qa/admin/audit", {}),
    ]


def test_every_admin_route_refuses_everyone_but_administrators(runtime, client):
    target = factories.make_user(runtime)
    queued_record(runtime, target, "queued-by-test")
    calls = admin_calls(target.id)
    spec = client.get("/openapi.json").json()
    declared = {
        (method, path)
        for path, operations in spec["paths"].items()
        if path.startswith("/qa/admin")
        for method in operations
    }
    assert len(declared) == len(calls)  # the loop below covers every administration route

    for role in ("user", "premium"):
        headers = auth(runtime, factories.make_user(runtime, role=role))
        for method, path, kwargs in calls:
            response = client.request(method, path, headers=headers, **kwargs)
            assert response.status_code == 403, (role, method, path, response.json())
            assert response.json() == {"detail": REFUSED}, (method, path)
    for method, path, kwargs in calls:
        anonymous = client.request(method, path, **kwargs)
        assert anonymous.status_code == 401, (method, path)

    assert sign_in(client, target.email).status_code == 200  # still active, password unchanged
    assert sign_in(client, "x@example.com", "p" * 12).status_code == 401  # never created
    with runtime.session() as session:
        kept = session.get(User, target.id)
        assert kept is not None and kept.role == "user" and kept.is_active
        queued = session.get(TaskRecord, "queued-by-test")
        assert queued is not None and queued.state == "PENDING"
        assert session.scalar(select(func.count()).select_from(TaskRecord)) == 1


def test_openapi_lists_the_administration_routes(client):
    spec = client.get("/openapi.json").json()

    for path in (
        "/qa/admin/users",
        "/qa/admin/users/{user_id}",
        "/qa/admin/tasks",
        "/qa/admin/tasks/retry-failed",
        "/qa/admin/queues/{queue}/purge",
        "/qa/admin/audit",
    ):
        assert path in spec["paths"], path
        for operation in spec["paths"][path].values():
            assert operation["tags"] == ["administration"]
    assert "post" in spec["paths"]["/qa/user/report"]


# --- accounts


def test_admin_lists_users_with_their_usage(runtime, client):
    admin = factories.make_user(runtime, role="admin")
    user = factories.make_user(runtime)
    doc = factories.upload_and_wait(runtime, user, "skerra.txt", SKERRA)
    assert doc.processing_status == "ready", doc.processing_error

    response = client.get("/qa/admin/users?days=7", headers=auth(runtime, admin))

    assert response.status_code == 200
    rows = {row["email"]: row for row in response.json()}
    assert set(rows) == {admin.email, user.email}
    mine = rows[user.email]
    assert mine["id"] == user.id and mine["role"] == "user" and mine["active"] is True
    assert (mine["documents"], mine["questions"], mine["tasks"], mine["failed"]) == (1, 0, 1, 0)
    assert mine["failure_rate"] == 0.0 and mine["last_active"] is not None
    theirs = rows[admin.email]
    assert (theirs["documents"], theirs["tasks"], theirs["role"]) == (0, 0, "admin")
    no_days = client.get("/qa/admin/users?days=0", headers=auth(runtime, admin))
    assert no_days.status_code == 422


def test_admin_sees_one_user_in_detail(runtime, client):
    admin = factories.make_user(runtime, role="admin")
    headers = auth(runtime, admin)
    user = factories.make_user(runtime)
    doc = factories.upload_and_wait(runtime, user, "skerra.txt", SKERRA)
    client.patch(f"/qa/admin/users/{user.id}", json={"role": "premium"}, headers=headers)

    response = client.get(f"/qa/admin/users/{user.id}", headers=headers)

    assert response.status_code == 200
    body = response.json()
    assert body["account"]["email"] == user.email and body["account"]["role"] == "premium"
    assert body["usage"]["documents"] == 1 and body["usage"]["tasks"] == 1
    assert body["tasks_by_state"] == {"SUCCESS": 1}
    assert [(d["state"], d["count"]) for d in body["per_day"]] == [("SUCCESS", 1)]
    (task,) = body["recent_tasks"]
    assert task["name"] == PROCESS and task["state"] == "SUCCESS" and task["queue"] == QUEUE
    (document,) = body["documents"]
    assert document["id"] == doc.id and document["filename"] == "skerra.txt"
    assert document["status"] == "ready" and document["size_bytes"] == len(SKERRA)
    assert document["chunk_count"] == doc.chunk_count > 0 and document["error"] is None
    (entry,) = body["audit"]
    assert entry["action"] == "set_role" and entry["actor_email"] == admin.email
    assert entry["detail"] == "user -> premium"
    missing = client.get("/qa/admin/users/999999", headers=headers)
    assert missing.status_code == 404
    assert missing.json() == {"detail": "No user with id 999999."}


def test_create_an_account_then_sign_in_with_it(runtime, client):
    headers = auth(runtime, factories.make_user(runtime, role="admin"))
    new = {"email": "New.Person@Example.com", "password": "a long password", "role": "premium"}

    created = client.post("/qa/admin/users", json=new, headers=headers)

    assert created.status_code == 201
    body = created.json()
    assert body["email"] == "new.person@example.com" and body["role"] == "premium"
    assert body["is_active"] is True and body["id"] > 0
    signed_in = sign_in(client, "new.person@example.com", "a long password")
    assert signed_in.status_code == 200
    me = client.get(
        "/auth/me", headers={"Authorization": f"Bearer {signed_in.json()['access_token']}"}
    )
    assert me.json()["email"] == "new.person@example.com" and me.json()["role"] == "premium"
    again = client.post("/qa/admin/users", json=new, headers=headers)
    assert again.status_code == 409
    assert again.json() == {"detail": "An account for new.person@example.com already exists."}
    short = client.post(
        "/qa/admin/users", json={"email": "b@example.com", "password": "short"}, headers=headers
    )
    assert short.status_code == 400
    assert short.json() == {"detail": "The password must be at least 8 characters long."}
    bad_role = client.post("/qa/admin/users", json={**new, "role": "owner"}, headers=headers)
    assert bad_role.status_code == 422 and bad_role.json()["detail"].startswith("role:")


def test_change_role_reset_password_and_patch_refuses_deactivation(runtime, client):
    admin = factories.make_user(runtime, role="admin")
    headers = auth(runtime, admin)
    user = factories.make_user(runtime)

    promoted = client.patch(f"/qa/admin/users/{user.id}", json={"role": "admin"}, headers=headers)
    refused = client.patch(f"/qa/admin/users/{user.id}", json={"active": False}, headers=headers)
    empty = client.patch(f"/qa/admin/users/{user.id}", json={}, headers=headers)
    demote_self = client.patch(
        f"/qa/admin/users/{admin.id}", json={"role": "user"}, headers=headers
    )
    reset = client.post(f"/qa/admin/users/{user.id}/password", headers=headers)

    assert promoted.status_code == 200 and promoted.json()["role"] == "admin"
    assert refused.status_code == 422
    assert "POST /qa/admin/users/{user_id}/deactivate" in refused.json()["detail"]
    assert empty.status_code == 422
    assert empty.json()["detail"] == "request: Send a role, active: true or both."
    assert demote_self.status_code == 400
    assert demote_self.json() == {
        "detail": "You cannot remove your own admin role; ask another admin."
    }
    assert reset.status_code == 200
    issued = reset.json()
    assert issued["user_id"] == user.id and issued["email"] == user.email
    assert len(issued["password"]) >= 8
    assert sign_in(client, user.email).status_code == 401  # the old password is gone
    assert sign_in(client, user.email, issued["password"]).status_code == 200
    with runtime.session() as session:
        kept = session.get(User, user.id)
        assert kept is not None and kept.is_active and kept.role == "admin"


def test_deactivate_stops_sign_in_and_revokes_waiting_tasks(runtime, client):
    admin = factories.make_user(runtime, role="admin")
    headers = auth(runtime, admin)
    user = factories.make_user(runtime)
    their_token = auth(runtime, user)
    queued_record(runtime, user, "waiting-by-test")

    response = client.post(f"/qa/admin/users/{user.id}/deactivate", headers=headers)

    assert response.status_code == 202
    accepted = response.json()
    assert accepted["name"] == "workers.tasks.users.deactivate_user"
    assert accepted["queue"] == "user_management" and accepted["status"] == "PENDING"
    refused = sign_in(client, user.email)
    assert refused.status_code == 401 and refused.json() == {"detail": "Wrong email or password."}
    assert client.get("/auth/me", headers=their_token).status_code == 401
    task = poll_task(client, accepted["task_id"], headers)
    assert task["state"] == "SUCCESS", task
    waiting = client.get("/qa/tasks/waiting-by-test", headers=headers).json()
    assert waiting["state"] == "REVOKED"
    assert waiting["error"] == "Cancelled: the account was deactivated."
    listed = client.get("/qa/admin/users", headers=headers).json()
    assert {r["email"]: r["active"] for r in listed}[user.email] is False

    again = client.patch(f"/qa/admin/users/{user.id}", json={"active": True}, headers=headers)
    assert again.status_code == 200 and again.json()["is_active"] is True
    assert sign_in(client, user.email).status_code == 200
    yourself = client.post(f"/qa/admin/users/{admin.id}/deactivate", headers=headers)
    assert yourself.status_code == 403
    assert yourself.json() == {"detail": "You cannot deactivate or delete your own account here."}


def test_delete_removes_the_account_once_the_task_ends(runtime, client):
    admin = factories.make_user(runtime, role="admin")
    headers = auth(runtime, admin)
    user = factories.make_user(runtime)
    factories.upload_and_wait(runtime, user, "skerra.txt", SKERRA)

    response = client.delete(f"/qa/admin/users/{user.id}", headers=headers)

    assert response.status_code == 202
    accepted = response.json()
    assert accepted["name"] == "workers.tasks.users.delete_user"
    assert sign_in(client, user.email).status_code == 401  # stopped at once
    task = poll_task(client, accepted["task_id"], headers)
    assert task["state"] == "SUCCESS", task
    gone = client.get(f"/qa/admin/users/{user.id}", headers=headers)
    assert gone.status_code == 404 and gone.json() == {"detail": f"No user with id {user.id}."}
    listed = client.get("/qa/admin/users", headers=headers).json()
    assert [r["email"] for r in listed] == [admin.email]
    with runtime.session() as session:
        assert session.get(User, user.id) is None
        assert session.scalar(select(func.count()).select_from(Document)) == 0
    again = client.delete(f"/qa/admin/users/{user.id}", headers=headers)
    assert again.status_code == 404


# --- usage reports on demand


def test_reports_on_demand_for_another_user_and_for_oneself(runtime, client):
    admin = factories.make_user(runtime, role="admin")
    admin_headers = auth(runtime, admin)
    user = factories.make_user(runtime)
    factories.upload_and_wait(runtime, user, "skerra.txt", SKERRA)
    user_headers = auth(runtime, user)

    for_them = client.post(f"/qa/admin/users/{user.id}/report?days=7", headers=admin_headers)
    for_me = client.post("/qa/user/report?days=3", headers=user_headers)

    assert for_them.status_code == 202 and for_me.status_code == 202
    assert for_them.json()["name"] == for_me.json()["name"]
    assert for_me.json()["name"] == "workers.tasks.users.generate_user_report"
    assert for_me.json()["queue"] == "user_management"
    assert poll_task(client, for_them.json()["task_id"], admin_headers)["state"] == "SUCCESS"
    assert poll_task(client, for_me.json()["task_id"], user_headers)["state"] == "SUCCESS"
    with runtime.session() as session:
        stored = maintenance.stored_reports(session=session, user=session.get(User, user.id))
        kinds = sorted((r.kind, r.days, r.data["totals"]["documents_ready"]) for r in stored)
    assert kinds == [("on_demand", 3, 1), ("on_demand", 7, 1)]
    bad = client.post("/qa/user/report?days=0", headers=user_headers)
    assert bad.status_code == 422
    logged = client.get("/qa/admin/audit?action=request_report", headers=admin_headers).json()
    assert logged["total"] == 1  # the admin's request is audited, one's own is not
    assert logged["items"][0]["target"] == user.email


# --- every user's tasks


def test_admin_browses_every_users_tasks_by_email(runtime, client):
    headers = auth(runtime, factories.make_user(runtime, role="admin"))
    alice = factories.make_user(runtime, email="alice@example.com")
    bob = factories.make_user(runtime, email="bob@example.com")
    factories.upload_and_wait(runtime, alice, "a.txt", SKERRA)
    factories.upload_and_wait(runtime, bob, "b.txt", SKERRA + b"Bob's copy.")
    factories.upload_and_wait(runtime, bob, "c.txt", SKERRA + b"Bob's other copy.")

    everyone = client.get("/qa/admin/tasks", headers=headers).json()
    hers = client.get("/qa/admin/tasks?user_email=ALICE", headers=headers).json()
    his = client.get("/qa/admin/tasks?user_email=bob@&page_size=1&page=2", headers=headers)
    failed = client.get("/qa/admin/tasks?state=FAILURE", headers=headers).json()

    assert everyone["total"] == 3 and len(everyone["items"]) == 3
    assert hers["total"] == 1 and hers["pages"] == 1
    (task,) = hers["items"]
    assert task["user_email"] == "alice@example.com" and task["user_id"] == alice.id
    assert task["name"] == PROCESS and task["state"] == "SUCCESS"
    assert his.status_code == 200
    assert (his.json()["total"], his.json()["page"], his.json()["pages"]) == (2, 2, 2)
    assert [t["user_email"] for t in his.json()["items"]] == ["bob@example.com"]
    assert failed["total"] == 0 and failed["items"] == []


def test_admin_cancels_any_users_task_and_sees_stuck_ones(runtime, client):
    admin = factories.make_user(runtime, role="admin")
    headers = auth(runtime, admin)
    user = factories.make_user(runtime)
    queued_record(runtime, user, "stuck-by-test", age=timedelta(hours=2))
    queued_record(runtime, user, "fresh-by-test")

    stuck = client.get("/qa/admin/tasks/stuck", headers=headers)
    cancelled = client.post("/qa/admin/tasks/stuck-by-test/cancel", headers=headers)
    retried = client.post("/qa/admin/tasks/stuck-by-test/retry", headers=headers)
    unknown = client.post("/qa/admin/tasks/no-such-task/cancel", headers=headers)

    assert stuck.status_code == 200
    (row,) = stuck.json()
    assert row["task_id"] == "stuck-by-test" and row["user_email"] == user.email
    assert row["why"] == "Queued 120 min ago and not started."
    assert cancelled.status_code == 200
    assert cancelled.json()["state"] == "REVOKED"
    assert cancelled.json()["error"] == f"Cancelled by {admin.email}."
    assert retried.status_code == 400
    assert retried.json() == {
        "detail": "This task's arguments were not recorded, so it cannot be retried."
    }
    assert unknown.status_code == 404 and unknown.json() == {"detail": "No such task."}
    assert client.get("/qa/admin/tasks/stuck", headers=headers).json() == []


def test_bulk_retry_needs_the_count_the_admin_saw(runtime, client):
    headers = auth(runtime, factories.make_user(runtime, role="admin"))
    user = factories.make_user(runtime)
    doc = factories.upload_and_wait(runtime, user, "broken.pdf", pdfs.garbage_pdf())
    assert doc.processing_status == "failed"
    factories.upload_and_wait(runtime, factories.make_user(runtime), "fine.txt", SKERRA)
    mine = f"user_email={user.email}"

    (original,) = client.get(f"/qa/admin/tasks?state=FAILURE&{mine}", headers=headers).json()[
        "items"
    ]

    counted = client.get(f"/qa/admin/tasks/failed-count?{mine}", headers=headers)
    stale = client.post(f"/qa/admin/tasks/retry-failed?{mine}&expected=2", headers=headers)
    tasks_after_stale = client.get("/qa/admin/tasks", headers=headers).json()["total"]
    confirmed = client.post(f"/qa/admin/tasks/retry-failed?{mine}&expected=1", headers=headers)

    assert counted.status_code == 200 and counted.json() == {"count": 1, "max_retry": 500}
    assert stale.status_code == 409
    assert stale.json() == {
        "detail": "1 failed task matches these filters now, not the 2 you confirmed; "
        "check the count again."
    }
    assert tasks_after_stale == 2  # nothing was retried
    assert confirmed.status_code == 202
    body = confirmed.json()
    assert body["retried"] == 1 and body["tasks"][0]["name"] == PROCESS
    retry = poll_task(client, body["tasks"][0]["task_id"], headers)
    assert retry["retry_of"] == original["task_id"] and retry["state"] == "FAILURE"
    assert client.get("/qa/admin/tasks", headers=headers).json()["total"] == 3
    # The original counts no more (it was retried); the retry's own failure does.
    recount = client.get(f"/qa/admin/tasks/failed-count?{mine}", headers=headers).json()
    assert recount["count"] == 1
    audited = client.get("/qa/admin/audit?action=bulk_retry", headers=headers).json()
    assert audited["total"] == 1 and audited["items"][0]["target"] == "1 tasks"


# --- queues


def test_purge_needs_the_count_the_admin_saw(runtime, client):
    admin = factories.make_user(runtime, role="admin")
    headers = auth(runtime, admin)
    runtime.celery.control.cancel_consumer(QUEUE, reply=True, timeout=2)
    try:
        for priority in (0, 0, 5):
            runtime.celery.send_task(PROCESS, kwargs={"document_id": -1}, priority=priority)
        seen = messages_waiting(client, headers, QUEUE)

        stale = client.post(f"/qa/admin/queues/{QUEUE}/purge?expected=2", headers=headers)
        after_stale = messages_waiting(client, headers, QUEUE)
        purged = client.post(f"/qa/admin/queues/{QUEUE}/purge?expected=3", headers=headers)
        after = messages_waiting(client, headers, QUEUE)
    finally:
        runtime.celery.control.add_consumer(QUEUE, reply=True, timeout=2)

    assert seen == 3
    assert stale.status_code == 409
    assert stale.json() == {
        "detail": f"{QUEUE} holds 3 messages now, not the 2 you confirmed; nothing was removed. "
        "Check the queue again."
    }
    assert after_stale == 3
    assert purged.status_code == 200 and purged.json() == {"queue": QUEUE, "removed": 3}
    assert after == 0
    unknown = client.post("/qa/admin/queues/nope/purge?expected=0", headers=headers)
    assert unknown.status_code == 400
    assert unknown.json() == {"detail": "There is no queue named 'nope'."}


# --- audit log


def test_audit_browse_shows_the_actions_taken(runtime, client):
    admin = factories.make_user(runtime, role="admin", email="root@example.com")
    headers = auth(runtime, admin)
    created = client.post(
        "/qa/admin/users",
        json={"email": "carol@example.com", "password": "a long password"},
        headers=headers,
    ).json()
    client.patch(f"/qa/admin/users/{created['id']}", json={"role": "premium"}, headers=headers)
    client.post(f"/qa/admin/users/{created['id']}/password", headers=headers)
    deactivated = client.post(f"/qa/admin/users/{created['id']}/deactivate", headers=headers)
    poll_task(client, deactivated.json()["task_id"], headers)

    everything = client.get("/qa/admin/audit", headers=headers)
    roles = client.get("/qa/admin/audit?action=set_role", headers=headers).json()
    by_text = client.get("/qa/admin/audit?text=revoking&page_size=1", headers=headers).json()
    by_other = client.get("/qa/admin/audit?actor=someone-else", headers=headers).json()
    paged = client.get("/qa/admin/audit?page_size=3&page=2", headers=headers).json()

    assert everything.status_code == 200
    body = everything.json()
    assert [e["action"] for e in body["items"]] == [
        "deactivate_user",
        "reset_password",
        "set_role",
        "create_user",
    ]
    assert {e["actor_email"] for e in body["items"]} == {"root@example.com"}
    assert {e["target"] for e in body["items"]} == {"carol@example.com"}
    assert body["items"][0]["data"] == {"task_id": deactivated.json()["task_id"]}
    assert (body["total"], body["page"], body["pages"]) == (4, 1, 1)
    assert roles["total"] == 1 and roles["items"][0]["detail"] == "user -> premium"
    assert by_text["total"] == 1 and by_text["items"][0]["action"] == "deactivate_user"
    assert by_other["total"] == 0 and by_other["items"] == []
    assert (paged["pages"], [e["action"] for e in paged["items"]]) == (2, ["create_user"])
