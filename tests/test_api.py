"""The REST API against the real app, database, Redis and an in-process Celery worker."""

from __future__ import annotations

import time
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from backend.accounts import tokens
from backend.models import ApiToken, Document, TaskRecord, User
from backend.operations.health import BEAT_HEARTBEAT_KEY
from backend.runtime import Runtime
from tests import factories, pdfs

pytestmark = pytest.mark.usefixtures("worker")

SKERRA = (
    b"The lighthouse keeper lived on the rocky island of Skerra for thirty years. "
    b"The annual festival of lanterns is held in the harbour town of Velmoor every June. "
    b"Copper mining ended in the northern valley when the last shaft flooded in 1911.\n"
)
FINISHED = ("SUCCESS", "FAILURE", "REVOKED")


def auth(rt: Runtime, user: User) -> dict[str, str]:
    """Headers with a fresh API token of the user."""
    with rt.session() as session:
        issued = tokens.create_token(session=session, user=session.get(User, user.id), name="t")
    return {"Authorization": f"Bearer {issued.token}"}


def files(*items: tuple[str, bytes]) -> list[tuple[str, tuple[str, bytes]]]:
    return [("file", (name, data)) for name, data in items]


def poll(client: TestClient, url: str, headers: dict[str, str], timeout: float = 120) -> Any:
    """GET the status URL until the task ends."""
    deadline = time.monotonic() + timeout
    while True:
        body = client.get(url, headers=headers).json()
        if body["status"] in FINISHED or time.monotonic() > deadline:
            return body
        time.sleep(0.1)


def ready_user(rt: Runtime, role: str = "user") -> User:
    """A user with one processed document about Skerra and Velmoor."""
    user = factories.make_user(rt, role=role)
    doc = factories.upload_and_wait(rt, user, "skerra.txt", SKERRA)
    assert doc.processing_status == "ready", doc.processing_error
    return user


# --- signing in and tokens


def test_sign_in_gives_a_bearer_token_that_works(runtime, client):
    user = factories.make_user(runtime)

    response = client.post(
        "/auth/token", data={"username": user.email.upper(), "password": factories.PASSWORD}
    )

    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer" and body["expires_at"]
    me = client.get("/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200 and me.json()["email"] == user.email
    with runtime.session() as session:
        stored = session.scalars(select(ApiToken.token_hash)).all()
    assert body["access_token"] not in stored  # only the hash is kept


def test_wrong_password_is_401_and_repeated_failures_are_throttled(runtime, client):
    user = factories.make_user(runtime)
    wrong = {"username": user.email, "password": "not the password"}

    first = client.post("/auth/token", data=wrong)
    assert first.status_code == 401
    assert first.json() == {"detail": "Wrong email or password."}
    for _ in range(runtime.settings.sign_in_free_attempts - 1):
        assert client.post("/auth/token", data=wrong).status_code == 401

    right = {"username": user.email, "password": factories.PASSWORD}
    waiting = client.post("/auth/token", data=right)
    assert waiting.status_code == 429
    assert waiting.json() == {"detail": "Too many failed sign-ins; try again in 1 second."}
    assert waiting.headers["Retry-After"] == "1"
    time.sleep(1.1)
    assert client.post("/auth/token", data=right).status_code == 200


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/auth/me"),
        ("GET", "/auth/tokens"),
        ("POST", "/qa/upload"),
        ("GET", "/qa/upload/status/abc"),
        ("POST", "/qa/ask"),
        ("GET", "/qa/ask/status/abc"),
        ("POST", "/qa/system/priority-question"),
        ("GET", "/qa/documents"),
        ("GET", "/qa/documents/1"),
        ("DELETE", "/qa/documents/1"),
        ("POST", "/qa/documents/1/reprocess"),
        ("GET", "/qa/tasks"),
        ("POST", "/qa/tasks/abc/cancel"),
        ("POST", "/qa/tasks/abc/retry"),
        ("GET", "/qa/user/report"),
        ("GET", "/qa/system/queues"),
        ("GET", "/qa/system/workers"),
    ],
)
def test_unauthenticated_calls_are_401_with_a_sentence(client, method, path):
    anonymous = client.request(method, path)
    forged = client.request(method, path, headers={"Authorization": "Bearer qa_forged"})

    assert anonymous.status_code == 401
    assert "Sign in first" in anonymous.json()["detail"]
    assert anonymous.headers["WWW-Authenticate"] == "Bearer"
    assert forged.status_code == 401
    assert "not valid" in forged.json()["detail"]


