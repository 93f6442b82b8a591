"""FastAPI dependencies as Annotated aliases: the runtime, a database session, the caller."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy.orm import Session

from backend.accounts import tokens
from backend.accounts.users import require_admin
from backend.errors import AuthenticationFailed
from backend.models import User
from backend.runtime import Runtime

NOT_SIGNED_IN = (
    "Sign in first: send 'Authorization: Bearer <token>' with a token from POST /auth/token "
    "or an API token."
)
bearer = OAuth2PasswordBearer(tokenUrl="/auth/token", auto_error=False)


# Dependencies without I/O are `async def`, so FastAPI does not send them to the threadpool.
async def get_runtime(request: Request) -> Runtime:
    """The runtime the app built at startup."""
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def get_session(rt: RuntimeDep) -> Iterator[Session]:
    """One unit of work per request: committed when the route succeeds, else rolled back."""
    with rt.session() as session:
        yield session


# scope="function": the commit happens before the response is sent, so a failed commit is
# reported to the caller instead of after a 200.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
BearerToken = Annotated[str | None, Depends(bearer)]


def current_user(session: SessionDep, token: BearerToken) -> User:
    """The active user whose bearer token came with the request."""
    if not token:
        raise AuthenticationFailed(NOT_SIGNED_IN)
    return tokens.user_for_token(session=session, token=token)


CurrentUser = Annotated[User, Depends(current_user)]


async def admin_user(user: CurrentUser) -> User:
    """The caller, who must be an administrator."""
    require_admin(user)
    return user


AdminUser = Annotated[User, Depends(admin_user)]
