"""Sign-in through an identity provider (OIDC): the provider proves the email, we map it."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.errors import AuthenticationFailed
from backend.models import User, utcnow

NO_ACCOUNT = (
    "Your identity provider signed you in as {email}, but there is no active account for "
    "that address here. Ask an administrator to create one."
)


def sign_in_verified_email(*, session: Session, email: str) -> User:
    """The active account for an email the identity provider has verified."""
    address = (email or "").strip().lower()
    user = session.scalar(select(User).where(User.email == address)) if address else None
    if user is None or not user.is_active:
        raise AuthenticationFailed(NO_ACCOUNT.format(email=address or "an unknown address"))
    user.last_login_at = utcnow()
    return user
