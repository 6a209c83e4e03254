"""Which part of a robots.txt is obeyed (crawler/middlewares/robots_txt.py)."""

from __future__ import annotations

import pytest

from crawler.middlewares.robots_txt import ROBOTS_MAX_BYTES, robots_rules


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
