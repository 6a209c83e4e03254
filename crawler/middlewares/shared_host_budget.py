"""The downloader's side of the cluster-wide host budget (`crawler.host_budget`), on a frontier.

The scheduler hands a request over when its host's slot is due (`crawler.polite_feed`); here,
just before it is sent, a request that comes late for its slot (it waited for its host's
robots.txt meanwhile) or never had one (robots.txt itself) takes a fresh slot and waits for it.
When the answer comes the slot's lease is given back; a 429 or 503 with Retry-After holds the
host off for every worker, and a robots.txt Crawl-delay becomes the host's delay for every
worker. Only on a frontier (`FRONTIER_PREFIX` set): a single process keeps Scrapy's own
per-host delay and concurrency.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING, Any

import redis
from scrapy import Request, signals
from scrapy.exceptions import NotConfigured
from scrapy.http import Response
from scrapy.robotstxt import RobotParser

from crawler.frontier_queue import connect
from crawler.frontier_scheduler import host_policy
from crawler.host_budget import HostBudget
from crawler.middlewares.retry_after import retry_after_seconds
from crawler.polite_feed import SLOT_META, RedisThread, host_of

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

log = logging.getLogger("newsradar.frontier")
LATE = 0.05  # seconds: a request this much past its slot takes a fresh one


class SharedHostBudgetMiddleware:
    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        if not settings.get("FRONTIER_PREFIX"):
            # Said without a reason, as Scrapy's own optional components do: a run with no shared
            # frontier is the ordinary case (Scrapy's per-host limits apply), not a warning.
            raise NotConfigured
        self.budget = HostBudget(
            connect(settings["REDIS_URL"]), settings["FRONTIER_PREFIX"], host_policy(settings)
        )
        self.user_agent = settings.get("USER_AGENT", "")
        self.thread = RedisThread("host-budget")
        crawler.signals.connect(self._robots_parsed, signal=signals.robots_parsed)
        crawler.signals.connect(self._closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SharedHostBudgetMiddleware:
        return cls(crawler)

    async def process_request(self, request: Request, spider: Any = None) -> None:
        slot = request.meta.get(SLOT_META)
        if slot is not None and time.monotonic() <= slot[2] + LATE:
            return
        host = host_of(request)
        try:
            taken = await self.thread.call(self.budget.take, host, None)
            wait = taken.wait
        except redis.RedisError as exc:  # the frontier is away: wait a configured delay
            log.debug("host budget unreachable (%s)", type(exc).__name__)
            wait = self.budget.policy.delay
        if wait > 0:
            await asyncio.sleep(wait)

    def process_response(
        self, request: Request, response: Response, spider: Any = None
    ) -> Response:
        self._give_back(request)
        if response.status in (429, 503):
            seconds = retry_after_seconds(response.headers.get("Retry-After"))
            if seconds:
                self.thread.submit(self.budget.hold, host_of(request), seconds)
        return response

    def process_exception(self, request: Request, exception: Exception, spider: Any = None) -> None:
        self._give_back(request)

    def _give_back(self, request: Request) -> None:
        slot = request.meta.pop(SLOT_META, None)
        if slot is not None:
            host, lease_id, _due = slot
            self.thread.submit(self.budget.release, [(host, lease_id)])

    def _robots_parsed(self, robotparser: RobotParser, request: Request, **_: Any) -> None:
        delay = robotparser.crawl_delay(self.user_agent)
        if delay:
            self.thread.submit(self.budget.crawl_delay, host_of(request), delay)

    def _closed(self, **_: Any) -> None:
        self.thread.close()
