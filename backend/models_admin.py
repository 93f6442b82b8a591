"""Tables of the administration pages: the audit log and sampled queue depths."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from backend.db import Base
from backend.models import TaskRecord, utcnow


class AuditEntry(Base):
    """One administrative action: who did what to which target, and when."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    actor_email: Mapped[str] = mapped_column(String(320))
    action: Mapped[str] = mapped_column(String(50), index=True)
    target: Mapped[str | None] = mapped_column(String(200))
    detail: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class QueueDepthSample(Base):
    """The number of messages waiting in one queue at one moment (sampled by beat)."""

    __tablename__ = "queue_depth_samples"
    __table_args__ = (Index("ix_queue_depth_samples_queue_at", "queue", "sampled_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sampled_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, index=True
    )
    queue: Mapped[str] = mapped_column(String(50))
    messages: Mapped[int] = mapped_column(Integer)


# The all-users task browser orders by queue time with no other filter.
Index("ix_task_records_queued_at", TaskRecord.queued_at)
