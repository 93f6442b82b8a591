"""Sign-in throttling: repeated failures lock an email, and a client, out for a while.

Counters live in Redis (fixed windows), so every API and dashboard process shares them.
"""

from __future__ import annotations

import hashlib
import logging

import redis as redis_lib
from sqlalchemy.orm import Session

from backend.accounts.users import authenticate
from backend.errors import AuthenticationFailed, RateLimited
from backend.models import User

log = logging.getLogger(__name__)

MAX_FAILURES_PER_EMAIL = 5
MAX_FAILURES_PER_CLIENT = 20
WINDOW_SECONDS = 15 * 60
KEY_PREFIX = "qa:login:failures"


def throttled_authenticate(
    *, session: Session, redis: redis_lib.Redis, email: str, password: str, client: str = ""
) -> User:
    """Authenticate unless this email or client failed too often lately; failures count."""
    limits = _limits(email, client)
    counting = _refuse_if_locked(redis, limits)
    try:
        user = authenticate(session=session, email=email, password=password)
    except AuthenticationFailed:
        if counting:
            _count_failure(redis, limits)
        raise
    if counting:
        _forget(redis, limits[0][0])
    return user


def _limits(email: str, client: str) -> list[tuple[str, int]]:
    """(Redis key, allowed failures) for the email and, when known, the client."""
    limits = [(_key("email", (email or "").strip().lower()), MAX_FAILURES_PER_EMAIL)]
    if client:
        limits.append((_key("client", client), MAX_FAILURES_PER_CLIENT))
    return limits


def _key(scope: str, value: str) -> str:
    # Hashed, so odd characters in a typed email never reach a Redis key.
    digest = hashlib.sha256(value.encode("utf-8", "replace")).hexdigest()[:32]
    return f"{KEY_PREFIX}:{scope}:{digest}"


def _refuse_if_locked(redis: redis_lib.Redis, limits: list[tuple[str, int]]) -> bool:
    """Raise RateLimited when a limit is reached; False when Redis cannot be asked."""
    try:
        with redis.pipeline() as pipe:
            for key, _ in limits:
                pipe.get(key)
                pipe.ttl(key)
            replies = pipe.execute()
    except redis_lib.RedisError:
        # Without Redis nothing can be counted; argon2's cost still slows guessing down, and
        # refusing every sign-in would lock everyone out for as long as Redis is away.
        log.warning("login throttle: Redis is not answering; sign-ins are not throttled")
        return False
    waits = [
        max(int(ttl), 1)
        for (_, allowed), count, ttl in zip(limits, replies[::2], replies[1::2], strict=True)
        if count is not None and int(count) >= allowed
    ]
    if waits:
        wait = max(waits)
        raise RateLimited(
            f"Too many failed sign-ins; try again in {wait_sentence(wait)}.", retry_after=wait
        )
    return True


def _count_failure(redis: redis_lib.Redis, limits: list[tuple[str, int]]) -> None:
    try:
        with redis.pipeline() as pipe:
            for key, _ in limits:
                # Start the window on the first failure only (EXPIRE NX needs Redis 7).
                pipe.set(key, 0, ex=WINDOW_SECONDS, nx=True)
                pipe.incr(key)
            pipe.execute()
    except redis_lib.RedisError:
        log.warning("login throttle: could not count a failed sign-in")


def _forget(redis: redis_lib.Redis, key: str) -> None:
    try:
        redis.delete(key)
    except redis_lib.RedisError:
        log.warning("login throttle: could not reset the failure count")


def wait_sentence(seconds: int) -> str:
    """'45 seconds', '1 minute', '15 minutes'."""
    if seconds < 60:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = -(-seconds // 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}"
