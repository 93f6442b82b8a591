"""Rate limits, webhooks, stuck-task detection and user deletion, on a real worker, Redis,
database and a real HTTP receiver on 127.0.0.1."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import func, select

from backend.accounts.rate_limits import RateLimiter
from backend.documents import library
from backend.errors import InvalidInput, RateLimited
from backend.ledger import task_records, webhooks
from backend.models import Document, Question, TaskFlag, TaskRecord, User, WebhookDelivery, utcnow
from backend.operations import maintenance, user_admin
from backend.qa import questions
from tests import factories

pytestmark = pytest.mark.usefixtures("worker")
TEXT = (
    b"The Normans were the people who in the 10th and 11th centuries gave their name to "
    b"Normandy, a region in France. They were descended from Norse raiders and pirates.\n"
)


class Receiver:
    """A webhook receiver that answers 500 to its first `failures` requests."""

    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.requests: list[tuple[dict[str, str], bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.requests.append((dict(self.headers), body))
                code = 500 if len(receiver.requests) <= receiver.failures else 200
                self.send_response(code)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait_for(self, count: int, timeout: float = 30) -> None:
        deadline = time.time() + timeout
        while len(self.requests) < count and time.time() < deadline:
            time.sleep(0.05)
        assert len(self.requests) >= count, f"{len(self.requests)} requests arrived"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def lab_settings(runtime, monkeypatch):
    """Settings with private webhook targets allowed and quick retries, for the worker too."""
    settings = runtime.settings.model_copy(
        update={"webhook_allow_private_targets": True, "webhook_backoff_seconds": 0.2}
    )
    monkeypatch.setattr(runtime, "settings", settings)
    return settings


def _limiter(runtime, **limits):
    settings = runtime.settings.model_copy(update={"rate_limit_enabled": True, **limits})
    return RateLimiter(redis=runtime.redis, settings=settings)


def _ask(runtime, user, limiter):
    with runtime.session() as session:
        fresh = session.get(User, user.id)
        return questions.submit_question(
            session=session,
            celery=runtime.celery,
            user=fresh,
            question="Who were the Normans?",
            limiter=limiter,
        )


def test_question_limit_refuses_with_wait_then_allows_after_the_window(runtime):
    user = factories.make_user(runtime)
    factories.upload_and_wait(runtime, user, "normans.txt", TEXT)
    limiter = _limiter(runtime, max_queries_per_hour=2, rate_limit_window_seconds=2)
    _ask(runtime, user, limiter)
    _ask(runtime, user, limiter)
    with pytest.raises(RateLimited) as refused:
        _ask(runtime, user, limiter)
    assert 1 <= refused.value.retry_after <= 2
    assert "try again in" in refused.value.message
    with runtime.session() as session:  # nothing was recorded or queued for the refusal
        assert session.scalar(select(func.count(Question.id))) == 2
    time.sleep(refused.value.retry_after + 0.1)
    _, task = _ask(runtime, user, limiter)
    assert task_records.wait_for_task(celery=runtime.celery, task_id=task.task_id, timeout=60)


def test_upload_limit_is_checked_before_queueing(runtime):
    user = factories.make_user(runtime)
    limiter = _limiter(runtime, max_uploads_per_hour=1)
    with runtime.session() as session:
        fresh = session.get(User, user.id)
        kwargs = {
            "session": session,
            "celery": runtime.celery,
            "uploads": runtime.uploads,
            "settings": runtime.settings,
            "user": fresh,
            "limiter": limiter,
        }
        library.upload_document(filename="a.txt", data=TEXT, **kwargs)
        with pytest.raises(RateLimited) as refused:
            library.upload_document(filename="b.txt", data=TEXT + b"more", **kwargs)
    assert refused.value.retry_after > 3000
    with runtime.session() as session:
        assert session.scalar(select(func.count(Document.id))) == 1


def test_premium_override_and_admins_unlimited(runtime):
    limiter = _limiter(runtime, max_queries_per_hour=1, premium_max_queries_per_hour=3)
    plain = factories.make_user(runtime)
    premium = factories.make_user(runtime, role="premium")
    admin = factories.make_user(runtime, role="admin")
    limiter.admit(plain, "question")
    with pytest.raises(RateLimited):
        limiter.admit(plain, "question")
    for _ in range(3):
        limiter.admit(premium, "question")
    with pytest.raises(RateLimited):
        limiter.admit(premium, "question")
    for _ in range(50):
        limiter.admit(admin, "question")


def _set_hook(runtime, user, url):
    with runtime.session() as session:
        hook = webhooks.set_webhook(
            session=session, settings=runtime.settings, user=session.get(User, user.id), url=url
        )
        return hook.secret


def _deliveries(runtime, user):
    with runtime.session() as session:
        rows = webhooks.list_deliveries(session=session, user=session.get(User, user.id))
        return [webhooks.delivery_view(r) for r in rows]


def test_webhook_arrives_signed_when_a_document_is_ready(runtime, lab_settings, receiver):
    user = factories.make_user(runtime)
    secret = _set_hook(runtime, user, receiver.url)
    doc = factories.upload_and_wait(runtime, user, "normans.txt", TEXT)
    receiver.wait_for(1)
    headers, body = receiver.requests[0]
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    assert headers[webhooks.SIGNATURE_HEADER] == expected
    payload = json.loads(body)
    assert payload["event"] == "document.ready"
    assert payload["user_id"] == user.id
    assert payload["task_id"] == doc.processing_task_id
    assert payload["result"]["document_id"] == doc.id
    assert payload["timestamp"]
    deadline = time.time() + 10
    while _deliveries(runtime, user)[0]["status"] != "delivered" and time.time() < deadline:
        time.sleep(0.05)
    assert _deliveries(runtime, user)[0]["status"] == "delivered"


def test_webhook_retried_after_failures_then_delivered(runtime, lab_settings):
    receiver = Receiver(failures=2)
    try:
        user = factories.make_user(runtime)
        _set_hook(runtime, user, receiver.url)
        with runtime.session() as session:
            webhooks.queue_completion(
                session=session,
                celery=runtime.celery,
                user_id=user.id,
                event="answer.ready",
                task_id="t-1",
                result={"answer": "x"},
            )
        receiver.wait_for(3)
        deadline = time.time() + 10
        while _deliveries(runtime, user)[0]["status"] != "delivered" and time.time() < deadline:
            time.sleep(0.05)
        delivery = _deliveries(runtime, user)[0]
        assert delivery["status"] == "delivered"
        assert delivery["attempts"] == 3
        assert delivery["response_code"] == 200
    finally:
        receiver.close()


def test_private_webhook_url_refused_without_the_setting(runtime):
    user = factories.make_user(runtime)
    for url in ("http://127.0.0.1:9000/hook", "http://10.0.0.5/hook", "ftp://example.com/x"):
        with pytest.raises(InvalidInput):
            _set_hook(runtime, user, url)
    with runtime.session() as session:
        assert session.scalar(select(func.count(WebhookDelivery.id))) == 0


@pytest.mark.core
def test_premium_question_is_taken_before_queued_normal_ones(runtime):
    """Questions wait while the worker is away from the question queues; when it comes back,
    the premium question (on high_priority) runs before the normal ones queued earlier."""
    normal = factories.make_user(runtime)
    premium = factories.make_user(runtime, role="premium")
    for user in (normal, premium):
        factories.upload_and_wait(runtime, user, "normans.txt", TEXT)
    control = runtime.celery.control
    for queue in ("high_priority", "question_answering"):
        control.cancel_consumer(queue, reply=True, timeout=5)
    try:
        waiting = [_ask(runtime, normal, None)[1] for _ in range(4)]
        urgent = _ask(runtime, premium, None)[1]
    finally:
        # Served in the order the worker declares them: high_priority first.
        for queue in ("high_priority", "question_answering"):
            control.add_consumer(queue, reply=True, timeout=5)
    assert urgent.queue == "high_priority"
    assert {t.queue for t in waiting} == {"question_answering"}
    for task in (urgent, *waiting):
        task_records.wait_for_task(celery=runtime.celery, task_id=task.task_id, timeout=60)
    with runtime.session() as session:
        started = {
            r.task_id: r.started_at
            for r in session.scalars(
                select(TaskRecord).where(
                    TaskRecord.task_id.in_([urgent.task_id, *(t.task_id for t in waiting)])
                )
            )
        }
        unanswered = session.scalar(
            select(func.count()).select_from(Question).where(Question.answered_at.is_(None))
        )
    assert all(started.values()) and unanswered == 0
    first = min(started, key=lambda task_id: started[task_id])
    assert first == urgent.task_id, started


def test_stuck_task_whose_message_is_gone_is_flagged(runtime):
    user = factories.make_user(runtime)
    with runtime.session() as session:  # a ledger row whose broker message was lost
        session.add(
            TaskRecord(
                task_id="lost-1",
                name="workers.tasks.questions.answer_question",
                queue="question_answering",
                user_id=user.id,
                state="PENDING",
                queued_at=utcnow() - timedelta(hours=2),
                args={"question_id": 1},
            )
        )
    result = runtime.celery.send_task("workers.tasks.maintenance.flag_stuck_tasks")
    assert "lost-1" in result.get(timeout=30)
    with runtime.session() as session:
        record = session.get(TaskRecord, "lost-1")
        assert record.state == "STUCK"
        assert "never started" in record.error
        assert session.get(TaskFlag, "lost-1").kind == "never_started"


def test_deleting_a_user_leaves_no_rows_files_or_points(runtime):
    admin = factories.make_user(runtime, role="admin")
    user = factories.make_user(runtime)
    doc = factories.upload_and_wait(runtime, user, "normans.txt", TEXT)
    assert runtime.vector_store.count(user_id=user.id) > 0
    assert runtime.uploads.exists(doc.sha256)
    with runtime.session() as session:
        task = user_admin.delete_user(
            session=session,
            celery=runtime.celery,
            actor=session.get(User, admin.id),
            user_id=user.id,
        )
    result = task_records.wait_for_task(celery=runtime.celery, task_id=task.task_id, timeout=60)
    assert result["documents"] == 1
    with runtime.session() as session:
        assert session.get(User, user.id) is None
        assert session.scalar(select(func.count(Document.id))) == 0
        assert (
            session.scalar(
                select(func.count(TaskRecord.task_id)).where(TaskRecord.user_id == user.id)
            )
            == 0
        )
    assert runtime.vector_store.count(user_id=user.id) == 0
    assert not runtime.uploads.exists(doc.sha256)


def test_service_check_notices_no_workers_then_clears_when_one_answers(runtime, settings, receiver):
    """Beat's service check on a broker no worker listens on opens a 'no workers' notice (also
    posted to the admin webhook); on the real broker, with the worker answering, it closes."""
    from backend.runtime import build_runtime

    lonely = build_runtime(
        settings.model_copy(
            update={
                "celery_broker_url": f"{settings.redis_url}/11",
                "admin_webhook_url": receiver.url,
            }
        )
    )
    try:
        with lonely.session() as session:
            seen = maintenance.check_service(
                session=session, settings=lonely.settings, celery=lonely.celery, redis=lonely.redis
            )
            session.commit()
    finally:
        lonely.close()
    assert seen["workers"] == []
    with runtime.session() as session:
        (notice,) = maintenance.open_notices(session=session)
    assert notice.kind == "no_workers" and "No Celery worker answered" in notice.message
    receiver.wait_for(1)
    assert json.loads(receiver.requests[0][1])["kind"] == "no_workers"

    with runtime.session() as session:
        seen = maintenance.check_service(
            session=session, settings=runtime.settings, celery=runtime.celery, redis=runtime.redis
        )
        session.commit()
    assert len(seen["workers"]) == 1
    with runtime.session() as session:
        assert maintenance.open_notices(session=session) == []


def test_service_check_notices_a_queue_that_stays_backed_up(runtime):
    settings = runtime.settings.model_copy(
        update={"queue_alert_threshold": 2, "queue_alert_minutes": 0}
    )
    control = runtime.celery.control
    control.cancel_consumer("user_management", reply=True, timeout=5)
    try:
        for _ in range(3):
            runtime.celery.send_task(
                "workers.tasks.maintenance.beat_heartbeat", queue="user_management"
            )
        with runtime.session() as session:
            seen = maintenance.check_service(
                session=session, settings=settings, celery=runtime.celery, redis=runtime.redis
            )
            session.commit()
        assert seen["queues_high"] == ["user_management"]
        with runtime.session() as session:
            (notice,) = maintenance.open_notices(session=session)
        assert notice.kind == "queue_high:user_management"
        assert "Queue user_management has held more than 2 messages" in notice.message
    finally:
        control.add_consumer("user_management", reply=True, timeout=5)

    deadline = time.time() + 30
    while time.time() < deadline:
        with runtime.session() as session:
            seen = maintenance.check_service(
                session=session, settings=settings, celery=runtime.celery, redis=runtime.redis
            )
            session.commit()
        if not seen["queues_high"]:
            break
        time.sleep(0.2)
    with runtime.session() as session:
        assert maintenance.open_notices(session=session) == []
