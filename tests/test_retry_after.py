"""How long a Retry-After header says to wait (crawler/middlewares/retry_after.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from crawler.middlewares.retry_after import retry_after_seconds


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        (b"120", 120.0),
        (b"Sat, 21 Nov 2026 12:00:00 GMT", 3600.0),
        (b"Sat, 21 Nov 2026 10:00:00 GMT", 0.0),  # in the past: no wait
        (b"soon", None),
        (None, None),
    ],
)
def test_retry_after_header(header: bytes | None, seconds: float | None) -> None:
    now = datetime(2026, 11, 21, 11, 0, tzinfo=UTC)
    assert retry_after_seconds(header, now) == seconds
