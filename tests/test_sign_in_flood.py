"""Sign-in under attack: parallel guesses, guessing clients, a flooded account, admin unlock.

Through the real API (FastAPI's TestClient, each with its own client address) on real Redis
and PostgreSQL; argon2's verify is metered to count the hashes and how many ran at once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy import select

from backend.accounts import admin_users, users
from backend.accounts.login_throttle import throttled_authenticate
from backend.api.app import create_app
from backend.errors import AuthenticationFailed, PermissionDenied, RateLimited
from backend.models import AuditEntry, User
from backend.runtime import Runtime, build_runtime
from tests import factories
from tests.admin_support import open_admin_page
from tests.test_api import auth
from tests.test_dashboard_support import button, messages

PARALLEL = 40
ATTACKER = "203.0.113.5"
OWNER = "198.51.100.7"
WAIT = "Too many failed sign-ins; try again in"


class HashMeter:
    """Counts argon2 verifications and the most that ran at the same time."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.calls = 0
        self.running = 0
        self.peak = 0

    def wrap(self, verify: Callable[..., Any]) -> Callable[..., Any]:
        def metered(hasher: PasswordHasher, *args: Any, **kwargs: Any) -> Any:
            with self._lock:
                self.calls += 1
                self.running += 1
                self.peak = max(self.peak, self.running)
            try:
                time.sleep(0.05)  # hold the slot a little, so overlapping hashes show
                return verify(hasher, *args, **kwargs)
            finally:
                with self._lock:
                    self.running -= 1

        return metered


@pytest.fixture
def meter(monkeypatch) -> HashMeter:
    hashes = HashMeter()
    monkeypatch.setattr(PasswordHasher, "verify", hashes.wrap(PasswordHasher.verify))
    return hashes


@pytest.fixture
def api(runtime: Runtime, settings) -> Iterator[Callable[..., TestClient]]:
    """Clients of the API as seen from an address, on settings changed as asked."""
    opened: list[Any] = []
    apps: dict[tuple[tuple[str, Any], ...], Any] = {}

    def make(address: str = ATTACKER, **changes: Any) -> TestClient:
        key = tuple(sorted(changes.items()))
        if key not in apps:
            rt = build_runtime(settings.model_copy(update=changes))
            opened.append(rt)
            apps[key] = create_app(rt)
        client = TestClient(apps[key], client=(address, 50000))
        client.__enter__()
        opened.append(client)
        return client

    yield make
    for thing in reversed(opened):
        if isinstance(thing, TestClient):
            thing.__exit__(None, None, None)
        else:
            thing.close()


def sign_in(client: TestClient, email: str, password: str = factories.PASSWORD) -> httpx.Response:
    return client.post("/auth/token", data={"username": email, "password": password})


def all_at_once(calls: list[Callable[[], Any]]) -> list[Any]:
    """Run the calls in threads released together."""
    start = threading.Barrier(len(calls))

    def run(call: Callable[[], Any]) -> Any:
        start.wait()
        return call()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


# --- parallel guesses


def test_parallel_wrong_sign_ins_are_refused_before_hashing(runtime, api, meter):
    free = runtime.settings.sign_in_free_attempts
    user = factories.make_user(runtime)
    client = api()

    replies = all_at_once([lambda: sign_in(client, user.email, "guess")] * PARALLEL)

    codes = [r.status_code for r in replies]
    assert codes.count(401) == free and codes.count(429) == PARALLEL - free, codes
    assert meter.calls == free  # the refused ones were never hashed
    assert meter.peak <= runtime.settings.sign_in_hash_slots
    refused = [r for r in replies if r.status_code == 429]
    assert all(r.json()["detail"].startswith(WAIT) for r in refused)
    assert all(int(r.headers["Retry-After"]) >= 1 for r in refused)


