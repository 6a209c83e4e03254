"""Retries that honour a long Retry-After by leaving the page for a later run."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from scrapy import Request
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.http import Response


class RetryAfterMiddleware(RetryMiddleware):
    """Scrapy's retries, except when the server asked for more time than a retry would give.

    A 503 or 429 with ``Retry-After: 3600`` is answered by coming back on a later run, not by
    asking again at once (which is what the stock middleware does, whatever the header says).
    """

    max_wait_seconds = 10.0

    def process_response(
        self, request: Request, response: Response, spider: Any = None
    ) -> Request | Response:
        wait = retry_after_seconds(response.headers.get("Retry-After"))
        if wait is not None and wait > self.max_wait_seconds:
            return response
        return super().process_response(request, response)


def retry_after_seconds(value: bytes | None, now: datetime | None = None) -> float | None:
    """Seconds a Retry-After header asks for (a number or an HTTP date); None if absent/bad."""
    if not value:
        return None
    text = value.decode("latin-1").strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())
