"""Per-user rate limits: sliding windows kept in Redis and checked atomically by a Lua script,
so every API, dashboard and worker process shares the same count and a restart loses none."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass

import redis as redis_lib

from backend.accounts.login_throttle import wait_sentence
from backend.config import Settings
from backend.errors import RateLimited
from backend.models import Role, User

log = logging.getLogger(__name__)
KEY_PREFIX = "qa:rate"

# KEYS[1]: the user's window (a sorted set of request ids scored by time in ms).
# ARGV: limit, window in ms, request id. Redis's clock is the one clock every process shares.
# Returns {1, 0} when admitted (and counted), {0, ms to wait} when refused.
SLIDING_WINDOW = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local used = redis.call('ZCARD', KEYS[1])
if used < limit then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], window)
  return {1, 0}
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
local wait = window
if oldest[2] then wait = tonumber(oldest[2]) + window - now end
return {0, wait}
"""

ACTIONS = {"question": "questions", "upload": "uploads"}


@dataclass(frozen=True)
class Admission:
    """A counted request; `release` gives it back when nothing was queued after all."""

    key: str
    member: str


class RateLimiter:
    """The hourly limits of the settings, per role (admins are never limited)."""

    def __init__(self, *, redis: redis_lib.Redis, settings: Settings) -> None:
        self.redis = redis
        self.settings = settings
        self._script = redis.register_script(SLIDING_WINDOW)

    def limit_for(self, user: User, action: str) -> int | None:
        """How many of `action` the user may do per window; None means unlimited."""
        if user.is_admin:
            return None
        s = self.settings
        premium = user.role == Role.PREMIUM.value
        if action == "question":
            return s.premium_max_queries_per_hour if premium else s.max_queries_per_hour
        if action == "upload":
            return s.premium_max_uploads_per_hour if premium else s.max_uploads_per_hour
        raise ValueError(f"unknown rate-limited action {action!r}")

    def admit(self, user: User, action: str) -> Admission | None:
        """Count one `action` for the user, or raise RateLimited saying how long to wait."""
        limit = self.limit_for(user, action)
        if not self.settings.rate_limit_enabled or limit is None:
            return None
        window_ms = self.settings.rate_limit_window_seconds * 1000
        key = f"{KEY_PREFIX}:{action}:{user.id}"
        member = uuid.uuid4().hex
        try:
            admitted, wait_ms = self._script(keys=[key], args=[limit, window_ms, member])
        except redis_lib.RedisError:
            # Refusing everyone while Redis is away would stop the service for all users.
            log.warning("rate limits: Redis is not answering; %s not limited", action)
            return None
        if int(admitted):
            return Admission(key=key, member=member)
        wait = max(1, -(-int(wait_ms) // 1000))
        raise RateLimited(
            f"You have reached your limit of {limit} {ACTIONS[action]} per "
            f"{_window_text(self.settings.rate_limit_window_seconds)}; "
            f"try again in {wait_sentence(wait)}.",
            retry_after=wait,
        )

    def release(self, admission: Admission | None) -> None:
        """Give back a counted request (its task could not be queued)."""
        if admission is None:
            return
        try:
            self.redis.zrem(admission.key, admission.member)
        except redis_lib.RedisError:
            log.warning("rate limits: could not give back a refused request")

    def usage(self, user: User, action: str) -> tuple[int, int | None]:
        """(used in the current window, limit) for pages that show the remaining allowance."""
        limit = self.limit_for(user, action)
        key = f"{KEY_PREFIX}:{action}:{user.id}"
        window_ms = self.settings.rate_limit_window_seconds * 1000
        try:
            now_s, now_us = self.redis.time()
            now = now_s * 1000 + now_us // 1000
            used = int(self.redis.zcount(key, now - window_ms, "+inf"))
        except redis_lib.RedisError:
            used = 0
        return used, limit

    def forget(self, user_id: int) -> None:
        """Drop a user's counters (the user was deleted)."""
        try:
            self.redis.delete(*(f"{KEY_PREFIX}:{a}:{user_id}" for a in ACTIONS))
        except redis_lib.RedisError:
            log.warning("rate limits: could not drop the counters of user %s", user_id)


def _window_text(seconds: int) -> str:
    if seconds == 3600:
        return "hour"
    return wait_sentence(seconds)


def document_limit(settings: Settings, user: User) -> int | None:
    """How many documents the user may keep; None means unlimited (admins)."""
    if user.is_admin:
        return None
    if user.role == Role.PREMIUM.value:
        return settings.premium_max_documents_per_user
    return settings.max_documents_per_user
