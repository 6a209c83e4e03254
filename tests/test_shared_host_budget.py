"""The downloader's side of the host budget, against a real Redis: what one worker's middleware
learns (Retry-After, Crawl-delay) holds every worker's slots, and leases come back."""

from __future__ import annotations

import asyncio
import time

import pytest
import redis
import scrapy
from scrapy.http import HtmlResponse
from scrapy.robotstxt import ProtegoRobotParser

from crawler.crawl_context import CrawlContext
from crawler.host_budget import HostBudget, Policy
from crawler.middlewares.shared_host_budget import SharedHostBudgetMiddleware
from crawler.polite_feed import SLOT_META
from tests.support.component_crawler import crawler_with
from tests.support.redis_frontier import configured_redis_url

URL = configured_redis_url()
POLICY = Policy(delay=0.2, concurrency=2, lease=10, max_wait=600)


def middleware(prefix: str) -> SharedHostBudgetMiddleware:
    crawler = crawler_with(
        CrawlContext({}),
        scrapy.Spider,
        {
            "FRONTIER_PREFIX": prefix,
            "REDIS_URL": URL,
            "HOST_DELAY": POLICY.delay,
            "HOST_CONCURRENCY": POLICY.concurrency,
            "FRONTIER_LEASE": POLICY.lease,
            "USER_AGENT": "newsradar/1 (+https://example.org)",
        },
    )
    return SharedHostBudgetMiddleware.from_crawler(crawler)


def other_worker(prefix: str) -> HostBudget:
    return HostBudget(redis.Redis.from_url(URL), prefix, POLICY)


def test_off_a_frontier_it_stays_out_of_the_way() -> None:
    crawler = crawler_with(CrawlContext({}), scrapy.Spider, {})
    with pytest.raises(scrapy.exceptions.NotConfigured):
        SharedHostBudgetMiddleware.from_crawler(crawler)


def test_retry_after_on_one_worker_holds_off_the_others(prefix: str) -> None:
    mine = middleware(prefix)
    request = scrapy.Request("http://busy.example/a")
    response = HtmlResponse(request.url, status=429, headers={"Retry-After": "30"}, body=b"")
    mine.process_response(request, response)
    mine.thread.close()
    assert other_worker(prefix).take("busy.example", "x").wait == pytest.approx(30, abs=0.5)


def test_the_lease_comes_back_with_the_answer(prefix: str) -> None:
    other = other_worker(prefix)
    assert other.take("h.example", "mine").granted
    mine = middleware(prefix)
    request = scrapy.Request("http://h.example/a", meta={SLOT_META: ("h.example", "mine", 0.0)})
    mine.process_exception(request, TimeoutError())
    mine.thread.close()
    assert not other.server.zscore(other.leases_key("h.example"), "mine")
    assert SLOT_META not in request.meta  # a retry takes a slot of its own


def test_crawl_delay_read_by_one_worker_spaces_every_worker(prefix: str) -> None:
    mine = middleware(prefix)
    robots = ProtegoRobotParser(b"User-agent: *\nCrawl-delay: 3\n", None)
    mine._robots_parsed(robots, scrapy.Request("http://slow.example/robots.txt"))
    mine.thread.close()
    other = other_worker(prefix)
    other.take("slow.example", "1")
    assert other.take("slow.example", "2").wait == pytest.approx(3.0, abs=0.1)


def test_a_request_without_a_slot_waits_for_one(prefix: str) -> None:
    """robots.txt, or a request that came late for its slot, takes a fresh one."""
    other = other_worker(prefix)
    other.take("h.example", "theirs")  # their slot: now; the next is 0.2 s later
    mine = middleware(prefix)
    late = scrapy.Request("http://h.example/b", meta={SLOT_META: ("h.example", "old", 0.0)})

    async def send() -> float:
        started = time.monotonic()
        await mine.process_request(late)
        return time.monotonic() - started

    waited = asyncio.run(send())
    mine.thread.close()
    assert 0.15 <= waited < 0.4
