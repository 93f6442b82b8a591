"""Queue depth history is sampled by beat itself, so it shows a backlog no worker takes; the
Operations page draws it in the reader's time with a sane axis, and says how Flower is reached."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import redis
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from backend.ledger.catalog import PROCESS_DOCUMENT
from backend.models import QueueDepthSample, utcnow
from backend.operations import queue_history
from backend.runtime import build_runtime
from dashboard import common
from tests import factories
from tests.admin_support import fresh_caches  # noqa: F401
from tests.test_dashboard_support import APP, TIMEOUT, texts

ROOT = Path(__file__).resolve().parents[1]
WAITING = 20


def _samples(runtime, queue: str) -> list[int]:
    with runtime.session() as session:
        return list(
            session.scalars(
                select(QueueDepthSample.messages)
                .where(QueueDepthSample.queue == queue)
                .order_by(QueueDepthSample.sampled_at)
            )
        )


def test_beat_alone_records_the_depth_of_messages_no_worker_takes(runtime, settings, tmp_path):
    """No worker listens on this broker: the backlog is still sampled, by beat's own process."""
    broker = f"{settings.redis_url}/9"
    redis.Redis.from_url(broker).flushdb()
    lonely = build_runtime(settings.model_copy(update={"celery_broker_url": broker}))
    beat = None
    try:
        for _ in range(WAITING):
            lonely.celery.send_task(PROCESS_DOCUMENT, kwargs={"document_id": -1})
        env = dict(os.environ, CELERY_BROKER_URL=broker, QUEUE_SAMPLE_SECONDS="1")
        beat = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "workers.celery_app:celery_app", "beat",
             "--loglevel=info", f"--schedule={tmp_path / 'celerybeat-schedule'}"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        depths = _samples(runtime, "document_processing")
        while len(depths) < 2 and time.monotonic() < deadline and beat.poll() is None:
            time.sleep(0.2)
            depths = _samples(runtime, "document_processing")
    finally:
        output = ""
        if beat is not None:
            beat.terminate()
            output, _ = beat.communicate(timeout=30)
        lonely.close()
        redis.Redis.from_url(broker).flushdb()
    assert len(depths) >= 2, output  # sampled again every QUEUE_SAMPLE_SECONDS
    assert depths[-1] == WAITING, (depths, output)
    with runtime.session() as session:
        queues = set(session.scalars(select(QueueDepthSample.queue)))
    assert queues == {"high_priority", "question_answering", "document_processing",
                      "user_management"}  # fmt: skip


def test_the_sampler_is_not_a_task_any_more(runtime):
    from backend.ledger import catalog
    from workers.celery_app import celery_app

    assert "workers.tasks.monitoring.sample_queue_depths" not in celery_app.tasks
    assert not [t for t in catalog.TASKS if "sample" in t.name]
    assert not [e for e in celery_app.conf.beat_schedule.values() if "sample" in e["task"]]
    assert celery_app.conf.beat_scheduler.endswith(":QueueSamplingScheduler")


def test_the_scheduler_samples_on_its_first_tick_then_every_interval(runtime, tmp_path):
    from workers.celery_app import QueueSamplingScheduler

    scheduler = QueueSamplingScheduler(
        app=runtime.celery, schedule_filename=str(tmp_path / "schedule"), lazy=True
    )
    every = scheduler.sample_every
    assert scheduler.sample_if_due(now=1000.0) == every
    assert len(_samples(runtime, "user_management")) == 1
    assert scheduler.sample_if_due(now=1000.0 + every / 2) == pytest.approx(every / 2)
    assert len(_samples(runtime, "user_management")) == 1
    scheduler.sample_if_due(now=1000.0 + every)
    assert len(_samples(runtime, "user_management")) == 2


def _operations_page(user, timezone: str = "UTC") -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.context = {"timezone": timezone}
    at.session_state["user_id"] = user.id
    at.run()
    at.switch_page("pages/admin/operations.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_one_sample_is_a_visible_point_in_local_time_on_an_axis_from_zero(runtime):
    admin = factories.make_user(runtime, role="admin")
    at_ = utcnow() - timedelta(minutes=3)
    with runtime.session() as session:
        session.add_all(
            QueueDepthSample(sampled_at=at_, queue=q, messages=0)
            for q in ("high_priority", "question_answering", "document_processing",
                      "user_management")
        )  # fmt: skip
    at = _operations_page(admin, "Asia/Kathmandu")

    (chart,) = at.get("plotly_chart")
    figure = json.loads(chart.proto.spec)
    local = at_.astimezone(ZoneInfo("Asia/Kathmandu")).strftime("%Y-%m-%dT%H:%M:%S")
    for trace in figure["data"]:
        assert "markers" in trace["mode"]  # one sample is a dot, not an invisible line
        assert [x[:19] for x in trace["x"]] == [local]
    low, high = figure["layout"]["yaxis"]["range"]
    assert low == 0 and 1 <= high <= 10
    start, end = figure["layout"]["xaxis"]["range"]
    assert start[:16] < local[:16] <= end[:16]


def test_without_samples_the_page_says_how_often_beat_stores_one(runtime):
    admin = factories.make_user(runtime, role="admin")
    at = _operations_page(admin)
    assert "beat stores one every 60 s" in texts(at)


def test_the_page_says_how_flower_is_reached_and_where_its_password_is(
    runtime, settings, monkeypatch, tmp_path
):
    admin = factories.make_user(runtime, role="admin")
    generated = settings.model_copy(update={"data_dir": tmp_path, "flower_password": ""})
    generated.flower_password_file.write_text("generated-flower-secret\n")
    monkeypatch.setattr(common, "settings", lambda: generated)
    shown = texts(_operations_page(admin)).replace("`", "")
    assert settings.flower_url in shown
    assert f"the user is {settings.flower_user}" in shown
    assert str(generated.flower_password_file.resolve()) in shown
    assert "generated-flower-secret" not in shown

    chosen = generated.model_copy(update={"flower_password": "chosen-flower-secret"})
    monkeypatch.setattr(common, "settings", lambda: chosen)
    shown = texts(_operations_page(admin)).replace("`", "")
    assert "the password is the FLOWER_PASSWORD setting" in shown
    assert "chosen-flower-secret" not in shown


def test_history_still_reads_back_what_beat_stored(runtime):
    admin = factories.make_user(runtime, role="admin")
    with runtime.session() as session:
        queue_history.sample_and_prune(session=session, celery=runtime.celery, keep_days=7)
    with runtime.session() as session:
        points = queue_history.depth_history(session=session, user=admin, minutes=5)
    assert len(points) == 4
