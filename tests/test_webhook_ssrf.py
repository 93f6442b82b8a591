"""Webhooks never reach inside: the host is resolved once, every address is checked, and the
POST goes to the checked address (with the host name kept for the Host header, SNI and the
certificate check); deliveries carry Standard Webhooks headers; users see outcome categories.

Real HTTP(S) receivers listen on 127.0.0.1; names under `.test` are answered by a resolver
stub, and no connection leaves the machine (any other address is refused on the spot)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pydantic import ValidationError

from backend.accounts import tokens
from backend.config import Settings
from backend.errors import InvalidInput
from backend.ledger import webhooks
from backend.models import User, Webhook, WebhookDelivery
from tests import factories

PUBLIC_V4 = "93.184.216.34"
LOOPBACK = {"127.0.0.1", "::1", "localhost"}
SSRF_TARGETS = [
    "http://[::127.0.0.1]/hook",
    "http://[64:ff9b::7f00:1]/hook",
    "http://[64:ff9b::a9fe:a9fe]/hook",
    "http://224.0.0.1/hook",
    "http://0.0.0.0/hook",
    "http://[::]/hook",
    "http://169.254.169.254/latest/meta-data/",
    "http://[::ffff:127.0.0.1]/hook",
    "http://2130706433/hook",
    "http://0x7f.1/hook",
    "http://127.1/hook",
    "http://[2002:7f00:1::]/hook",
]


# --- the network the tests see


class Network:
    """A resolver stub for names under `.test` (successive lookups get successive answers, the
    last one repeating) and a record of every TCP connection opened; connections to anything
    but loopback or a stubbed name are refused without leaving the machine."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.answers: dict[str, list[list[str]]] = {}
        self.lookups: list[str] = []
        self.connects: list[tuple[str, int]] = []
        real_getaddrinfo = socket.getaddrinfo
        real_connect = socket.create_connection

        def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
            name = host.decode() if isinstance(host, bytes) else host
            if name not in self.answers:
                return real_getaddrinfo(host, port, *args, **kwargs)
            self.lookups.append(name)
            sequence = self.answers[name]
            answer = sequence[min(self.lookups.count(name), len(sequence)) - 1]
            port = int(port or 0)
            infos = []
            for address in answer:
                if ":" in address:
                    infos.append(
                        (socket.AF_INET6, socket.SOCK_STREAM, 6, "", (address, port, 0, 0))
                    )
                else:
                    infos.append((socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port)))
            return infos

        def create_connection(address: Any, *args: Any, **kwargs: Any) -> socket.socket:
            host, port = str(address[0]), int(address[1])
            self.connects.append((host, port))
            if host not in LOOPBACK and host not in self.answers:
                raise ConnectionRefusedError(111, "Connection refused")
            return real_connect(address, *args, **kwargs)

        monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
        monkeypatch.setattr(socket, "create_connection", create_connection)


@pytest.fixture
def network(monkeypatch: pytest.MonkeyPatch) -> Network:
    return Network(monkeypatch)


