"""The optional LLM answerer against a chat-completions server on 127.0.0.1, through a worker."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests import factories

pytestmark = pytest.mark.usefixtures("worker")


class FakeChatServer:
    """Speaks POST /v1/chat/completions; replies with `reply`, a status, or a delay."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.headers: list[dict] = []
        self.reply = "William II of Normandy conquered England in 1066 [1]."
        self.status = 200
        self.delay = 0.0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers["Content-Length"])
                server.requests.append(json.loads(self.rfile.read(length)))
                server.headers.append(dict(self.headers))
                time.sleep(server.delay)
                body = json.dumps(
                    {"choices": [{"message": {"role": "assistant", "content": server.reply}}]}
                ).encode()
                self.send_response(server.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def chat(runtime) -> Iterator[FakeChatServer]:
    server = FakeChatServer()
    settings = runtime.settings
    saved = (
        settings.llm_base_url,
        settings.llm_model,
        settings.llm_api_key,
        settings.llm_timeout_seconds,
    )
    settings.llm_base_url, settings.llm_model = server.url, "test-model"
    settings.llm_api_key, settings.llm_timeout_seconds = "sk-test", 2.0
    yield server
    (
        settings.llm_base_url,
        settings.llm_model,
        settings.llm_api_key,
        settings.llm_timeout_seconds,
    ) = saved
    server.close()


@pytest.fixture
def alice(runtime, squad_doc):
    user = factories.make_user(runtime)
    factories.upload_and_wait(runtime, user, squad_doc.name, squad_doc.read_bytes())
    return user


def test_llm_writes_the_answer_from_the_cited_sources(runtime, chat, alice):
    result = factories.ask_and_wait(runtime, alice, "Who conquered England in 1066?")

    assert result["answer"] == "William II of Normandy conquered England in 1066 [1]."
    assert result["answerer"] == "llm"
    assert result["sources"][0]["filename"] == "Normans.txt"
    request = chat.requests[0]
    assert request["model"] == "test-model"
    prompt = request["messages"][-1]["content"]
    assert "[1] (Normans.txt)" in prompt
    assert "William II of Normandy conquered England" in prompt
    assert "Question: Who conquered England in 1066?" in prompt
    assert chat.headers[0]["Authorization"] == "Bearer sk-test"


def test_llm_saying_not_found_is_shown_as_not_found(runtime, chat, alice):
    chat.reply = "NOT_FOUND"
    result = factories.ask_and_wait(runtime, alice, "Who conquered England in 1066?")
    assert result["found"] is False
    assert result["answer"] == "No answer found in your documents."


@pytest.mark.parametrize("failure", ["status", "timeout", "garbage"])
def test_llm_failure_falls_back_to_the_extractive_answer(runtime, chat, alice, failure):
    if failure == "status":
        chat.status = 500
    elif failure == "timeout":
        chat.delay = 3.0
    else:
        chat.reply = ""
    result = factories.ask_and_wait(runtime, alice, "Who conquered England in 1066?")
    assert result["answerer"] == "extractive"
    assert result["found"] is True
    assert "William II of Normandy conquered England" in result["answer"]


def test_unrelated_questions_never_reach_the_llm(runtime, chat, alice):
    result = factories.ask_and_wait(
        runtime, alice, "What is the recommended tyre pressure for a mountain bike?"
    )
    assert result["found"] is False
    assert chat.requests == []
