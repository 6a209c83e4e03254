"""Which part of a robots.txt is obeyed (crawler/middlewares/robots_txt.py)."""

from __future__ import annotations

import time

import pytest

from crawler.middlewares.robots_txt import (
    ROBOTS_MAX_BYTES,
    UNREADABLE_RETRY,
    UnreadableRobots,
    robots_rules,
)


@pytest.mark.parametrize(
    ("body", "rules"),
    [
        (b"User-agent: *\nDisallow: /private\n", b"User-agent: *\nDisallow: /private\n"),
        # Over 500 KiB: the first 500 KiB, cut where the last whole line ends.
        (
            b"Disallow: /a\n" + b"#" * ROBOTS_MAX_BYTES,
            b"Disallow: /a\n",
        ),
        (b"Disallow: /" + b"x" * ROBOTS_MAX_BYTES, None),  # no line end at all: broken
        (b"\x89PNG\r\n\x1a\n\x00\x00", None),  # binary: broken
        (b"", b""),
    ],
)
def test_robots_rules_are_the_first_500_kib(body: bytes, rules: bytes | None) -> None:
    assert robots_rules(body) == rules


def test_an_unreadable_robots_txt_is_asked_again_after_a_while() -> None:
    """A worker's crawl never ends: a robots.txt answered with 429 for a moment refuses its host
    for UNREADABLE_RETRY seconds, not for as long as the worker runs."""
    now = time.monotonic()
    assert not UnreadableRobots("HTTP 429").stale()
    assert not UnreadableRobots("HTTP 429", since=now - UNREADABLE_RETRY + 5).stale()
    assert UnreadableRobots("HTTP 429", since=now - UNREADABLE_RETRY - 1).stale()
