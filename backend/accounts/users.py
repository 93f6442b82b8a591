"""Accounts: create, authenticate, change passwords and roles (argon2 hashes only)."""

from __future__ import annotations

import re
import secrets
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from backend.config import Settings, get_settings
from backend.errors import AuthenticationFailed, Conflict, InvalidInput, NotFound, PermissionDenied
from backend.models import ApiToken, Role, User, utcnow

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$|^[^@\s]+@localhost$")
MIN_PASSWORD_LENGTH = 8


def password_hasher(settings: Settings | None = None) -> PasswordHasher:
    """The argon2id hasher with the parameters of these settings (the process's by default)."""
    s = settings or get_settings()
    return _hasher_with(
        s.password_hash_time_cost, s.password_hash_memory_kib, s.password_hash_parallelism
    )


@lru_cache(maxsize=8)
def _hasher_with(time_cost: int, memory_cost: int, parallelism: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism)


@lru_cache(maxsize=8)
def _dummy_hash(hasher: PasswordHasher) -> str:
    # Verifying against a real hash of the same cost for unknown emails keeps the timing of
    # both failures alike.
    return hasher.hash("not-a-real-password")


def hash_password(password: str, settings: Settings | None = None) -> str:
    """An argon2id hash of the password, with the parameters of the settings."""
    return password_hasher(settings).hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Whether the password matches the stored hash (whatever parameters it was made with)."""
    try:
        return password_hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def normalise_email(email: str) -> str:
    """Lower-cased, trimmed email, validated."""
    email = email.strip().lower()
    if not EMAIL_RE.match(email):
        raise InvalidInput(f"'{email}' is not a valid email address.")
    return email


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(f"The password must be at least {MIN_PASSWORD_LENGTH} characters long.")


def _check_role(role: str) -> str:
    try:
        return Role(role).value
    except ValueError:
        allowed = ", ".join(r.value for r in Role)
        raise InvalidInput(f"Unknown role '{role}'; use one of: {allowed}.") from None


def create_user(*, session: Session, email: str, password: str, role: str = "user") -> User:
    """A new active account; the email must not be taken."""
    email = normalise_email(email)
    _check_password(password)
    role = _check_role(role)
    if session.scalar(select(User).where(User.email == email)) is not None:
        raise Conflict(f"An account for {email} already exists.")
    user = User(email=email, password_hash=hash_password(password), role=role, is_active=True)
    session.add(user)
    session.flush()
    return user


def get_user(*, session: Session, user_id: int) -> User:
    """The user with this id."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"No user with id {user_id}.")
    return user


def get_user_by_email(*, session: Session, email: str) -> User:
    """The user with this email."""
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise NotFound(f"No account for {email.strip()}.")
    return user


def authenticate(
    *, session: Session, email: str, password: str, settings: Settings | None = None
) -> User:
    """The active user with these credentials; one plain message for every failure. A hash
    made with other parameters than the settings' is replaced by one made with them."""
    hasher = password_hasher(settings)
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        verify_password(_dummy_hash(hasher), password)
        raise AuthenticationFailed("Wrong email or password.")
    if not verify_password(user.password_hash, password) or not user.is_active:
        raise AuthenticationFailed("Wrong email or password.")
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hasher.hash(password)
    user.last_login_at = utcnow()
    return user


def change_password(*, session: Session, user: User, current: str, new: str) -> None:
    """Change one's own password after proving the current one; every other sign-in of the
    account (API tokens, sessions) ends."""
    if not verify_password(user.password_hash, current):
        raise AuthenticationFailed("The current password is wrong.")
    _check_password(new)
    user.password_hash = hash_password(new)
    end_sign_ins(session=session, user=user)


def end_sign_ins(*, session: Session, user: User) -> int:
    """End every sign-in of the account: its API and session tokens are revoked, and any
    token or dashboard session from before now is refused. Returns the tokens revoked."""
    now = utcnow()
    user.credentials_changed_at = now
    revoked = session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    session.flush()
    return int(getattr(revoked, "rowcount", 0) or 0)


def credential_stamp(user: User) -> str:
    """What a sign-in remembers of the account's credentials; it changes when they do."""
    changed = user.credentials_changed_at
    return changed.isoformat() if changed is not None else ""


def require_admin(user: User) -> None:
    """Refuse anyone but an active admin."""
    if not (user.is_active and user.is_admin):
        raise PermissionDenied("Only administrators can do this.")


def require_active(user: User) -> None:
    """Refuse deactivated accounts."""
    if not user.is_active:
        raise PermissionDenied("This account is deactivated.")


def ensure_admin(*, session: Session, email: str, password: str) -> tuple[User, str | None]:
    """The first admin: created when no admin exists; returns a generated password once."""
    existing = session.scalar(select(User).where(User.role == Role.ADMIN.value).limit(1))
    if existing is not None:
        return existing, None
    generated = None
    if not password:
        generated = secrets.token_urlsafe(12)
        password = generated
    user = create_user(
        session=session, email=email or "admin@localhost", password=password, role="admin"
    )
    return user, generated


def count_users(*, session: Session) -> int:
    """How many accounts exist."""
    return int(session.scalar(select(func.count(User.id))) or 0)


def check_task_user(*, session: Session, user_id: int) -> User:
    """The seed's `secure_task` check: a task acts only for an existing, active user."""
    user = session.get(User, user_id)
    if user is None or not user.is_active:
        raise PermissionDenied(f"User {user_id} does not exist or is deactivated.")
    return user