def test_parallel_sign_ins_hash_a_few_at_a_time(runtime, api, meter):
    client = api(sign_in_hash_wait_seconds=300.0)  # a busy test machine: wait, never refuse
    emails = [f"nobody{i}@example.com" for i in range(PARALLEL)]

    replies = all_at_once([lambda e=e: sign_in(client, e, "guess") for e in emails])

    assert [r.status_code for r in replies] == [401] * PARALLEL  # nobody had failed yet
    assert meter.calls == PARALLEL
    assert 1 <= meter.peak <= runtime.settings.sign_in_hash_slots


def test_parallel_guesses_through_the_service_are_counted_before_checking(runtime, meter):
    """The dashboard calls the service directly; the count is just as atomic there."""
    user = factories.make_user(runtime)

    def guess() -> str:
        with runtime.session() as session:
            try:
                throttled_authenticate(
                    session=session,
                    redis=runtime.redis,
                    settings=runtime.settings,
                    email=user.email,
                    password="guess",
                    client="",
                )
            except (AuthenticationFailed, RateLimited) as error:
                return type(error).__name__
        return "signed in"

    outcomes = all_at_once([guess] * PARALLEL)

    free = runtime.settings.sign_in_free_attempts
    assert outcomes.count("AuthenticationFailed") == free
    assert outcomes.count("RateLimited") == PARALLEL - free
    assert meter.calls == free


# --- the owner is not locked out


def test_the_owner_signs_in_at_once_after_an_attackers_failures(runtime, api):
    user = factories.make_user(runtime)
    attacker, owner = api(ATTACKER), api(OWNER)
    codes = [sign_in(attacker, user.email, f"guess {i}").status_code for i in range(30)]
    assert 401 in codes and codes[-1] == 429

    started = time.monotonic()
    reply = sign_in(owner, user.email)

    assert reply.status_code == 200, reply.json()
    assert time.monotonic() - started < 10  # one hash, no waiting
    assert sign_in(attacker, user.email).status_code == 429  # the attacker still waits


def test_failures_from_an_address_do_not_lock_other_accounts_behind_it(runtime, api):
    victim = factories.make_user(runtime)
    colleague = factories.make_user(runtime)
    shared = api("192.0.2.10")  # one address for a whole office
    for i in range(runtime.settings.sign_in_client_failures + 5):
        assert sign_in(shared, f"nobody{i}@example.com", "guess").status_code == 401
    for _ in range(10):
        sign_in(shared, victim.email, "guess")
    assert sign_in(shared, victim.email).status_code == 429

    reply = sign_in(shared, colleague.email)

    assert reply.status_code == 200, reply.json()


def test_back_off_grows_for_the_pair_and_resets_after_a_success(runtime, api):
    user = factories.make_user(runtime)
    client = api(sign_in_free_attempts=2)
    other_client = api(OWNER, sign_in_free_attempts=2)
    for _ in range(2):
        assert sign_in(client, user.email, "guess").status_code == 401

    waits = []
    for _ in range(3):
        refused = sign_in(client, user.email, "guess")
        assert refused.status_code == 429
        waits.append(int(refused.headers["Retry-After"]))
        time.sleep(waits[-1] + 0.05)
        assert sign_in(client, user.email, "guess").status_code == 401
    assert waits == [1, 2, 4]
    assert sign_in(other_client, user.email, "guess").status_code == 401  # its own pair

    refused = sign_in(client, user.email)
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "8"
    assert "try again in 8 seconds" in refused.json()["detail"]

    with runtime.redis.pipeline() as pipe:  # the 8 seconds pass
        for key in runtime.redis.scan_iter("qa:login:pair:*"):
            pipe.hset(key, "until", 0)
        pipe.execute()
    assert sign_in(client, user.email).status_code == 200
    for _ in range(2):  # the free attempts are back
        assert sign_in(client, user.email, "guess").status_code == 401
    assert sign_in(client, user.email, "guess").headers["Retry-After"] == "1"


