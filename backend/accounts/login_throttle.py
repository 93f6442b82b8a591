"""Sign-in throttling that slows guessing down without locking the real user out.

Each attempt is reserved in Redis before its password is hashed: one Lua script checks the
limits and counts the attempt at once, so parallel guesses cannot all pass the same check.

- Each (account, client address) pair has a few free attempts, then waits 1 s, 2 s, 4 s, ...
  up to a cap before each next one; a correct password resets the pair.
- An address with many recent failures (at any accounts) gets one free attempt per account
  instead of several; a pair that has not failed is never refused.
- An account with very many recent failures from everywhere makes each new pair wait a few
  seconds before its first attempt: slowed, never locked.
- At most `sign_in_hash_slots` argon2 hashes run at once in a process, so a flood of
  sign-ins cannot exhaust memory; a sign-in that waits too long for one gets a 429.

The counters live in Redis, so every API and dashboard process shares them; an admin clears
an account's with `unlock` (through `admin_users.unlock_sign_in`).
"""

from __future__ import annotations

import hashlib
import logging
import math
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import redis as redis_lib
from sqlalchemy.orm import Session

from backend.accounts.users import authenticate
from backend.config import Settings
from backend.errors import AuthenticationFailed, RateLimited
from backend.models import User

log = logging.getLogger(__name__)

KEY_PREFIX = "qa:login"
BUSY = "Too many sign-ins at once; try again in a few seconds."
BUSY_RETRY_AFTER = 2

# KEYS: the pair's hash, the account's set of pairs, the account's and (when known) the
# client's failure counts. ARGV: free attempts, first wait (ms), longest wait (ms), window (s),
# client failure limit, account flood limit, flood wait (ms).
# Returns {1, tries, previous wait-until, wait (ms)} when the attempt may go ahead (it is
# counted as a failure until a success gives it back), {0, ms to wait} when it must wait.
_RESERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window = tonumber(ARGV[4])
local keep = window + math.ceil(tonumber(ARGV[3]) / 1000)
local wait_until = tonumber(redis.call('HGET', KEYS[1], 'until') or '0')
if now < wait_until then
  return {0, wait_until - now}
end
local tries = tonumber(redis.call('HGET', KEYS[1], 'tries') or '0')
local free = tonumber(ARGV[1])
if tonumber(redis.call('GET', KEYS[3]) or '0') >= tonumber(ARGV[6]) then
  free = 1
  if tries == 0 and redis.call('HEXISTS', KEYS[1], 'deferred') == 0 then
    local delay = tonumber(ARGV[7])
    redis.call('HSET', KEYS[1], 'deferred', 1, 'until', now + delay)
    redis.call('EXPIRE', KEYS[1], window + math.ceil(delay / 1000))
    redis.call('SADD', KEYS[2], KEYS[1])
    redis.call('EXPIRE', KEYS[2], keep)
    return {0, delay}
  end
elseif #KEYS >= 4 and tonumber(redis.call('GET', KEYS[4]) or '0') >= tonumber(ARGV[5]) then
  free = 1
end
tries = tries + 1
local delay = 0
if tries >= free then
  delay = math.floor(math.min(tonumber(ARGV[2]) * 2 ^ (tries - free), tonumber(ARGV[3])))
end
redis.call('HSET', KEYS[1], 'tries', tries, 'until', now + delay)
redis.call('EXPIRE', KEYS[1], window + math.ceil(delay / 1000))
redis.call('SADD', KEYS[2], KEYS[1])
redis.call('EXPIRE', KEYS[2], keep)
for i = 3, #KEYS do
  if redis.call('INCR', KEYS[i]) == 1 then
    redis.call('EXPIRE', KEYS[i], window)
  end
end
return {1, tries, wait_until, delay}
"""

# A wrong password: the pair's wait runs from now, when the client hears of it, rather than
# from when the attempt was reserved. ARGV: tries, wait (ms).
_FAILED = """
if tonumber(redis.call('HGET', KEYS[1], 'tries') or '0') == tonumber(ARGV[1]) then
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  local wait_until = now + tonumber(ARGV[2])
  if wait_until > tonumber(redis.call('HGET', KEYS[1], 'until') or '0') then
    redis.call('HSET', KEYS[1], 'until', wait_until)
  end
end
return 1
"""

# A success: the pair starts afresh and the attempt no longer counts as a failure.
_SUCCEEDED = """
redis.call('DEL', KEYS[1])
redis.call('SREM', KEYS[2], KEYS[1])
for i = 3, #KEYS do
  if tonumber(redis.call('GET', KEYS[i]) or '0') > 0 then
    redis.call('DECR', KEYS[i])
  end
end
return 1
"""

# An attempt that was never checked (no hashing slot came free): the reservation is undone,
# unless a later attempt of the pair has been reserved since. ARGV: tries, previous until.
_UNDO = """
if tonumber(redis.call('HGET', KEYS[1], 'tries') or '0') == tonumber(ARGV[1]) then
  redis.call('HSET', KEYS[1], 'tries', tonumber(ARGV[1]) - 1, 'until', ARGV[2])
end
for i = 3, #KEYS do
  if tonumber(redis.call('GET', KEYS[i]) or '0') > 0 then
    redis.call('DECR', KEYS[i])
  end
