"""Accounts and tokens."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field

from backend.api.schemas.common import Model, NoNul


class TokenOut(Model):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_at: datetime | None = None


class UserOut(Model):
    id: int
    email: str
    role: str
    is_active: bool
    created_at: datetime
    last_login_at: datetime | None = None


class ApiTokenCreate(Model):
    name: Annotated[str, Field(min_length=1, max_length=100, examples=["nightly import"]), NoNul]
    expires_in_days: Annotated[int | None, Field(ge=1, le=3650)] = None


class ApiTokenOut(Model):
    id: int
    name: str
    prefix: str = Field(description="The token's first characters, to recognise it.")
    created_at: datetime
    expires_at: datetime | None = None
    last_used_at: datetime | None = None


class ApiTokenIssued(ApiTokenOut):
    token: str = Field(description="The token itself; shown this once, store it now.")
