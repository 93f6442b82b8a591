"""How `eval` asks its questions: through the services and the queue (as the dashboard does),
or through the REST API (as programs do). Both give the answer in the API's shape, so one
scorer judges both."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any, Protocol

from backend.accounts import tokens
from backend.ledger import task_records
from backend.models import User
from backend.qa import questions
from backend.runtime import Runtime

VIA = ("queue", "api")


class Asker(Protocol):
    def __call__(
        self,
        user: User,
        question: str,
        retrieval: str | None,
        document_ids: list[int] | None = None,
    ) -> dict[str, Any]: ...


def queue_asker(rt: Runtime, timeout: float) -> Asker:
    """Submit through the services, wait for the worker's result."""

    def ask(
        user: User,
        question: str,
        retrieval: str | None,
        document_ids: list[int] | None = None,
    ) -> dict[str, Any]:
        with rt.session() as session:
            fresh = session.get(User, user.id)
            assert fresh is not None
            _, task = questions.submit_question(
                session=session, celery=rt.celery, user=fresh, question=question,
                retrieval=retrieval, document_ids=document_ids,
            )  # fmt: skip
        result = task_records.wait_for_task(celery=rt.celery, task_id=task.task_id, timeout=timeout)
        return dict(result)

    return ask


@contextmanager
def api_asker(rt: Runtime) -> Iterator[Asker]:
    """POST /qa/ask?use_async=false with a bearer token of the asking account, over the real
    FastAPI app (its routing, validation, auth and serialisation)."""
    from fastapi.testclient import TestClient

    from backend.api.app import create_app

    bearers: dict[int, str] = {}
    with TestClient(create_app(rt)) as client:

        def ask(
            user: User,
            question: str,
            retrieval: str | None,
            document_ids: list[int] | None = None,
        ) -> dict[str, Any]:
            if retrieval is not None:
                raise ValueError("The REST API answers with the system's method only.")
            if user.id not in bearers:
                with rt.session() as session:
                    issued = tokens.create_token(
                        session=session, user=session.get(User, user.id) or user, name="eval",
                        expires_in=timedelta(hours=12), kind="session",
                    )  # fmt: skip
                    bearers[user.id] = issued.token
            response = client.post(
                "/qa/ask",
                params={"use_async": "false"},
                json={"question": question, "document_ids": document_ids},
                headers={"Authorization": f"Bearer {bearers[user.id]}"},
            )
            body = response.json()
            if response.status_code != 200 or body.get("status") != "SUCCESS":
                raise RuntimeError(f"/qa/ask answered {response.status_code}: {body}")
            return dict(body)

        yield ask