def test_api_tokens_are_shown_once_listed_and_revoked(runtime, client):
    user = factories.make_user(runtime)
    other = factories.make_user(runtime)
    headers = auth(runtime, user)

    created = client.post("/auth/tokens", json={"name": "nightly import"}, headers=headers)
    assert created.status_code == 201
    token = created.json()["token"]
    listed = client.get("/auth/tokens", headers=headers).json()
    assert [t["name"] for t in listed] == ["nightly import", "t"]
    assert all("token" not in t for t in listed)
    own = {"Authorization": f"Bearer {token}"}
    assert client.get("/qa/documents", headers=own).status_code == 200

    token_id = created.json()["id"]
    foreign = client.delete(f"/auth/tokens/{token_id}", headers=auth(runtime, other))
    assert foreign.status_code == 404
    assert client.delete(f"/auth/tokens/{token_id}", headers=headers).status_code == 204
    refused = client.get("/qa/documents", headers=own)
    assert refused.status_code == 401 and "revoked" in refused.json()["detail"]


def test_sign_out_revokes_the_session_token(runtime, client):
    user = factories.make_user(runtime)
    token = client.post(
        "/auth/token", data={"username": user.email, "password": factories.PASSWORD}
    ).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}

    assert client.post("/auth/logout", headers=headers).status_code == 204
    assert client.get("/auth/me", headers=headers).status_code == 401


# --- questions


def test_ask_async_then_poll_the_answer(runtime, client):
    headers = auth(runtime, ready_user(runtime))

    response = client.post(
        "/qa/ask", json={"question": "Where is the festival of lanterns held?"}, headers=headers
    )

    assert response.status_code == 202
    submitted = response.json()
    assert submitted["status"] == "PENDING" and submitted["queue"] == "question_answering"
    status = poll(client, f"/qa/ask/status/{submitted['task_id']}", headers)
    assert status["status"] == "SUCCESS", status
    result = status["result"]
    assert "Velmoor" in result["answer"]
    assert result["latency_ms"] > 0
    source = result["sources"][0]
    assert source["filename"] == "skerra.txt"
    assert {"document_id", "page", "chunk_id", "text", "score"} <= set(source)


def test_ask_sync_returns_the_answer(runtime, client):
    headers = auth(runtime, ready_user(runtime))

    response = client.post(
        "/qa/ask?use_async=false",
        json={"question": "How long did the lighthouse keeper live on Skerra?"},
        headers=headers,
    )

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "SUCCESS" and body["found"] is True
    assert "thirty years" in body["answer"]
    assert body["sources"][0]["filename"] == "skerra.txt"


def test_unanswerable_question_cites_nothing_and_lists_the_closest_passages(runtime, client):
    headers = auth(runtime, ready_user(runtime))

    response = client.post(
        "/qa/ask?use_async=false",
        json={"question": "What is the recommended tyre pressure for a mountain bike?"},
        headers=headers,
    )

    body = response.json()
    assert response.status_code == 200 and body["found"] is False
    assert body["answer"] == "No answer found in your documents." and body["sources"] == []
    assert [p["filename"] for p in body["closest"]] == ["skerra.txt"]
    assert body["missing_names"] == []  # the question names nothing
    status = client.get(f"/qa/ask/status/{body['task_id']}", headers=headers).json()
    assert status["result"]["closest"] == body["closest"]


HELP_PAGE = b"""# Account help

You can manage your account from the dashboard.

## How do I change my password?

Open the Account page and enter your current password and the new one twice.

## Signing in from scripts

Create an API token on the Account page and send it as a bearer token.
"""


