"""The crawler's downloader middlewares (crawler/middlewares.py): which URLs an outlet may fetch,
which part of a robots.txt is obeyed, which redirects and meta refreshes are loops, and how long
a Retry-After header says to wait."""

from __future__ import annotations

import ipaddress
from datetime import UTC, datetime

import pytest
from scrapy import Request, Spider
from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler

from crawler.middlewares import (
    ROBOTS_MAX_BYTES,
    HostPolicy,
    RedirectLoopMiddleware,
    parse_address,
    retry_after_seconds,
    robots_rules,
)
from crawler.outlet_spec import OutletSpec


@pytest.mark.parametrize(
    ("url", "address", "refused"),
    [
        ("http://news.example/a", "93.184.216.34", None),
        ("http://other.example/a", "93.184.216.34", "not one of the outlet's hosts"),
        ("http://www.news.example/a", "93.184.216.34", None),
        # A configured name that starts resolving to the machine itself or the cloud metadata
        # service is refused, unless the configuration named that address.
        ("http://news.example/a", "127.0.0.1", "non-public address"),
        ("http://news.example/a", "169.254.169.254", "non-public address"),
        ("http://news.example/a", "10.1.2.3", "non-public address"),
        ("http://news.example/a", "::ffff:127.0.0.1", "non-public address"),
        ("http://news.example/a", "fe80::1", "non-public address"),
        ("http://news.example/a", "127.0.0.10", None),  # named by the configuration
        ("file:///etc/passwd", None, "not fetched: file URL"),
        ("ftp://news.example/a", None, "not fetched: ftp URL"),
        # Another port of the outlet's own host is another site (a local service, perhaps).
        ("http://news.example:8080/a", "93.184.216.34", "news.example:8080 is not one of"),
        ("https://news.example:8443/a", "93.184.216.34", "not one of the outlet's hosts"),
        ("https://news.example/a", "93.184.216.34", None),  # http and https on 80 and 443
        ("http://news.example:80/a", "93.184.216.34", None),
        ("http://intranet.example:8080/a", "127.0.0.10", None),  # that port was configured
        ("http://intranet.example:8081/a", "127.0.0.10", "not one of the outlet's hosts"),
        ("https://intranet.example:8080/a", "127.0.0.10", "not one of the outlet's hosts"),
        ("http://intranet.example/a", "127.0.0.10", "not one of the outlet's hosts"),
    ],
)
def test_host_policy(url: str, address: str | None, refused: str | None) -> None:
    named = frozenset({ipaddress.ip_address("127.0.0.10")})
    outlet = OutletSpec(
        "news",
        "News",
        feeds=("http://news.example/feed",),
        listing_pages=("http://intranet.example:8080/",),
    )
    policy = HostPolicy(outlet.origins, named)
    reason = policy.refusal(url, parse_address(address) if address else None)
    if refused is None:
        assert reason is None
    else:
        assert reason is not None and refused in reason


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


def loop_middleware() -> RedirectLoopMiddleware:
    return RedirectLoopMiddleware(get_crawler(Spider))


def refresh_page(url: str, target: str, delay: int = 0) -> HtmlResponse:
    html = f'<html><head><meta http-equiv="refresh" content="{delay}; url={target}"></head></html>'
    return HtmlResponse(url, body=html.encode(), encoding="utf-8")


@pytest.mark.parametrize(
    ("target", "way", "delay", "loop"),
    [
        ("/a", [], 0, "meta refresh loop"),  # refreshes to itself
        ("/a#top", [], 0, "meta refresh loop"),  # the same page, a fragment apart
        ("/b", ["http://news.example/b"], 0, "meta refresh loop"),  # back to where it came from
        ("/b", [], 0, None),  # a refresh elsewhere is followed as usual
        ("/a", [], 600, None),  # too slow for Scrapy to follow: the page itself is read
    ],
)
def test_meta_refresh_loops_are_the_pages_error(
    target: str, way: list[str], delay: int, loop: str | None
) -> None:
    request = Request("http://news.example/a", meta={"redirect_urls": way})
    response = refresh_page(request.url, target, delay)
    if loop is None:
        assert loop_middleware().process_response(request, response) is response
    else:
        with pytest.raises(IgnoreRequest, match=loop):
            loop_middleware().process_response(request, response)


def test_a_redirect_loop_is_the_pages_error() -> None:
    request = Request("http://news.example/a", meta={"redirect_urls": ["http://news.example/b"]})
    response = HtmlResponse(request.url, status=302, headers={"Location": "/b"})
    with pytest.raises(IgnoreRequest, match="redirect loop"):
        loop_middleware().process_response(request, response)
