"""Questions and their answers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from backend.db import Base
from backend.models.common import utcnow


class Question(Base):
    __tablename__ = "questions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text)
    answer: Mapped[str | None] = mapped_column(Text)
    found: Mapped[bool | None] = mapped_column(Boolean)
    sources: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    # No answer found: the passages that came closest (not citations).
    closest: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    # Names the question uses that none of the passages weighed mention ("Mona", "Lisa").
    missing_names: Mapped[list[str] | None] = mapped_column(JSON)
    # The kind of answer asked for that the answer gives none of ("an amount of money").
    ungiven: Mapped[str | None] = mapped_column(String(40))
    document_ids: Mapped[list[int] | None] = mapped_column(JSON)
    latency_ms: Mapped[float | None] = mapped_column(Float)
    # How well the documents support the answer, in words (qa.answering.CONFIDENCE_WORDS).
    confidence: Mapped[str | None] = mapped_column(String(20))
    priority: Mapped[bool] = mapped_column(Boolean, default=False)
    task_id: Mapped[str | None] = mapped_column(String(64), index=True)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, index=True
    )
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
