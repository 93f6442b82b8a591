"""Dashboard sign-ins that outlive a page load: an expiring token of kind "dashboard", held by
the browser in an HTTP-only cookie and checked here on every new page load.

The token never reaches the page's scripts. The dashboard script that signs a browser in
stores the token in Redis under a random one-time ticket (sealed with the ticket, for
TICKET_SECONDS), the page posts the ticket to the dashboard server, and the server answers
with the cookie. Signing out revokes the token; a password change or reset and deactivation
end it like every other sign-in of the account (`users.end_sign_ins`).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import timedelta

import redis as redis_lib
from sqlalchemy.orm import Session

from backend.accounts import tokens
from backend.config import Settings
from backend.errors import AuthenticationFailed
from backend.models import ApiToken, User, utcnow

KIND = "dashboard"
COOKIE_NAME = "qa_session"
TICKET_SECONDS = 60
TICKET_PREFIX = "qa:dashboard-ticket:"
_TICKET = re.compile(r"[A-Za-z0-9_-]{43}")  # secrets.token_urlsafe(32)

UNKNOWN = "Your sign-in is not valid any more; sign in again."
ENDED = {
    "ended": "Your password was changed or reset, or your account was deactivated, so you "
    "have been signed out; sign in again.",
    "revoked": "You signed out of this browser; sign in again.",
    "expired": "Your sign-in has expired; sign in again.",
    "deactivated": "Your account is no longer active, so you have been signed out.",
}


def session_lifetime(settings: Settings) -> timedelta:
    """How long a dashboard sign-in lasts (DASHBOARD_SESSION_HOURS)."""
    return timedelta(hours=settings.dashboard_session_hours)


def start_session(*, session: Session, settings: Settings, user: User) -> tokens.IssuedToken:
    """A new dashboard session for a user who just signed in; the token is in the result only."""
    return tokens.create_token(
        session=session,
        user=user,
        name="dashboard sign-in",
        expires_in=session_lifetime(settings),
        kind=KIND,
    )


def resume_session(*, session: Session, token: str) -> tuple[ApiToken, User]:
    """The live dashboard session a cookie holds, and its active user; anything else (an
    unknown, revoked, expired or ended session, a token of another kind) is refused with a
    sentence."""
    found = tokens.find_token(session=session, token=token, kinds=(KIND,))
    if found is None:
        raise AuthenticationFailed(UNKNOWN)
    record, user = found
    reason = tokens.refusal(record, user)
    if reason is not None:
        raise AuthenticationFailed(ENDED[reason])
    tokens.note_use(record)
    return record, user


def session_is_live(*, session: Session, token_id: int) -> bool:
    """Whether the dashboard session with this id still signs its browser in."""
    record = session.get(ApiToken, token_id)
    if record is None or record.kind != KIND:
        return False
    user = session.get(User, record.user_id)
    return user is not None and tokens.refusal(record, user) is None


def end_session(*, session: Session, token_id: int) -> None:
    """Sign a browser out: its dashboard session is revoked (an unknown one is ignored)."""
    record = session.get(ApiToken, token_id)
    if record is not None and record.kind == KIND and record.revoked_at is None:
        record.revoked_at = utcnow()
        session.flush()


def end_presented_session(*, session: Session, token: str) -> None:
    """Revoke the dashboard session whose token a browser sent (its cookie's)."""
    found = tokens.find_token(session=session, token=token, kinds=(KIND,))
    if found is not None:
        end_session(session=session, token_id=found[0].id)


def issue_ticket(*, redis: redis_lib.Redis, token: str) -> str:
    """A one-time ticket the page trades for the token's cookie within TICKET_SECONDS.
    Raises redis.RedisError when Redis is down (the sign-in then lasts as long as the tab)."""
    ticket = secrets.token_urlsafe(32)
    redis.set(_ticket_key(ticket), _seal(token.encode("ascii"), ticket), ex=TICKET_SECONDS)
    return ticket


def redeem_ticket(*, redis: redis_lib.Redis, ticket: str) -> str | None:
    """The token a ticket was issued for, once; None for an unknown, used or expired ticket."""
    if not _TICKET.fullmatch(ticket):
        return None
    sealed = redis.getdel(_ticket_key(ticket))
    if not isinstance(sealed, bytes):
        return None
    return _seal(sealed, ticket).decode("ascii", errors="replace")


def _ticket_key(ticket: str) -> str:
    return TICKET_PREFIX + hashlib.sha256(ticket.encode("ascii")).hexdigest()


def _seal(data: bytes, ticket: str) -> bytes:
    # XOR with a keystream derived from the ticket (sealing and unsealing are the same): what
    # Redis holds is no token without the ticket, which only the page and its owner see.
    stream = hashlib.shake_256(b"qa-dashboard-ticket:" + ticket.encode("ascii")).digest(len(data))
    return bytes(a ^ b for a, b in zip(data, stream, strict=True))
