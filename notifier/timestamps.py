"""How a moment is written for people: UTC, to the minute, saying so."""

from __future__ import annotations

from datetime import UTC, datetime


def utc_minute(value: datetime) -> str:
    """'2024-01-05 14:30 UTC'; naive values are UTC."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
