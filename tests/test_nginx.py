"""deploy/nginx/nginx.conf run for real by Debian's nginx, in front of stand-in upstreams.

The repository's config is used as written except for the addresses: the compose service
names become local stand-in HTTP servers, `listen 80` a free 127.0.0.1 port and the password
file a generated one. Skipped when nginx is not installed (`apt-get install nginx-light`).
"""

from __future__ import annotations

import base64
import http.server
import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[1]
CONF = ROOT / "deploy" / "nginx" / "nginx.conf"
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)
USER, PASSWORD = "admin", "flower-secret"

pytestmark = [
    pytest.mark.skipif(NGINX is None, reason="nginx is not installed (apt install nginx-light)"),
    pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl makes the htpasswd hash"),
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _stand_in(name: str) -> http.server.ThreadingHTTPServer:
    """An upstream that answers every GET with its own name, the path and the auth header."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            body = json.dumps(
                {
                    "upstream": name,
                    "path": self.path,
                    "authorization": self.headers.get("Authorization"),
                    "forwarded_for": self.headers.get("X-Forwarded-For"),
                }
            ).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:  # noqa: N802
            length = int(self.headers.get("Content-Length") or 0)
            body = json.dumps(
                {
                    "upstream": name,
                    "path": self.path,
                    "body": self.rfile.read(length).decode(),
                    "cookie": self.headers.get("Cookie"),
                    "forwarded_proto": self.headers.get("X-Forwarded-Proto"),
                }
            ).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Set-Cookie", "qa_session=from-upstream; HttpOnly; Path=/")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture(scope="module")
def proxy() -> Iterator[str]:
    upstreams = {name: _stand_in(name) for name in ("dashboard", "api", "flower")}
    prefix = Path(tempfile.mkdtemp(prefix="qa-nginx-"))
    prefix.chmod(0o755)  # nginx workers drop to an unprivileged user and read the htpasswd
    hashed = subprocess.run(
        ["openssl", "passwd", "-apr1", PASSWORD], capture_output=True, text=True, check=True
    ).stdout.strip()
    htpasswd = prefix / "htpasswd"
    htpasswd.write_text(f"{USER}:{hashed}\n")
    htpasswd.chmod(0o644)

    port = _free_port()
    conf = CONF.read_text()
    for name, server in upstreams.items():
        conf, n = re.subn(
            rf"server {name}:\d+;", f"server 127.0.0.1:{server.server_address[1]};", conf
        )
        assert n == 1, name
    conf, n = re.subn(r"listen 80;", f"listen 127.0.0.1:{port};", conf)
    assert n == 1
    conf, n = re.subn(r"auth_basic_user_file \S+;", f"auth_basic_user_file {htpasswd};", conf)
    assert n == 1
    (prefix / "nginx.conf").write_text(conf)
    (prefix / "logs").mkdir()

    proc = subprocess.Popen(
        [
            NGINX,
            "-p",
            str(prefix),
            "-c",
            str(prefix / "nginx.conf"),
            "-e",
            "stderr",
            "-g",
            f"daemon off; pid {prefix / 'nginx.pid'};",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 15
        while True:
            if proc.poll() is not None:
                pytest.fail(f"nginx exited: {proc.stderr.read() if proc.stderr else ''}")
            try:
                if httpx.get(f"{base}/nginx-health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.time() > deadline:
                pytest.fail("nginx did not answer")
            time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        for server in upstreams.values():
            server.shutdown()
            server.server_close()
        shutil.rmtree(prefix, ignore_errors=True)


def _basic(user: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def test_flower_needs_the_htpasswd_credentials(proxy):
    anonymous = httpx.get(f"{proxy}/flower/")
    assert anonymous.status_code == 401
    assert 'Basic realm="Flower"' in anonymous.headers["www-authenticate"]
    assert httpx.get(f"{proxy}/flower/", headers=_basic(USER, "wrong")).status_code == 401

    allowed = httpx.get(f"{proxy}/flower/workers", headers=_basic(USER, PASSWORD))
    assert allowed.status_code == 200
    body = allowed.json()
    assert body["upstream"] == "flower"
    assert body["path"] == "/flower/workers"  # Flower runs with --url_prefix=flower


def test_api_prefix_is_stripped(proxy):
    reply = httpx.get(f"{proxy}/api/qa/tasks?limit=5")
    assert reply.status_code == 200
    body = reply.json()
    assert body["upstream"] == "api"
    assert body["path"] == "/qa/tasks?limit=5"
    assert body["forwarded_for"] == "127.0.0.1"


def test_metrics_are_not_published_and_the_rest_is_the_dashboard(proxy):
    assert httpx.get(f"{proxy}/api/metrics").status_code == 404
    root = httpx.get(f"{proxy}/")
    assert root.status_code == 200 and root.json()["upstream"] == "dashboard"
    assert httpx.get(f"{proxy}/nginx-health").text == "ok\n"


def test_the_dashboard_and_flower_get_security_headers(proxy):
    for response in (
        httpx.get(f"{proxy}/"),
        httpx.get(f"{proxy}/flower/", headers=_basic(USER, "wrong")),
    ):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "SAMEORIGIN"
        assert "frame-ancestors 'self'" in response.headers["content-security-policy"]
        assert "nginx/" not in response.headers.get("server", "")
    # The API answers with its own headers, not doubled by the proxy.
    assert "x-frame-options" not in httpx.get(f"{proxy}/api/qa/tasks").headers


def test_the_session_routes_reach_the_dashboard_with_cookies_both_ways(proxy):
    reply = httpx.post(
        f"{proxy}/session/start", content="a-ticket", headers={"Cookie": "qa_session=old"}
    )
    assert reply.status_code == 200
    body = reply.json()
    assert body["upstream"] == "dashboard" and body["path"] == "/session/start"
    assert body["body"] == "a-ticket" and body["cookie"] == "qa_session=old"
    assert body["forwarded_proto"] == "http"  # what the dashboard marks the cookie Secure by
    assert reply.headers["set-cookie"] == "qa_session=from-upstream; HttpOnly; Path=/"
