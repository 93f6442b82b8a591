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
    url: str = Field(description="An http(s) URL on a public address.", max_length=2000)


class WebhookOut(BaseModel):
    url: str
    enabled: bool
    secret: str | None = Field(
        default=None,
        description=(
            "The signing secret, shown when set or rotated: each POST carries "
            f"'{webhooks.SIGNATURE_HEADER}: sha256=<hex HMAC-SHA256 of the body>'."
        ),
    )


class DeliveryOut(BaseModel):
    id: int
    event: str
    task_id: str | None
    url: str
    status: str
    attempts: int
    response_code: int | None
    error: str | None
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
