"""The API's outer shell: security headers, closed docs and metrics where asked, request bodies
that cannot exhaust memory or hold a connection, health probes that name no hosts, secrets
that must be real in production, and the local Flower and proxy settings of `make run`."""

from __future__ import annotations

import importlib.util
import os
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient

from backend.api.app import create_app
from backend.config import Settings, weak_secret
from backend.operations.flower import ensure_password

ROOT = Path(__file__).resolve().parents[1]
STRONG = "k3J9-vQ2x_Lm8RtZ0pWc4NbY7sHaE1dF"


def app_with(runtime, **changes):
    """The API on this session's runtime, its own behaviour under changed settings (the
    process-wide settings are left alone: other threads read them)."""
    return create_app(runtime, settings=runtime.settings.model_copy(update=changes))


def test_every_response_carries_security_headers(runtime, client):
    response = client.get("/livez")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert "strict-transport-security" not in response.headers  # not production
    refused = client.get("/qa/documents")  # errors too
    assert refused.status_code == 401 and refused.headers["x-content-type-options"] == "nosniff"


def test_production_closes_docs_and_metrics_and_adds_hsts(runtime):
    production = app_with(
        runtime,
        environment="production",
        secret_key=STRONG,
        flower_password=STRONG[::-1],
        metrics_token="",
    )
    with TestClient(production) as client:
        assert client.get("/docs").status_code == 404
        assert client.get("/openapi.json").status_code == 404
        closed = client.get("/metrics")
        assert closed.status_code == 403 and "METRICS_TOKEN" in closed.json()["detail"]
        assert "max-age" in client.get("/livez").headers["strict-transport-security"]


def test_metrics_need_the_token_when_one_is_set(runtime):
    token = "m" + STRONG
    with TestClient(app_with(runtime, metrics_token=token)) as client:
        assert client.get("/metrics").status_code == 401
        wrong = client.get("/metrics", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401
        good = client.get("/metrics", headers={"Authorization": f"Bearer {token}"})
        assert good.status_code == 200 and "celery_tasks_total" in good.text


def test_json_bodies_above_the_limit_are_refused(runtime):
    with TestClient(app_with(runtime, max_json_body_kb=4)) as client:
        big = b'{"email": "' + b"a" * 9000 + b'", "password": "x"}'
        declared = client.post(
            "/auth/tokens", content=big, headers={"Content-Type": "application/json"}
        )
        assert declared.status_code == 413 and "4 KB" in declared.json()["detail"]

        def chunks():  # no Content-Length: counted as it streams in
            for _ in range(10):
                yield b"a" * 1000

        streamed = client.post(
            "/auth/tokens", content=chunks(), headers={"Content-Type": "application/json"}
        )
        assert streamed.status_code == 413


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _serve_api(port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "uvicorn", "backend.api.app:app", "--port", str(port)]
    proc = subprocess.Popen(command, cwd=ROOT, env=env, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("the API did not start")


def test_a_body_that_never_arrives_does_not_hold_the_connection(runtime):
    port = free_port()
    proc = _serve_api(port, dict(os.environ, BODY_READ_TIMEOUT_SECONDS="1"))
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=30) as conn:
            conn.sendall(
                b"POST /auth/tokens HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b"Content-Length: 1000\r\n\r\n{\"email\":"
            )
            answer = b""
            while chunk := conn.recv(4096):  # the server answers and closes the connection
                answer += chunk
        assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
        assert b"stopped arriving" in answer
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_production_refuses_weak_secrets():
    repeated = "abc" * 11
    for weak in ("x", "password", "CHANGE_ME", "change-me", "a" * 40, repeated):
        assert weak_secret(weak), weak
    assert weak_secret(STRONG) is None
    with pytest.raises(ValueError, match="SECRET_KEY has 1 characters"):
        Settings(environment="production", secret_key="x", flower_password=STRONG)
    with pytest.raises(ValueError, match="FLOWER_PASSWORD is a placeholder"):
        Settings(environment="production", secret_key=STRONG, flower_password="")
    Settings(environment="production", secret_key=STRONG, flower_password=STRONG[::-1])


def test_local_flower_listens_on_loopback_with_a_generated_password(tmp_path):
    settings = Settings(data_dir=tmp_path, flower_password="")
    password, made = ensure_password(settings)
    assert made and len(password) >= 32
    stored = settings.flower_password_file
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    assert ensure_password(settings) == (password, False)  # printed once, then kept
    assert Settings(data_dir=tmp_path, flower_password="chosen").flower_secret == "chosen"

    spec = importlib.util.spec_from_file_location("run_local", ROOT / "scripts" / "run_local.py")
    assert spec is not None and spec.loader is not None
    run_local = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(run_local)
    commands = run_local.service_commands(settings)
    assert "--address=127.0.0.1" in commands["flower"]
    api = commands["api"]
    assert api[api.index("--forwarded-allow-ips") + 1] == "127.0.0.1"
    env = run_local.child_env("flower", settings)
    assert env["FLOWER_BASIC_AUTH"] == f"admin:{password}"


def test_compose_trusts_only_nginx_and_keeps_the_api_port_local():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    api = compose["services"]["api"]
    command = api["command"]
    trusted = command[command.index("--forwarded-allow-ips") + 1]
    assert trusted != "*"
    assert all(str(port).startswith("127.0.0.1:") for port in api["ports"])
    nginx_address = compose["services"]["nginx"]["networks"]["default"]["ipv4_address"]
    assert nginx_address in trusted
