"""Redirects and meta refreshes back to a URL already on the way are the page's error
(crawler/middlewares/redirect_loops.py)."""

from __future__ import annotations

import pytest
from scrapy import Request, Spider
from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler

from crawler.middlewares.redirect_loops import RedirectLoopMiddleware


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