def test_a_flooded_account_slows_new_clients_but_never_locks_them(runtime, api):
    user = factories.make_user(runtime)
    flood = {"sign_in_account_flood_failures": 10, "sign_in_flood_delay_seconds": 1}
    for i in range(10):
        bot = api(f"203.0.113.{100 + i}", **flood)
        assert sign_in(bot, user.email, "guess").status_code == 401

    owner = api(OWNER, **flood)
    deferred = sign_in(owner, user.email)
    assert deferred.status_code == 429 and deferred.headers["Retry-After"] == "1"
    time.sleep(1.05)
    assert sign_in(owner, user.email).status_code == 200

    # Every bot now has one free attempt, then waits.
    late_bot = api("203.0.113.200", **flood)
    sign_in(late_bot, user.email, "guess")
    time.sleep(1.05)
    assert sign_in(late_bot, user.email, "guess").status_code == 401
    assert sign_in(late_bot, user.email, "guess").status_code == 429


# --- administration


def test_admin_unlock_clears_the_wait_and_non_admins_are_refused(runtime, api):
    user = factories.make_user(runtime)
    admin = factories.make_user(runtime, role="admin")
    other = factories.make_user(runtime)
    attacker = api()
    for _ in range(runtime.settings.sign_in_free_attempts + 1):
        sign_in(attacker, user.email, "guess")
    assert sign_in(attacker, user.email).status_code == 429
    url = f"/qa/admin/users/{user.id}/unlock-sign-in"

    refused = attacker.post(url, headers=auth(runtime, other))
    assert refused.status_code == 403
    assert refused.json() == {"detail": "Only administrators can do this."}
    assert sign_in(attacker, user.email).status_code == 429
    with runtime.session() as session, pytest.raises(PermissionDenied):
        admin_users.unlock_sign_in(
            session=session,
            redis=runtime.redis,
            user=session.get(User, other.id),
            user_id=user.id,
        )

    unlocked = attacker.post(url, headers=auth(runtime, admin))
    assert unlocked.status_code == 200 and unlocked.json()["email"] == user.email
    assert sign_in(attacker, user.email).status_code == 200
    with runtime.session() as session:
        entry = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "unlock_sign_in")
        ).one()
    assert (entry.actor_email, entry.target) == (admin.email, user.email)
    assert entry.detail == "Sign-in back-off cleared for 1 client."


def test_the_user_detail_page_unlocks_sign_in(runtime, api):
    user = factories.make_user(runtime)
    admin = factories.make_user(runtime, role="admin")
    attacker = api()
    for _ in range(runtime.settings.sign_in_free_attempts + 1):
        sign_in(attacker, user.email, "guess")
    assert sign_in(attacker, user.email).status_code == 429

    at = open_admin_page(admin, "user")
    at.query_params["user"] = str(user.id)
    at.run()
    button(at, "Unlock sign-in").click().run()

    assert not at.exception, [e.value for e in at.exception]
    assert (
        f"{user.email} can sign in at once again; the sign-in waits of 1 client were cleared."
        in messages(at, "success")
    )
    assert sign_in(attacker, user.email).status_code == 200


# --- hash parameters


def test_hash_parameters_come_from_settings_and_old_hashes_are_rehashed(runtime, settings):
    user = factories.make_user(runtime)
    assert "m=65536,t=3,p=4" in user.password_hash  # the defaults: the hashes made so far
    lighter = settings.model_copy(
        update={"password_hash_memory_kib": 19456, "password_hash_time_cost": 2}
    )

    with runtime.session() as session:
        signed_in = throttled_authenticate(
            session=session,
            redis=runtime.redis,
            settings=lighter,
            email=user.email,
            password=factories.PASSWORD,
        )
        assert "m=19456,t=2,p=4" in signed_in.password_hash
        assert users.hash_password("another password", lighter).count("m=19456,t=2") == 1
    with runtime.session() as session:
        again = throttled_authenticate(
            session=session,
            redis=runtime.redis,
            settings=settings,
            email=user.email,
            password=factories.PASSWORD,
        )
        assert "m=65536,t=3,p=4" in again.password_hash
