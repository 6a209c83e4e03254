"""Redirect and meta-refresh loops reported as the page's error."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urldefrag, urljoin

from scrapy import Request
from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse, Response
from scrapy.utils.response import get_meta_refresh
from w3lib.url import safe_url_string

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})


class RedirectLoopMiddleware:
    """Reports a redirect or a meta refresh back to a URL already visited on the way (the page
    itself included) as that page's error, instead of losing it.

    Scrapy's duplicate filter drops the looping request silently (no error reaches the spider),
    so a page stuck in a loop, or refreshing to itself, would vanish from the outlet's report and
    be fetched again on every run as if it were new. Registered after RedirectMiddleware and
    MetaRefreshMiddleware (a higher number), so it sees the response first.
    """

    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        self.meta_refresh = settings.getbool("METAREFRESH_ENABLED")
        self.ignore_tags = settings.getlist("METAREFRESH_IGNORE_TAGS")
        self.max_delay = settings.getfloat("METAREFRESH_MAXDELAY")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RedirectLoopMiddleware:
        return cls(crawler)

    def process_response(self, request: Request, response: Response) -> Response:
        target, kind = self._next_hop(request, response)
        if target is None or request.meta.get("dont_redirect"):
            return response
        way = (*request.meta.get("redirect_urls", ()), request.url)
        visited = {urldefrag(url)[0] for url in way}
        if urldefrag(target)[0] in visited:
            raise IgnoreRequest(f"{kind} loop: {target} leads back to itself")
        return response

    def _next_hop(self, request: Request, response: Response) -> tuple[str | None, str]:
        """Where the response sends the client next (a 3xx Location, or a meta refresh Scrapy
        would follow), and which of the two it is."""
        location = response.headers.get("Location")
        if response.status in REDIRECT_STATUSES and location:
            return urljoin(request.url, safe_url_string(location)), "redirect"
        if self.meta_refresh and isinstance(response, HtmlResponse):
            delay, url = get_meta_refresh(response, ignore_tags=self.ignore_tags)
            if url and delay is not None and delay < self.max_delay:
                return url, "meta refresh"
        return None, ""
