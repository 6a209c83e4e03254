"""How a moment is written for people: UTC, to the minute."""

from __future__ import annotations

from datetime import UTC, datetime


def utc_minute(value: datetime, *, zone: bool = True) -> str:
    """'2024-01-05 14:30 UTC' (without ' UTC' when `zone` is off); naive values are UTC."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    stamp = value.astimezone(UTC).strftime("%Y-%m-%d %H:%M")
    return f"{stamp} UTC" if zone else stamp