def _ask_sync(client, headers: dict, question: str) -> dict:
    """Ask and wait for the answer; the answer's body."""
    response = client.post("/qa/ask?use_async=false", json={"question": question}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def test_a_help_page_answers_with_the_text_under_its_questions_and_headings(runtime, client):
    user = factories.make_user(runtime)
    doc = factories.upload_and_wait(runtime, user, "help.md", HELP_PAGE)
    assert doc.processing_status == "ready", doc.processing_error
    headers = auth(runtime, user)

    changed = _ask_sync(client, headers, "How do I change my password?")
    assert changed["found"], changed
    assert changed["answer"].startswith("Open the Account page"), changed["answer"]
    scripted = _ask_sync(client, headers, "How do I sign in from scripts?")
    assert scripted["found"], scripted
    assert scripted["answer"].startswith("Create an API token"), scripted["answer"]
    source = scripted["sources"][0]
    start, end = source["highlight"]
    assert source["text"][start:end].startswith("Create an API token")


def test_the_answer_says_which_names_no_passage_mentions(runtime, client):
    headers = auth(runtime, ready_user(runtime))

    refused = _ask_sync(client, headers, "Who painted the Mona Lisa?")
    assert refused["found"] is False and refused["missing_names"] == ["Mona Lisa"]
    status = client.get(f"/qa/ask/status/{refused['task_id']}", headers=headers).json()
    assert status["result"]["missing_names"] == ["Mona Lisa"]
    # A well-supported answer still stands, and says what its passages never mention.
    plain = _ask_sync(client, headers, "How long did the lighthouse keeper live on Skerra?")
    named = _ask_sync(
        client, headers, "How long did the lighthouse keeper live on Skerra, according to Gibbon?"
    )
    assert plain["found"] and plain["missing_names"] == []
    assert named["found"] and named["missing_names"] == ["Gibbon"]
    assert "thirty years" in plain["answer"] and "thirty years" in named["answer"]


def test_a_refusal_says_what_kind_of_answer_the_passages_lack(runtime, client):
    """A product page that never prices its machine: "How much does it cost?" is refused
    (it answered with the warranty), and the answer says the passages give no amount of
    money; what the page does give is answered as before."""
    user = factories.make_user(runtime)
    page = (
        b"# Aurora K2 espresso machine\n\nThe Aurora K2 espresso machine has a 15-bar pump and "
        b"a 1.8-litre water tank. The Aurora K2 espresso machine comes with a two-year warranty.\n"
    )
    doc = factories.upload_and_wait(runtime, user, "aurora-k2.md", page)
    assert doc.processing_status == "ready", doc.processing_error
    headers = auth(runtime, user)
    refused = _ask_sync(client, headers, "How much does the Aurora K2 espresso machine cost?")
    assert refused["found"] is False and refused["ungiven"] == "an amount of money", refused
    assert refused["closest"] and refused["closest"][0]["filename"] == "aurora-k2.md"
    status = client.get(f"/qa/ask/status/{refused['task_id']}", headers=headers).json()
    assert status["result"]["ungiven"] == "an amount of money"
    tank = _ask_sync(client, headers, "How big is the Aurora K2's water tank?")
    assert tank["found"] and "1.8-litre water tank" in tank["answer"], tank
    assert tank["ungiven"] is None


def test_ask_without_documents_is_400_with_a_sentence(runtime, client):
    headers = auth(runtime, factories.make_user(runtime))

    response = client.post("/qa/ask", json={"question": "Anything?"}, headers=headers)

    assert response.status_code == 400
    assert response.json()["detail"] == (
        "You have no processed documents yet; upload a document first."
    )


def test_priority_question_is_for_premium_users_only(runtime, client):
    premium = auth(runtime, ready_user(runtime, role="premium"))
    plain = auth(runtime, ready_user(runtime))
    question = {"question": "Where did copper mining end?"}

    urgent = client.post(
        "/qa/system/priority-question?use_async=false", json=question, headers=premium
    )
    refused = client.post("/qa/system/priority-question", json=question, headers=plain)

    assert urgent.status_code == 200
    assert (
        urgent.json()["queue"] == "high_priority" and "northern valley" in urgent.json()["answer"]
    )
    assert refused.status_code == 403
    assert "premium feature" in refused.json()["detail"]


def test_premium_accounts_questions_go_to_high_priority_by_default(runtime, client):
    premium = auth(runtime, ready_user(runtime, role="premium"))
    plain = auth(runtime, ready_user(runtime))
    question = {"question": "Where did copper mining end?"}

    ahead = client.post("/qa/ask", json=question, headers=premium)
    normal = client.post("/qa/ask", json=question, headers=plain)

    assert (ahead.status_code, normal.status_code) == (202, 202)
    assert ahead.json()["queue"] == "high_priority"
    assert normal.json()["queue"] == "question_answering"


# --- ownership


def test_other_users_ids_answer_404_and_never_their_data(runtime, client):
    alice = ready_user(runtime)
    alice_headers = auth(runtime, alice)
    asked = client.post(
        "/qa/ask?use_async=false", json={"question": "Where is Velmoor?"}, headers=alice_headers
    ).json()
    with runtime.session() as session:
        doc = session.scalars(select(Document).where(Document.owner_id == alice.id)).one()
    bob = auth(runtime, factories.make_user(runtime))

    calls = [
        ("GET", f"/qa/documents/{doc.id}", None),
        ("DELETE", f"/qa/documents/{doc.id}", None),
        ("POST", f"/qa/documents/{doc.id}/reprocess", None),
        ("GET", f"/qa/upload/status/{doc.processing_task_id}", None),
        ("GET", f"/qa/ask/status/{asked['task_id']}", None),
        ("GET", f"/qa/tasks/{asked['task_id']}", None),
        ("POST", f"/qa/tasks/{asked['task_id']}/cancel", None),
        ("POST", f"/qa/tasks/{doc.processing_task_id}/retry", None),
        ("POST", "/qa/ask", {"question": "Velmoor?", "document_ids": [doc.id]}),
    ]
    for method, path, body in calls:
        response = client.request(method, path, headers=bob, json=body)
        assert response.status_code == 404, (method, path, response.text)
        assert "skerra" not in response.text.lower() and "velmoor" not in response.text.lower()
    assert client.get("/qa/documents", headers=bob).json() == []
    assert client.get("/qa/tasks", headers=bob).json()["items"] == []
    assert client.get(f"/qa/documents/{doc.id}", headers=alice_headers).status_code == 200


# --- documents and tasks


def test_reprocess_and_delete_a_document(runtime, client):
    user = ready_user(runtime)
    headers = auth(runtime, user)
    (doc,) = client.get("/qa/documents", headers=headers).json()

    again = client.post(f"/qa/documents/{doc['id']}/reprocess", headers=headers)
    assert again.status_code == 202
    assert poll(client, f"/qa/upload/status/{again.json()['task_id']}", headers)["status"] == (
        "SUCCESS"
    )
    assert runtime.vector_store.count(document_id=doc["id"]) == doc["chunk_count"]

    deleted = client.delete(f"/qa/documents/{doc['id']}", headers=headers)
    assert deleted.status_code == 202
    assert client.get(f"/qa/documents/{doc['id']}", headers=headers).status_code == 404
    task = poll_task(client, deleted.json()["task_id"], headers)
    assert task["state"] == "SUCCESS"
    assert runtime.vector_store.count(document_id=doc["id"]) == 0


def poll_task(client: TestClient, task_id: str, headers: dict[str, str]) -> Any:
    deadline = time.monotonic() + 60
    while True:
        body = client.get(f"/qa/tasks/{task_id}", headers=headers).json()
        if body["state"] in FINISHED or time.monotonic() > deadline:
            return body
        time.sleep(0.1)


def test_task_list_filters_pages_and_retry_and_cancel(runtime, client):
    user = factories.make_user(runtime)
    headers = auth(runtime, user)
    client.post(
        "/qa/upload?use_async=false",
        files=files(("a.txt", SKERRA), ("b.txt", SKERRA + b"More."), ("c.pdf", pdfs.garbage_pdf())),
        headers=headers,
    )

    page = client.get("/qa/tasks?limit=2", headers=headers).json()
    rest = client.get(f"/qa/tasks?limit=2&offset={page['next_offset']}", headers=headers).json()
    failed = client.get("/qa/tasks?state=FAILURE", headers=headers).json()["items"]
    by_queue = client.get("/qa/tasks?queue=high_priority", headers=headers).json()["items"]

    assert len(page["items"]) == 2 and page["next_offset"] == 2
    assert len(rest["items"]) == 1 and rest["next_offset"] is None
    assert len(failed) == 1 and "damaged" in failed[0]["error"]
    assert by_queue == []
    retried = client.post(f"/qa/tasks/{failed[0]['task_id']}/retry", headers=headers)
    assert retried.status_code == 202
    task = poll_task(client, retried.json()["task_id"], headers)
    assert task["retry_of"] == failed[0]["task_id"] and task["state"] == "FAILURE"
    ended = client.post(f"/qa/tasks/{task['task_id']}/cancel", headers=headers)
    assert ended.status_code == 400 and "already ended" in ended.json()["detail"]
    everyone = client.get("/qa/tasks?all_users=true", headers=headers)
    assert everyone.status_code == 403


def test_cancel_a_queued_task(runtime, client):
    user = factories.make_user(runtime)
    headers = auth(runtime, user)
    with runtime.session() as session:
        record = TaskRecord(task_id="queued-by-test", name="x", queue="question_answering")
        record.user_id = user.id
        record.state = "PENDING"
        session.add(record)

    response = client.post("/qa/tasks/queued-by-test/cancel", headers=headers)

    assert response.status_code == 200
    assert response.json()["state"] == "REVOKED"
    assert response.json()["error"] == f"Cancelled by {user.email}."


def test_user_report_counts_what_the_user_did(runtime, client):
    user = ready_user(runtime)
    headers = auth(runtime, user)
    client.post("/qa/ask?use_async=false", json={"question": "Where is Velmoor?"}, headers=headers)

    report = client.get("/qa/user/report?days=7", headers=headers).json()

    assert report["period"]["days"] == 7 and len(report["questions_per_day"]) == 7
    assert report["totals"]["questions"] == 1 and report["totals"]["documents_ready"] == 1
    assert report["tasks_by_queue"] == {"document_processing": 1, "question_answering": 1}
    assert report["latency_ms"]["p50"] > 0
    assert client.get("/qa/user/report?days=0", headers=headers).status_code == 422


# --- operations and health


def test_queue_depth_and_workers_are_for_admins(runtime, client):
    admin = auth(runtime, factories.make_user(runtime, role="admin"))
    plain = auth(runtime, factories.make_user(runtime))

    refused = client.get("/qa/system/queues", headers=plain)
    queues = client.get("/qa/system/queues", headers=admin)
    workers = client.get("/qa/system/workers", headers=admin)

    assert refused.status_code == 403
    assert refused.json()["detail"] == "Only administrators can do this."
    body = queues.json()
    assert queues.status_code == 200 and body["ok"] is True
    assert [q["name"] for q in body["queues"]] == [
        "high_priority",
        "question_answering",
        "document_processing",
        "user_management",
    ]
    assert all(q["consumers"] == 1 for q in body["queues"])  # the test worker consumes all four
    assert workers.status_code == 200 and len(workers.json()["workers"]) == 1
    assert set(workers.json()["workers"][0]["queues"]) == {q["name"] for q in body["queues"]}


def test_health_reports_each_dependency(runtime, client):
    runtime.redis.delete(BEAT_HEARTBEAT_KEY)
    no_beat = client.get("/health")
    runtime.redis.set(BEAT_HEARTBEAT_KEY, time.time())
    healthy = client.get("/health")
    celery = client.get("/health/celery")

    assert no_beat.status_code == 503
    # Anyone may probe: each check says ok or down, never where a dependency lives.
    assert no_beat.json()["checks"]["beat"] == {"ok": False, "detail": "down"}
    assert "redis://" not in no_beat.text and str(runtime.settings.data_dir) not in no_beat.text
    assert healthy.status_code == 200, healthy.json()
    checks = healthy.json()["checks"]
    assert set(checks) == {
        "database",
        "broker",
        "result_backend",
        "vector_store",
        "beat",
        "workers",
    }
    assert all(c["ok"] for c in checks.values())
    assert celery.status_code == 200
    assert celery.json()["status"] == "healthy" and celery.json()["workers"] == 1


def test_openapi_documents_the_seed_endpoints(client):
    spec = client.get("/openapi.json").json()

    for path in (
        "/auth/token",
        "/qa/upload",
        "/qa/upload/status/{task_id}",
        "/qa/ask",
        "/qa/ask/status/{task_id}",
        "/qa/system/priority-question",
        "/qa/user/report",
        "/qa/system/queues",
        "/health/celery",
    ):
        assert path in spec["paths"], path
    upload = spec["paths"]["/qa/upload"]["post"]["requestBody"]["content"]
    assert "multipart/form-data" in upload
    assert client.get("/docs").status_code == 200


def test_validation_errors_are_sentences(runtime, client):
    headers = auth(runtime, factories.make_user(runtime))

    response = client.post("/qa/ask", json={"question": ""}, headers=headers)

    assert response.status_code == 422
    assert response.json()["detail"].startswith("question: String should have at least 1 char")