class Receiver:
    """A webhook receiver on 127.0.0.1 answering the given codes in turn (then 200)."""

    def __init__(
        self,
        *,
        codes: tuple[int, ...] = (),
        delay: float = 0.0,
        location: str | None = None,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.server_names: list[str | None] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.requests.append(({k.lower(): v for k, v in self.headers.items()}, body))
                count = len(receiver.requests)
                if delay:
                    time.sleep(delay)
                self.send_response(codes[count - 1] if count <= len(codes) else 200)
                if location:
                    self.send_header("Location", location)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        if tls is not None:
            tls.sni_callback = lambda _sock, name, _ctx: receiver.server_names.append(name)
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        self.port = int(self.server.server_address[1])
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receivers() -> Iterator[list[Receiver]]:
    made: list[Receiver] = []
    yield made
    for receiver in made:
        receiver.close()


def _receiver(made: list[Receiver], **kwargs: Any) -> Receiver:
    receiver = Receiver(**kwargs)
    made.append(receiver)
    return receiver


def _closed_port() -> tuple[socket.socket, int]:
    """A port bound on 127.0.0.1 but not listening: connecting to it is refused."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    return sock, int(sock.getsockname()[1])


# --- helpers


def _lab(runtime: Any, **update: Any) -> Settings:
    """Settings with the test allowance for receivers on 127.0.0.1."""
    return runtime.settings.model_copy(update={"webhook_allow_private_targets": True, **update})


def _auth(runtime: Any, user: User) -> dict[str, str]:
    with runtime.session() as session:
        issued = tokens.create_token(session=session, user=session.get(User, user.id), name="t")
    return {"Authorization": f"Bearer {issued.token}"}


def _whsec() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def _register(runtime: Any, settings: Settings, user: User, url: str) -> str:
    with runtime.session() as session:
        hook = webhooks.set_webhook(
            session=session, settings=settings, user=session.get(User, user.id), url=url
        )
        return hook.secret


def _record(runtime: Any, user: User, url: str, *, secret: str | None = None) -> int:
    """A stored hook (unchecked, as an older release may have stored it) and one delivery."""
    with runtime.session() as session:
        hook = session.get(Webhook, user.id)
        if hook is None:
            session.add(Webhook(user_id=user.id, url=url, secret=secret or _whsec(), enabled=True))
        else:
            hook.url = url
            if secret:
                hook.secret = secret
        delivery = WebhookDelivery(
            user_id=user.id,
            event="answer.ready",
            task_id="task-1",
            url=url,
            payload={"event": "answer.ready", "task_id": "task-1", "result": {"answer": "x"}},
        )
        session.add(delivery)
        session.flush()
        return delivery.id


def _deliver(runtime: Any, settings: Settings, delivery_id: int, *, final: bool = True) -> str:
    with runtime.session() as session:
        return webhooks.deliver(
            session=session, settings=settings, delivery_id=delivery_id, final=final
        )


def _view(runtime: Any, delivery_id: int) -> dict[str, Any]:
    with runtime.session() as session:
        delivery = session.get(WebhookDelivery, delivery_id)
        assert delivery is not None
        return webhooks.delivery_view(delivery)


def _verify(secret: str, headers: dict[str, str], body: bytes, tolerance: int = 300) -> bool:
    """Standard Webhooks verification, written from the specification."""
    key = (
        base64.b64decode(secret.removeprefix("whsec_"))
        if secret.startswith("whsec_")
        else secret.encode()
    )
    message_id, timestamp = headers["webhook-id"], headers["webhook-timestamp"]
    if abs(time.time() - int(timestamp)) > tolerance:
        return False
    signed = f"{message_id}.{timestamp}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return any(
        hmac.compare_digest(value, expected)
        for version, _, value in (s.partition(",") for s in headers["webhook-signature"].split())
        if version == "v1"
    )


# --- addresses


def test_rebinding_resolver_never_gets_a_request_to_loopback(runtime, network, receivers):
    receiver = _receiver(receivers)
    settings = runtime.settings.model_copy(
        update={"webhook_allowed_ports": str(receiver.port), "webhook_timeout_seconds": 2.0}
    )
    network.answers["rebind.test"] = [[PUBLIC_V4], ["127.0.0.1"]]
    user = factories.make_user(runtime)
    _register(runtime, settings, user, f"http://rebind.test:{receiver.port}/hook")
    network.lookups.clear()  # the delivery's first lookup answers the public address again
    delivery_id = _record(runtime, user, f"http://rebind.test:{receiver.port}/hook")

    _deliver(runtime, settings, delivery_id)

    assert receiver.requests == []
    assert network.lookups == ["rebind.test"]  # resolved once, then connected by address
    assert network.connects == [(PUBLIC_V4, receiver.port)]
    assert _view(runtime, delivery_id)["status"] == "failed: refused"


def test_non_public_targets_are_refused_at_registration(runtime, network):
    network.answers["mixed.test"] = [[PUBLIC_V4, "10.0.0.7"]]
    network.answers["nat64.test"] = [["64:ff9b::a9fe:a9fe"]]
    network.answers["cgnat.test"] = [["100.64.0.1"]]
    user = factories.make_user(runtime)
    accepted = []
    for url in [*SSRF_TARGETS, "http://mixed.test/", "http://nat64.test/", "http://cgnat.test/"]:
        try:
            _register(runtime, runtime.settings, user, url)
            accepted.append(url)
        except InvalidInput as refused:
            assert "private or loopback address" in refused.message
    assert accepted == []
    assert network.connects == []


def test_non_public_targets_are_refused_at_delivery(runtime, network):
    user = factories.make_user(runtime)
    for url in SSRF_TARGETS:
        delivery_id = _record(runtime, user, url)
        assert _deliver(runtime, runtime.settings, delivery_id, final=False) == "failed"
        view = _view(runtime, delivery_id)
        assert view["status"] == "failed: blocked address", url
        assert view["attempts"] == 1
    assert network.connects == []


def test_ports_credentials_and_schemes(runtime, network):
    user = factories.make_user(runtime)
    for url in (
        f"http://{PUBLIC_V4}:22/hook",
        f"http://{PUBLIC_V4}:0/hook",
        f"http://{PUBLIC_V4}:6379/hook",
        f"https://user:pass@{PUBLIC_V4}/hook",
        f"ftp://{PUBLIC_V4}/hook",
        "file:///etc/passwd",
        f"gopher://{PUBLIC_V4}:70/x",
    ):
        with pytest.raises(InvalidInput):
            _register(runtime, runtime.settings, user, url)
    for url in (f"https://{PUBLIC_V4}/hook", f"https://{PUBLIC_V4}:8443/hook"):
        _register(runtime, runtime.settings, user, url)
    wide = runtime.settings.model_copy(update={"webhook_allowed_ports": "*"})
    _register(runtime, wide, user, f"http://{PUBLIC_V4}:6379/hook")
    assert network.connects == []


def test_the_test_allowance_is_off_by_default_and_refused_in_production():
    assert Settings(_env_file=None).webhook_allow_private_targets is False
    production = {
        "environment": "production",
        "secret_key": secrets.token_urlsafe(32),
        "flower_password": secrets.token_urlsafe(32),
    }
    Settings(_env_file=None, **production)
    with pytest.raises(ValidationError, match="WEBHOOK_ALLOW_PRIVATE_TARGETS"):
        Settings(_env_file=None, webhook_allow_private_targets=True, **production)
    with pytest.raises(ValidationError, match="WEBHOOK_ALLOWED_PORTS"):
        Settings(_env_file=None, webhook_allowed_ports="80,http")


# --- Standard Webhooks


def test_delivery_carries_standard_webhooks_headers_stable_across_retries(
    runtime, network, receivers
):
    receiver = _receiver(receivers, codes=(503,))
    network.answers["hooks.test"] = [["127.0.0.1"]]
    settings = _lab(runtime)
    user = factories.make_user(runtime)
    url = f"http://hooks.test:{receiver.port}/hook"
    secret = _register(runtime, settings, user, url)
    assert secret.startswith("whsec_") and len(base64.b64decode(secret[6:])) == 32
    delivery_id = _record(runtime, user, url)

    with pytest.raises(webhooks.DeliveryFailed):
        _deliver(runtime, settings, delivery_id, final=False)
    assert _view(runtime, delivery_id)["status"] == "retrying: HTTP 5xx"
    assert _deliver(runtime, settings, delivery_id, final=False) == "delivered"

    assert len(receiver.requests) == 2
    (first, first_body), (second, second_body) = receiver.requests
    for headers, body in receiver.requests:
        assert headers["host"] == f"hooks.test:{receiver.port}"
        assert _verify(secret, headers, body)
        assert not _verify(_whsec(), headers, body)
        assert json.loads(body)["event"] == "answer.ready"
        assert abs(int(headers["webhook-timestamp"]) - time.time()) < 60
    assert first["webhook-id"] == second["webhook-id"] != ""
    tampered = dict(second, **{"webhook-timestamp": str(int(second["webhook-timestamp"]) + 1)})
    assert not _verify(secret, tampered, second_body)
    # The former header stays for this release: hex HMAC-SHA256 of the body with the secret.
    legacy = "sha256=" + hmac.new(secret.encode(), first_body, hashlib.sha256).hexdigest()
    assert first[webhooks.SIGNATURE_HEADER.lower()] == legacy
    view = _view(runtime, delivery_id)
    assert (view["status"], view["attempts"], view["error"]) == ("delivered", 2, None)


def test_a_secret_from_before_the_whsec_format_still_verifies_as_its_raw_bytes(
    runtime, network, receivers
):
    receiver = _receiver(receivers)
    network.answers["hooks.test"] = [["127.0.0.1"]]
    user = factories.make_user(runtime)
    old_secret = secrets.token_hex(32)
    delivery_id = _record(
        runtime, user, f"http://hooks.test:{receiver.port}/hook", secret=old_secret
    )
    assert _deliver(runtime, _lab(runtime), delivery_id) == "delivered"
    ((headers, body),) = receiver.requests
    assert _verify(old_secret, headers, body)
    with runtime.session() as session:
        fresh = session.get(User, user.id)
        assert webhooks.rotate_secret(session=session, user=fresh).secret.startswith("whsec_")


# --- TLS to the checked address


def _certificates(tmp_path: Path, name: str) -> tuple[Path, ssl.SSLContext]:
    """A CA file the client trusts and a server context with a certificate for `name`."""
    now = datetime.now(UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "webhook test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .add_extension(
            x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    ca_file = tmp_path / f"ca-{name}.pem"
    ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    chain = tmp_path / f"{name}.pem"
    chain.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        + leaf.public_bytes(serialization.Encoding.PEM)
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(chain)
    return ca_file, context


def test_https_goes_to_the_checked_address_with_the_host_name_for_sni_and_certificate(
    runtime, network, receivers, tmp_path, monkeypatch
):
    network.answers["hooks.test"] = [["127.0.0.1"]]
    user = factories.make_user(runtime)
    ca_file, context = _certificates(tmp_path, "hooks.test")
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))
    good = _receiver(receivers, tls=context)
    delivery_id = _record(runtime, user, f"https://hooks.test:{good.port}/hook")
    assert _deliver(runtime, _lab(runtime), delivery_id) == "delivered"
    assert good.server_names == ["hooks.test"]
    assert good.requests[0][0]["host"] == f"hooks.test:{good.port}"
    assert network.connects == [("127.0.0.1", good.port)]

    other_ca, other_context = _certificates(tmp_path, "other.test")
    monkeypatch.setenv("SSL_CERT_FILE", str(other_ca))
    wrong = _receiver(receivers, tls=other_context)
    delivery_id = _record(runtime, user, f"https://hooks.test:{wrong.port}/hook")
    assert _deliver(runtime, _lab(runtime), delivery_id) == "failed"
    assert wrong.requests == []
    assert _view(runtime, delivery_id)["status"] == "failed: TLS error"


# --- what users see


def test_users_see_outcome_categories_not_ports_or_raw_errors(runtime, network, receivers, client):
    network.answers["hooks.test"] = [["127.0.0.1"]]
    user = factories.make_user(runtime)
    held, closed = _closed_port()
    try:
        failing = _receiver(receivers, codes=(502,))
        slow = _receiver(receivers, delay=3.0)
        inner = _receiver(receivers)
        moving = _receiver(receivers, codes=(302,), location=f"http://127.0.0.1:{inner.port}/")
        expected = {
            closed: "failed: refused",
            failing.port: "failed: HTTP 5xx",
            slow.port: "failed: timeout",
            moving.port: "failed: HTTP 3xx",
        }
        settings = _lab(runtime, webhook_timeout_seconds=1.0)
        for port, status in expected.items():
            delivery_id = _record(runtime, user, f"http://hooks.test:{port}/hook")
            assert _deliver(runtime, settings, delivery_id) == "failed"
            view = _view(runtime, delivery_id)
            assert view["status"] == status
            assert view["error"] == status.removeprefix("failed: ")
            assert view["response_code"] is None
            shown = f"{view['status']} {view['error']}"
            assert str(port) not in shown and "Errno" not in shown and "Error" not in shown
        assert inner.requests == []  # redirects are not followed

        listed = client.get("/qa/webhook/deliveries", headers=_auth(runtime, user)).json()
        assert sorted(d["status"] for d in listed) == sorted(expected.values())
        for item in listed:
            assert item["response_code"] is None
            assert not any(str(port) in str(item["error"]) for port in expected)
    finally:
        held.close()
