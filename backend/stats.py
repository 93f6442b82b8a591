"""Small statistics shared by the reports of several domains."""

from __future__ import annotations


def percentile(values: list[float], pct: float) -> float | None:
    """The nearest-rank percentile of sorted values (None for none)."""
    if not values:
        return None
    index = min(len(values) - 1, round(pct / 100 * (len(values) - 1)))
    return values[index]