end
return 1
"""

# KEYS: the account's set of pairs and its failure count. Returns how many pairs were waiting.
_UNLOCK = """
local pairs = redis.call('SMEMBERS', KEYS[1])
for _, key in ipairs(pairs) do
  redis.call('DEL', key)
end
redis.call('DEL', KEYS[1], KEYS[2])
return #pairs
"""


@dataclass(frozen=True)
class _Keys:
    pair: str
    pairs: str
    account: str
    client: str | None

    def all(self) -> list[str]:
        keys = [self.pair, self.pairs, self.account]
        return keys + [self.client] if self.client else keys


@dataclass(frozen=True)
class _Reservation:
    tries: int
    previous_until: int
    wait_ms: int


def throttled_authenticate(
    *,
    session: Session,
    redis: redis_lib.Redis,
    settings: Settings,
    email: str,
    password: str,
    client: str = "",
) -> User:
    """Authenticate unless this account and client must wait; every attempt counts as a
    failure until it succeeds, and the password is hashed only in a free slot."""
    keys = _keys(email, client)
    reservation = _reserve(redis, keys, settings)
    try:
        with hashing_slot(settings):
            user = authenticate(session=session, email=email, password=password, settings=settings)
    except AuthenticationFailed:
        if reservation is not None and reservation.wait_ms:
            _run(redis, _FAILED, keys, reservation.tries, reservation.wait_ms)
        raise
    except BaseException:
        # No slot came free, or the database failed: the attempt proved nothing.
        if reservation is not None:
            _run(redis, _UNDO, keys, reservation.tries, reservation.previous_until)
        raise
    if reservation is not None:
        _run(redis, _SUCCEEDED, keys)
    return user


def unlock(redis: redis_lib.Redis, email: str) -> int:
    """Forget the account's failures and back-offs from every client; returns how many clients
    had failed at it. Raises redis.RedisError when Redis is not answering."""
    keys = _keys(email, "")
    return int(redis.eval(_UNLOCK, 2, keys.pairs, keys.account))


def _account(email: str) -> str:
    return _digest((email or "").strip().lower())


def _keys(email: str, client: str) -> _Keys:
    account = _account(email)
    pair = f"{KEY_PREFIX}:pair:{account}:{_digest(client)}"
    return _Keys(
        pair=pair,
        pairs=f"{KEY_PREFIX}:pairs:{account}",
        account=f"{KEY_PREFIX}:account:{account}",
        client=f"{KEY_PREFIX}:client:{_digest(client)}" if client else None,
    )


def _digest(value: str) -> str:
    # Hashed, so odd characters in a typed email never reach a Redis key.
    return hashlib.sha256(value.encode("utf-8", "replace")).hexdigest()[:32]


def _reserve(redis: redis_lib.Redis, keys: _Keys, settings: Settings) -> _Reservation | None:
    """Count the attempt, or raise RateLimited with the wait; None when Redis cannot be asked."""
    try:
        reply = redis.eval(
            _RESERVE,
            len(keys.all()),
            *keys.all(),
            max(settings.sign_in_free_attempts, 1),
            max(int(settings.sign_in_backoff_seconds * 1000), 1),
            max(settings.sign_in_backoff_max_seconds, 1) * 1000,
            max(settings.sign_in_window_seconds, 1),
            max(settings.sign_in_client_failures, 1),
            max(settings.sign_in_account_flood_failures, 1),
            max(settings.sign_in_flood_delay_seconds, 1) * 1000,
        )
    except redis_lib.RedisError:
        # Without Redis nothing can be counted; the hashing slots and argon2's cost still
        # slow guessing down, and refusing every sign-in would lock everyone out for as long
        # as Redis is away.
        log.warning("login throttle: Redis is not answering; sign-ins are not throttled")
        return None
    if int(reply[0]) == 0:
        wait = max(math.ceil(int(reply[1]) / 1000), 1)
        raise RateLimited(
            f"Too many failed sign-ins; try again in {wait_sentence(wait)}.", retry_after=wait
        )
    return _Reservation(tries=int(reply[1]), previous_until=int(reply[2]), wait_ms=int(reply[3]))


def _run(redis: redis_lib.Redis, script: str, keys: _Keys, *args: int) -> None:
    try:
        redis.eval(script, len(keys.all()), *keys.all(), *args)
    except redis_lib.RedisError:
        log.warning("login throttle: could not update the sign-in counts")


_slots_lock = threading.Lock()
_slots: dict[int, threading.BoundedSemaphore] = {}


def _hash_slots(size: int) -> threading.BoundedSemaphore:
    """This process's hashing slots (one set per size, so a settings change takes effect)."""
    with _slots_lock:
        return _slots.setdefault(max(size, 1), threading.BoundedSemaphore(max(size, 1)))


@contextmanager
def hashing_slot(settings: Settings) -> Iterator[None]:
    """Hold one of the process's hashing slots, or raise RateLimited when none comes free."""
    slots = _hash_slots(settings.sign_in_hash_slots)
    if not slots.acquire(timeout=max(settings.sign_in_hash_wait_seconds, 0.0)):
        raise RateLimited(BUSY, retry_after=BUSY_RETRY_AFTER)
    try:
        yield
    finally:
        slots.release()


def wait_sentence(seconds: int) -> str:
    """'45 seconds', '1 minute', '15 minutes'."""
    if seconds < 60:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = -(-seconds // 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}"
