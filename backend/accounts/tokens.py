"""Bearer tokens: stored as HMAC-SHA256 hashes keyed with SECRET_KEY, the plaintext shown once
when issued. Without the key a copy of the database cannot even test a guessed token;
changing SECRET_KEY ends every token."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from backend.accounts.users import require_active
from backend.config import get_settings
from backend.errors import AuthenticationFailed, InvalidInput, NotFound
from backend.models import ApiToken, User, utcnow

TOKEN_PREFIX = "qa_"
# "api": made by a user for programs; "session": the REST API's sign-in; "dashboard": a
# browser's dashboard session (held in an HTTP-only cookie, never accepted as a bearer token).
KINDS = ("api", "session", "dashboard")
BEARER_KINDS = ("api", "session")
MAX_NAME_CHARS = 100
MAX_API_TOKENS = 50
# last_used_at is a hint for people, not an audit log: writing it on every request would
# turn each read into a write.
LAST_USED_RESOLUTION = timedelta(minutes=5)
INVALID = "This token is not valid; sign in again or create a new API token."


@dataclass(frozen=True)
class IssuedToken:
    token: str
    record: ApiToken


def hash_token(token: str) -> str:
    """The stored form of a token: HMAC-SHA256 keyed with SECRET_KEY."""
    key = get_settings().secret_key.encode("utf-8")
    return hmac.new(key, token.encode("utf-8"), hashlib.sha256).hexdigest()


def _unkeyed_hash(token: str) -> str:
    """How tokens issued before keyed hashing were stored (still accepted, then re-keyed)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _find(session: Session, token: str) -> tuple[ApiToken, User] | None:
    keyed = hash_token(token)
    for stored in (keyed, _unkeyed_hash(token)):
        row = session.execute(
            select(ApiToken, User)
            .join(User, User.id == ApiToken.user_id)
            .where(ApiToken.token_hash == stored)
        ).first()
        if row is not None:
            record, user = row
            if stored != keyed:
                record.token_hash = keyed
            return record, user
    return None


def create_token(
    *,
    session: Session,
    user: User,
    name: str,
    expires_in: timedelta | None = None,
    kind: str = "api",
) -> IssuedToken:
    """Issue a token for the user; the plaintext is in the result and nowhere else."""
    require_active(user)
    name = " ".join((name or "").split())
    if not name:
        raise InvalidInput("Give the token a name, so you can recognise it later.")
    if len(name) > MAX_NAME_CHARS:
        raise InvalidInput(f"Token names are limited to {MAX_NAME_CHARS} characters.")
    if kind not in KINDS:
        raise InvalidInput(f"Unknown token kind '{kind}'; use one of: {', '.join(KINDS)}.")
    if expires_in is not None and expires_in <= timedelta(0):
        raise InvalidInput("A token's lifetime must be positive.")
    now = utcnow()
    if kind != "api":
        _prune_expired_sessions(session, user, kind, now)
    elif _active_api_tokens(session, user) >= MAX_API_TOKENS:
        raise InvalidInput(
            f"You already have {MAX_API_TOKENS} API tokens; revoke one you no longer use."
        )
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    record = ApiToken(
        user_id=user.id,
        name=name,
        kind=kind,
        token_hash=hash_token(token),
        prefix=token[:10],
        created_at=now,
        expires_at=now + expires_in if expires_in is not None else None,
    )
    session.add(record)
    session.flush()
    return IssuedToken(token=token, record=record)


def _active_api_tokens(session: Session, user: User) -> int:
    query = select(func.count(ApiToken.id)).where(
        ApiToken.user_id == user.id, ApiToken.kind == "api", ApiToken.revoked_at.is_(None)
    )
    return int(session.scalar(query) or 0)


def _prune_expired_sessions(session: Session, user: User, kind: str, now: datetime) -> None:
    # Every sign-in issues a session token; drop the user's dead ones so they do not pile up.
    session.execute(
        delete(ApiToken).where(
            ApiToken.user_id == user.id, ApiToken.kind == kind, ApiToken.expires_at < now
        )
    )


def list_tokens(*, session: Session, user: User) -> list[ApiToken]:
    """The user's own API tokens that are not revoked, newest first."""
    query = select(ApiToken).where(
        ApiToken.user_id == user.id, ApiToken.kind == "api", ApiToken.revoked_at.is_(None)
    )
    return list(session.scalars(query.order_by(ApiToken.created_at.desc(), ApiToken.id.desc())))


def revoke_token(*, session: Session, user: User, token_id: int) -> None:
    """Revoke one of the user's tokens; another user's id is 'not found'."""
    record = session.get(ApiToken, token_id)
    if record is None or record.user_id != user.id or record.revoked_at is not None:
        raise NotFound("No such token.")
    record.revoked_at = utcnow()
    session.flush()


def revoke_presented_token(*, session: Session, token: str) -> None:
    """Revoke the token a request was signed with (signing out)."""
    found = _find(session, token) if token else None
    record = found[0] if found else None
    if record is not None and record.revoked_at is None:
        record.revoked_at = utcnow()
        session.flush()


REFUSALS = {
    "ended": "This token ended when the account's password was changed or reset, or the "
    "account was deactivated; sign in again or create a new token.",
    "revoked": "This token was revoked; sign in again or use another token.",
    "expired": "This token has expired; sign in again or create a new one.",
    "deactivated": "This account is deactivated.",
}


def find_token(
    *, session: Session, token: str, kinds: tuple[str, ...]
) -> tuple[ApiToken, User] | None:
    """The stored token of one of these kinds and its user, live or not; None when unknown."""
    if not token or not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    row = _find(session, token)
    if row is None or row[0].kind not in kinds:
        return None
    return row


def refusal(record: ApiToken, user: User) -> str | None:
    """Why a stored token no longer signs its user in ("ended", "revoked", "expired",
    "deactivated"), or None while it does."""
    changed = user.credentials_changed_at
    if changed is not None and _aware(record.created_at) <= _aware(changed):
        return "ended"
    if record.revoked_at is not None:
        return "revoked"
    if record.expires_at is not None and _aware(record.expires_at) <= utcnow():
        return "expired"
    if not user.is_active:
        return "deactivated"
    return None


def note_use(record: ApiToken) -> None:
    """Update the token's last use, at most every LAST_USED_RESOLUTION."""
    now = utcnow()
    if record.last_used_at is None or _aware(record.last_used_at) < now - LAST_USED_RESOLUTION:
        record.last_used_at = now


def user_for_token(*, session: Session, token: str) -> User:
    """The active user a bearer token belongs to; unknown, expired or revoked tokens, and
    tokens of other kinds (a dashboard session's), are refused."""
    row = find_token(session=session, token=token, kinds=BEARER_KINDS)
    if row is None:
        raise AuthenticationFailed(INVALID)
    record, user = row
    reason = refusal(record, user)
    if reason is not None:
        raise AuthenticationFailed(REFUSALS[reason])
    note_use(record)
    return user


def _aware(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes; every stored time is UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=utcnow().tzinfo)
