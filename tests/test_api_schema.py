"""Schemathesis generates requests from the OpenAPI document: none may end in a 5xx."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from backend.accounts import tokens
from backend.api.app import create_app
from backend.models import Document, DocumentStatus, User
from backend.operations import broker
from backend.operations.health import BEAT_HEARTBEAT_KEY
from backend.runtime import Runtime, build_runtime
from tests import factories

pytestmark = pytest.mark.usefixtures("worker")


APP = create_app()  # the runtime is installed by the fixture below, before any call
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


@pytest.fixture
def schema_runtime(runtime: Runtime, settings) -> Iterator[Runtime]:
    # Sync mode waits a few seconds at most, to keep the run short.
    rt = build_runtime(settings.model_copy(update={"sync_wait_seconds": 3.0}))
    APP.state.runtime = rt
    yield rt
    del APP.state.runtime
    rt.close()


@pytest.fixture
def signed_in(runtime: Runtime, schema_runtime: Runtime) -> dict[str, str]:
    """A user with one processed document, signed in with an API token."""
    user = factories.make_user(runtime)
    with runtime.session() as session:
        session.add(
            Document(
                owner_id=user.id,
                filename="notes.txt",
                size_bytes=10,
                sha256="0" * 64,
                processing_status=DocumentStatus.READY.value,
            )
        )
        issued = tokens.create_token(session=session, user=session.get(User, user.id), name="t")
    return {"Authorization": f"Bearer {issued.token}"}


@schema.parametrize()
@settings(
    max_examples=6,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_generated_requests_never_get_a_server_error(case, signed_in, runtime):
    if case.operation.path.startswith("/health"):
        healthy(runtime)  # they answer 503 by design when something is down
    response = case.call(headers=signed_in)
    case.validate_response(response, checks=[not_a_server_error], headers=signed_in)


def healthy(rt: Runtime) -> None:
    """Beat has just reported and the (single, solo) worker is idle, so it answers pings."""
    if rt.redis.get(BEAT_HEARTBEAT_KEY) is not None:
        return  # already made healthy for this operation (Redis is flushed between tests)
    rt.redis.set(BEAT_HEARTBEAT_KEY, time.time())
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if broker.queue_depths(celery=rt.celery).total == 0:
            names, _ = broker.ping_workers(celery=rt.celery, timeout=1.0)
            if names:
                return
        time.sleep(0.2)
