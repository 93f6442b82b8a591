"""The caller's completion webhook: set or remove the URL, rotate the secret, see deliveries."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, Field

from backend.api.deps import CurrentUser, RuntimeDep, SessionDep
from backend.ledger import webhooks

router = APIRouter(prefix="/qa/webhook", tags=["webhooks"])


class WebhookIn(BaseModel):
    url: str = Field(
        description=(
            "An http(s) URL whose host resolves only to public addresses, on an allowed port "
            "(WEBHOOK_ALLOWED_PORTS), without a user name or password."
        ),
        max_length=2000,
    )


class WebhookOut(BaseModel):
    url: str
    enabled: bool
    secret: str | None = Field(
        default=None,
        description=(
            "The signing secret (whsec_<base64 key>), shown when set or rotated. Each POST "
            f"carries Standard Webhooks headers: '{webhooks.ID_HEADER}' (the same on every "
            f"attempt), '{webhooks.TIMESTAMP_HEADER}' (unix seconds) and "
            f"'{webhooks.STANDARD_SIGNATURE_HEADER}: v1,<base64 HMAC-SHA256 of "
            '"{id}.{timestamp}.{body}" keyed with the decoded secret>\'.'
        ),
    )


class DeliveryOut(BaseModel):
    id: int
    event: str
    task_id: str | None
    url: str
    status: str = Field(
        description="pending, delivered, or retrying/failed with why: e.g. 'failed: timeout'."
    )
    attempts: int
    response_code: int | None = Field(description="The receiver's status code, when delivered.")
    error: str | None = Field(
        description=(
            "Why it did not go through: timeout, refused, TLS error, connection error, "
            "HTTP 3xx/4xx/5xx, blocked address, unresolvable host or webhook removed."
        )
    )
    created_at: datetime
    finished_at: datetime | None


@router.put("", summary="Set your webhook URL (returns the signing secret)")
def set_webhook(
    rt: RuntimeDep, session: SessionDep, user: CurrentUser, body: WebhookIn
) -> WebhookOut:
    hook = webhooks.set_webhook(session=session, settings=rt.settings, user=user, url=body.url)
    return WebhookOut(url=hook.url, enabled=hook.enabled, secret=hook.secret)


@router.get("", summary="Your webhook")
def get_webhook(session: SessionDep, user: CurrentUser) -> WebhookOut:
    hook = webhooks.get_webhook(session=session, user=user)
    return WebhookOut(url=hook.url, enabled=hook.enabled)


@router.post("/rotate-secret", summary="Replace your webhook's signing secret")
def rotate_secret(session: SessionDep, user: CurrentUser) -> WebhookOut:
    hook = webhooks.rotate_secret(session=session, user=user)
    return WebhookOut(url=hook.url, enabled=hook.enabled, secret=hook.secret)


@router.delete("", status_code=status.HTTP_204_NO_CONTENT, summary="Remove your webhook")
def remove_webhook(session: SessionDep, user: CurrentUser) -> None:
    webhooks.remove_webhook(session=session, user=user)


@router.get("/deliveries", summary="Your webhook deliveries, newest first")
def list_deliveries(
    session: SessionDep, user: CurrentUser, limit: Annotated[int, Query(ge=1, le=500)] = 50
) -> list[DeliveryOut]:
    rows = webhooks.list_deliveries(session=session, user=user, limit=limit)
    return [DeliveryOut(**webhooks.delivery_view(r)) for r in rows]
