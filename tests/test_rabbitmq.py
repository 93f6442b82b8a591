"""The RabbitMQ switch: USE_RABBITMQ=true makes RABBITMQ_URL the broker (results stay in
Redis), queues carry x-max-priority, and queue depth reads RabbitMQ. Runs on a private vhost;
the whole core suite runs on RabbitMQ with `QA_TEST_BROKER=rabbitmq pytest -m core`."""

from __future__ import annotations

import shutil
import socket
import subprocess
import uuid
from collections.abc import Iterator

import pytest

from backend.config import Settings
from backend.ledger.routing import make_celery, task_queues, urgent_priority
from backend.operations import broker


def test_use_rabbitmq_switches_the_broker_but_not_the_results():
    settings = Settings(
        _env_file=None,
        celery_broker_url="",
        celery_result_backend="",
        use_rabbitmq=True,
        rabbitmq_url="amqp://qa:pw@rabbit:5672/qa",
        redis_url="redis://:pw@redis:6379",
    )
    assert settings.broker_url == "amqp://qa:pw@rabbit:5672/qa"
    assert settings.result_backend_url == "redis://:pw@redis:6379/0"
    app = make_celery(settings)
    assert app.conf.broker_write_url.startswith("amqp://")
    assert app.conf.broker_read_url.startswith("amqp://")
    assert app.conf.broker_transport_options == {"confirm_publish": True}
    assert urgent_priority(app) == 9
    off = Settings(
        _env_file=None, celery_broker_url="", use_rabbitmq=False, redis_url="redis://r:6379"
    )
    assert off.broker_url == "redis://r:6379/0"


def test_every_queue_declares_x_max_priority():
    for queue in task_queues():
        assert queue.max_priority == 10, queue.name  # declared as x-max-priority


def _rabbit_answers() -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", 5672)) == 0


@pytest.fixture
def vhost() -> Iterator[str]:
    if not (_rabbit_answers() and shutil.which("rabbitmqctl")):
        pytest.skip("RabbitMQ is not running here")
    name = f"qa_probe_{uuid.uuid4().hex[:8]}"
    ctl = ["rabbitmqctl", "-q"]
    subprocess.run([*ctl, "add_vhost", name], check=True, capture_output=True, timeout=60)
    subprocess.run(
        [*ctl, "set_permissions", "-p", name, "guest", ".*", ".*", ".*"],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    yield f"amqp://guest:guest@127.0.0.1:5672/{name}"
    subprocess.run([*ctl, "delete_vhost", name], capture_output=True, timeout=60)


def test_queue_depth_and_priority_queues_on_rabbitmq(vhost, settings):
    rabbit = settings.model_copy(update={"celery_broker_url": vhost})
    app = make_celery(rabbit)
    before = broker.queue_depths(celery=app)
    assert before.ok and {q.name: q.messages for q in before.queues} == dict.fromkeys(
        ["high_priority", "question_answering", "document_processing", "user_management"], 0
    )
    for _ in range(2):
        app.send_task("workers.tasks.users.probe", queue="user_management")
    app.send_task("workers.tasks.questions.priority_question", queue="high_priority", priority=9)
    report = broker.queue_depths(celery=app)
    depths = {q.name: q for q in report.queues}
    assert depths["user_management"].messages == 2
    assert depths["high_priority"].messages == 1
    assert depths["high_priority"].consumers == 0  # RabbitMQ knows its consumers
    # The queue on the broker really carries the priority argument.
    with app.connection_for_write() as conn:
        channel = conn.channel()
        with pytest.raises(Exception, match="PRECONDITION_FAILED|x-max-priority"):
            channel.queue_declare(queue="high_priority", durable=True, auto_delete=False)
