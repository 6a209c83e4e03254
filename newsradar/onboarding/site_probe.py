"""Reading a site a few pages at a time, through the crawl's own middlewares.

Each `fetch` is one short crawl of `crawler.spiders.fetch_spider.FetchSpider` with the
project's Scrapy settings: robots.txt obeyed, only the outlet's own origins, the outlet's
budget, time-outs and the page and header size limits. robots.txt bodies read by one step are
kept for the next, and the whole probe makes at most `MAX_REQUESTS` requests, so a site that
keeps pointing somewhere else (an endless sitemap index) costs a bounded amount.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from scrapy.crawler import AsyncCrawlerRunner

from crawler.crawl_context import CrawlContext, RobotsMemory, by_id
from crawler.outlet_spec import OutletSpec
from crawler.spiders.fetch_spider import Fetched, FetchSpider
from newsradar.config import Config
from newsradar.processes.crawling import crawl_runner

MAX_REQUESTS = 80  # pages one probe fetches in all (robots.txt, redirects and retries aside)


class SiteProbe:
    """Fetches pages of one outlet, step by step, within one bounded allowance."""

    def __init__(self, config: Config, outlet: OutletSpec, log_level: str = "WARNING") -> None:
        self.outlet = outlet
        self.robots = RobotsMemory()
        self.requests_limit = self.requests_left = MAX_REQUESTS
        self.answers: dict[str, Fetched] = {}  # everything fetched so far, by the URL asked
        self.cut: list[str] = []  # URLs not fetched because the allowance ran out
        self._runner: AsyncCrawlerRunner = crawl_runner(
            config, log_level, extra={"ITEM_PIPELINES": {}}
        )
        if log_level != "DEBUG":  # a page over the size limit is reported in the probe's output
            logging.getLogger("scrapy.core.downloader.handlers.http11").setLevel(logging.ERROR)

    async def fetch(self, urls: Sequence[str]) -> dict[str, Fetched]:
        """What each URL answered (a URL past the allowance is left out and noted in `cut`)."""
        wanted = list(dict.fromkeys(urls))
        allowed, over = wanted[: self.requests_left], wanted[self.requests_left :]
        self.cut.extend(over)
        if not allowed:
            return {}
        self.requests_left -= len(allowed)
        results: dict[str, Fetched] = {}
        context = CrawlContext(by_id([self.outlet]), robots=RobotsMemory(self._kept()))
        crawler = self._runner.create_crawler(FetchSpider)
        context.install(crawler)
        await self._runner.crawl(crawler, urls=allowed, outlet_id=self.outlet.id, results=results)
        self.robots.fetched.update(context.robots.fetched)
        for url in allowed:
            results.setdefault(url, Fetched(url, error="not fetched"))
        self.answers.update(results)
        return results

    def _kept(self) -> dict[str, bytes]:
        return {**self.robots.kept, **self.robots.fetched}

    def robots_txt(self, netloc: str) -> bytes | None:
        """The robots.txt of a host read so far (None: not read, or unreadable)."""
        return self._kept().get(netloc)
