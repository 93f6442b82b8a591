"""Operations: sampled queue depths and notices for administrators."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    DateTime,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from backend.db import Base
from backend.models.common import utcnow


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


class AdminNotice(Base):
    """Something admins must know (no worker answering, a queue backing up)."""

    __tablename__ = "admin_notices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(50), index=True)
    message: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
