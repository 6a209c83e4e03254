"""The outlet spider as a worker on a shared frontier.

It crawls what the frontier hands it instead of starting from the outlets' discovery URLs (the
process that schedules outlets puts those on the frontier), stays open while the frontier is
empty, and tells the frontier when each request is done so a request held by a worker that dies
is handed to another. The frontier is whatever the scheduler puts in the crawl's context
(`CrawlContext.frontier`, a `crawler.crawl_ports.Frontier`). A source read in full hands its
validators on at once (`CrawlContext.save_validators`), with the new article pages it listed:
the process queueing discovery sends them back only once every one of those pages is known.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import replace
from typing import Any

import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider
from scrapy.http import Response
from twisted.python.failure import Failure

from crawler.discovery import Candidate
from crawler.items import ArticleItem
from crawler.spiders.outlet_spider import OutletSpider

# A source listing more new pages than this in one read is read in full next time.
MAX_PENDING_PAGES = 5_000


class FrontierSpider(OutletSpider):
    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> FrontierSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider._idle, signal=signals.spider_idle)
        return spider

    def _idle(self) -> None:
        if not self.context.draining:
            raise DontCloseSpider  # more work may arrive on the frontier at any moment

    async def start(self) -> AsyncIterator[scrapy.Request]:
        return
        yield  # an async generator that yields nothing

    def _done(self, request: scrapy.Request | None, *, retry_later: bool = False) -> None:
        frontier = self.context.frontier
        if frontier is not None and request is not None:
            frontier.done(request, retry_later=retry_later)

    # A worker lives for many discovery rounds: the per-crawl cap and dedupe of article URLs
    # apply to each discovery page (across workers the frontier's dupefilter dedupes).
    async def _articles(
        self, outlet_id: str, candidates: Sequence[Candidate]
    ) -> list[scrapy.Request]:
        self._queued[outlet_id] = set()
        return await super()._articles(outlet_id, candidates)

    # Each source is done once the requests it led to have been handed over.
    async def parse_feed(self, response: Response) -> AsyncIterator[scrapy.Request]:  # type: ignore[override]  # why: an async generator, so the frontier hears after the requests left
        for request in self._source_read(response, await super().parse_feed(response)):
            yield request
        self._done(response.request)

    async def parse_sitemap(self, response: Response) -> AsyncIterator[scrapy.Request]:  # type: ignore[override]  # why: as parse_feed
        for request in self._source_read(response, await super().parse_sitemap(response)):
            yield request
        self._done(response.request)

    async def parse_listing(self, response: Response) -> AsyncIterator[scrapy.Request]:  # type: ignore[override]  # why: as parse_feed
        for request in self._source_read(response, await super().parse_listing(response)):
            yield request
        self._done(response.request)

    def _source_read(
        self, response: Response, requests: list[scrapy.Request]
    ) -> list[scrapy.Request]:
        """Hand on the validators the source answered, with the article pages it led to: any
        worker may fetch those, so the validators count once all of them are known."""
        url = response.meta.get("source_url", response.url)
        fresh = self._fresh.pop(url, None)
        pages = tuple(r.url for r in requests if not r.meta.get("source"))
        capped = fresh is not None and self.runs[fresh.outlet_id].capped
        if fresh is not None and not capped and len(pages) <= MAX_PENDING_PAGES:
            self.context.save_validators([replace(fresh, pending=pages)])
        return requests

    def parse_article(self, response: Response) -> Iterable[ArticleItem]:
        items = list(super().parse_article(response))
        yield from items  # the frontier hears of these once the item pipelines are through
        if not items:
            self._done(response.request, retry_later=True)

    def source_failed(self, failure: Failure) -> None:
        super().source_failed(failure)
        self._done(failure.request, retry_later=True)  # type: ignore[attr-defined]  # why: Scrapy sets .request on the Failure it hands an errback; Failure does not declare it

    def page_failed(self, failure: Failure) -> None:
        super().page_failed(failure)
        self._done(failure.request, retry_later=True)  # type: ignore[attr-defined]  # why: Scrapy sets .request on the Failure it hands an errback; Failure does not declare it
