"""Uploads through the API: async and sync, limits, type checks, streaming to the store."""

from __future__ import annotations

import socket
import threading
import time
import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
import uvicorn
from sqlalchemy import func, select

from backend.api.app import create_app
from backend.documents import library
from backend.models import Document
from backend.runtime import Runtime
from tests import factories, pdfs
from tests.test_api import SKERRA, auth, files, poll

pytestmark = pytest.mark.usefixtures("worker")


def test_upload_async_then_poll_to_success(runtime, client):
    headers = auth(runtime, factories.make_user(runtime))

    response = client.post("/qa/upload", files=files(("skerra.txt", SKERRA)), headers=headers)

    assert response.status_code == 202
    body = response.json()
    assert body["status"] == "PENDING" and body["duplicate"] is False
    assert body["document"]["status"] == "pending"
    status = poll(client, f"/qa/upload/status/{body['task_id']}", headers)
    assert status["status"] == "SUCCESS", status
    assert status["progress"] == {"stage": "ready", "percent": 100}
    assert status["result"]["id"] == body["document_id"]
    assert status["result"]["status"] == "ready" and status["result"]["chunk_count"] >= 1
    assert status["error"] is None


def test_upload_sync_returns_the_processed_documents(runtime, client):
    headers = auth(runtime, factories.make_user(runtime))

    response = client.post(
        "/qa/upload?use_async=false",
        files=files(("skerra.txt", SKERRA), ("locked.pdf", pdfs.encrypted_pdf())),
        headers=headers,
    )

    assert response.status_code == 200
    first, second = response.json()["files"]
    assert first["status"] == "SUCCESS" and first["document"]["status"] == "ready"
    assert second["status"] == "FAILURE" and second["document"]["status"] == "failed"
    assert "encrypted" in second["document"]["error"]
    again = client.post("/qa/upload", files=files(("copy.txt", SKERRA)), headers=headers)
    assert again.json()["duplicate"] is True
    assert again.json()["document_id"] == first["document_id"]


def test_oversize_upload_is_413_and_leaves_nothing_behind(runtime, client, settings):
    headers = auth(runtime, factories.make_user(runtime))
    big = b"word " * (settings.max_upload_bytes // 5 + 1)

    with_length = client.post("/qa/upload", files=files(("big.txt", big)), headers=headers)
    streamed = client.post(  # no Content-Length: refused while reading the stream
        "/qa/upload",
        content=_multipart_stream("big.txt", big),
        headers={**headers, "Content-Type": f"multipart/form-data; boundary={BOUNDARY}"},
    )

    for response in (with_length, streamed):
        assert response.status_code == 413
        assert f"{settings.max_upload_mb} MB" in response.json()["detail"]
    assert "big.txt" in streamed.json()["detail"]
    assert _document_count(runtime) == 0
    assert list(settings.upload_dir.glob(".incoming-*")) == []


def test_wrong_type_is_415_by_content_and_refuses_the_whole_request(runtime, client, settings):
    headers = auth(runtime, factories.make_user(runtime))
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 256

    renamed = client.post(
        "/qa/upload", files=files(("good.txt", SKERRA), ("notes.txt", png)), headers=headers
    )
    not_multipart = client.post("/qa/upload", json={"file": "x"}, headers=headers)

    assert renamed.status_code == 415
    assert renamed.json()["detail"].startswith("notes.txt: This file looks like a PNG image")
    assert _document_count(runtime) == 0
    assert list(settings.upload_dir.glob(".incoming-*")) == []
    assert not_multipart.status_code == 415
    assert "multipart/form-data" in not_multipart.json()["detail"]


@pytest.mark.parametrize(
    ("text", "encoding"),
    [
        ("日本語のテキストです。", "utf-8"),  # 3-byte characters: the sample cut falls inside one
        ("plain words, wide encoding. ", "utf-16"),  # with a BOM
    ],
)
def test_large_text_is_judged_from_samples_cut_between_characters(runtime, text, encoding):
    data = (text * 200_000).encode(encoding)[: 3 * 1024 * 1024]
    with runtime.uploads.receive(max_bytes=len(data), label="big.txt") as incoming:
        for start in range(0, len(data), 65536):
            incoming.write(data[start : start + 65536])
        content_type = library.check_received(
            settings=runtime.settings, filename="big.txt", incoming=incoming
        )

    assert content_type == "text/plain"


def test_upload_memory_does_not_grow_with_file_size(runtime, api_runtime, settings):
    headers = auth(runtime, factories.make_user(runtime))
    chunk = b"\x00" * 65536  # binary: received in full, then refused by content
    large = settings.max_upload_bytes // len(chunk) - 1

    with live_server(api_runtime) as base_url:
        _upload_peak(base_url, headers, chunk, repeat=2)  # warm-up: imports and caches
        small_peak = _upload_peak(base_url, headers, chunk, repeat=20)
        large_peak = _upload_peak(base_url, headers, chunk, repeat=large)

    grown = large_peak - small_peak
    added = (large - 20) * len(chunk)
    assert grown < added / 4, f"peak grew {grown / 1e6:.2f} MB for {added / 1e6:.1f} MB more"


def _upload_peak(base_url: str, headers: dict[str, str], chunk: bytes, repeat: int) -> int:
    """Peak Python memory (client and server) while streaming one upload."""
    tracemalloc.start()
    try:
        response = httpx.post(
            f"{base_url}/qa/upload",
            content=_multipart_stream("blob.txt", chunk, repeat=repeat),
            headers={**headers, "Content-Type": f"multipart/form-data; boundary={BOUNDARY}"},
            timeout=60,
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert response.status_code == 415, response.text
    assert "blob.txt" in response.json()["detail"]
    return peak


@contextmanager
def live_server(rt: Runtime) -> Iterator[str]:
    """The app served by a real uvicorn on a free 127.0.0.1 port, in a thread."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(create_app(rt), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


BOUNDARY = "qa-test-boundary"


def _multipart_stream(name: str, data: bytes, repeat: int = 1) -> Iterator[bytes]:
    yield (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    for _ in range(repeat):
        for start in range(0, len(data), 65536):
            yield data[start : start + 65536]
    yield f"\r\n--{BOUNDARY}--\r\n".encode()


def _document_count(rt: Runtime) -> int:
    with rt.session() as session:
        return int(session.scalar(select(func.count(Document.id))) or 0)
