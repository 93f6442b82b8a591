"""What every table module shares: the one clock the records use."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    """Timezone-aware now, the only clock the records use."""
    return datetime.now(UTC)
