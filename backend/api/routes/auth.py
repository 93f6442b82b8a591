"""Signing in (OAuth2 password form), signing out, and the caller's API tokens."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Path, Request, Response, status

from backend.accounts import tokens
from backend.accounts.login_throttle import throttled_authenticate
from backend.api.deps import BearerToken, CurrentUser, RuntimeDep, SessionDep
from backend.api.schemas.accounts import (
    ApiTokenCreate,
    ApiTokenIssued,
    ApiTokenOut,
    TokenOut,
    UserOut,
)
from backend.api.schemas.common import MAX_ID, ErrorOut, NoNul

router = APIRouter(prefix="/auth", tags=["auth"])
SESSION_LIFETIME = timedelta(hours=12)


@router.post(
    "/token",
    summary="Sign in with email and password",
    responses={
        429: {
            "model": ErrorOut,
            "description": "Too many failed sign-ins from this client, or too many at once; "
            "try again after `Retry-After` seconds.",
        }
    },
)
def sign_in(
    request: Request,
    rt: RuntimeDep,
    session: SessionDep,
    username: Annotated[str, Form(max_length=320, description="Your email address."), NoNul],
    password: Annotated[str, Form(max_length=1024)],
) -> TokenOut:
    """OAuth2 password flow: a bearer token valid for 12 hours.

    After a few wrong passwords for one account from one client, that client waits before
    each next try (1 s, 2 s, 4 s, ...); other clients, and the account's owner, are not held up.
    """
    user = throttled_authenticate(
        session=session,
        redis=rt.redis,
        settings=rt.settings,
        email=username,
        password=password,
        client=request.client.host if request.client else "",
    )
    issued = tokens.create_token(
        session=session, user=user, name="sign-in", expires_in=SESSION_LIFETIME, kind="session"
    )
    return TokenOut(access_token=issued.token, expires_at=issued.record.expires_at)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT, summary="Revoke this token")
def sign_out(session: SessionDep, user: CurrentUser, token: BearerToken) -> Response:
    """Revoke the token this request was made with."""
    tokens.revoke_presented_token(session=session, token=token or "")
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/me", summary="The signed-in account")
def me(user: CurrentUser) -> UserOut:
    return UserOut.model_validate(user)


@router.get("/tokens", summary="Your API tokens")
def list_api_tokens(session: SessionDep, user: CurrentUser) -> list[ApiTokenOut]:
    """API tokens you created and have not revoked (never the tokens themselves)."""
    return [ApiTokenOut.model_validate(t) for t in tokens.list_tokens(session=session, user=user)]


@router.post("/tokens", status_code=status.HTTP_201_CREATED, summary="Create an API token")
def create_api_token(
    body: ApiTokenCreate, session: SessionDep, user: CurrentUser
) -> ApiTokenIssued:
    """A token for programs; the response is the only time it is shown."""
    lifetime = timedelta(days=body.expires_in_days) if body.expires_in_days else None
    issued = tokens.create_token(session=session, user=user, name=body.name, expires_in=lifetime)
    return ApiTokenIssued(
        **ApiTokenOut.model_validate(issued.record).model_dump(), token=issued.token
    )


@router.delete(
    "/tokens/{token_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Revoke an API token"
)
def revoke_api_token(
    token_id: Annotated[int, Path(ge=1, le=MAX_ID)], session: SessionDep, user: CurrentUser
) -> Response:
    tokens.revoke_token(session=session, user=user, token_id=token_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
