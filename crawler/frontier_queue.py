"""The shared frontier's keys in Redis, and what the scheduling side does with them.

The process that schedules outlets puts their discovery requests on the queue
(`enqueue_discovery`); workers crawl from it through `crawler.frontier_scheduler`. Requests are
encoded as scrapy-redis encodes them, so its priority queue reads them back.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import redis
from scrapy_redis import picklecompat
from scrapy_redis.queue import PriorityQueue

from crawler.crawl_context import CrawlContext, Validators, by_id
from crawler.outlet_spec import OutletSpec
from crawler.polite_feed import queue_score
from crawler.spiders.frontier_spider import FrontierSpider

DEFAULT_PREFIX = "newsradar"
FRONTIER_ID = "frontier_id"  # request.meta key: one id per frontier entry, kept by retries
DEFAULT_LEASE = 30.0  # seconds without a heartbeat after which a worker counts as dead


class Keys:
    """Every Redis key of one frontier, under one prefix (tests and deployments pick it)."""

    def __init__(self, prefix: str = DEFAULT_PREFIX) -> None:
        self.prefix = prefix
        self.queue = f"{prefix}:requests"
        self.dupefilter = f"{prefix}:dupefilter"  # earlier versions' set: obeyed, expiring
        self.seen = f"{prefix}:seen"  # URLs queued, by when (crawler.frontier_dupefilter)
        self.workers = f"{prefix}:workers"

    def inflight(self, worker: str) -> str:
        return f"{self.prefix}:inflight:{worker}"

    def heartbeat(self, worker: str) -> str:
        return f"{self.prefix}:worker:{worker}"

    def all(self) -> str:
        return f"{self.prefix}:*"


def connect(redis_url: str) -> redis.Redis:
    """A client that fails fast when Redis is away (callers retry on their own schedule)."""
    return redis.Redis.from_url(
        redis_url,
        socket_connect_timeout=2,
        socket_timeout=5,
        health_check_interval=10,
    )


def frontier_settings(
    redis_url: str, prefix: str = DEFAULT_PREFIX, lease: float = DEFAULT_LEASE
) -> dict[str, Any]:
    """Scrapy settings that make a crawler take its requests from the shared frontier."""
    keys = Keys(prefix)
    return {
        "SCHEDULER": "crawler.frontier_scheduler.LeasedScheduler",
        "DUPEFILTER_CLASS": "crawler.frontier_dupefilter.ExpiringDupeFilter",
        "SCHEDULER_QUEUE_CLASS": "scrapy_redis.queue.PriorityQueue",
        "SCHEDULER_QUEUE_KEY": keys.queue,
        "SCHEDULER_DUPEFILTER_KEY": keys.seen,
        "SCHEDULER_PERSIST": True,  # the frontier outlives any one worker
        "REDIS_URL": redis_url,
        "REDIS_PARAMS": {"socket_connect_timeout": 2, "socket_timeout": 5},
        "FRONTIER_PREFIX": prefix,
        "FRONTIER_LEASE": lease,
        # One budget per host for the whole cluster (crawler.host_budget) instead of each
        # process's own delay and throttle, which would multiply with the number of workers.
        "DOWNLOAD_DELAY": 0,
        "AUTOTHROTTLE_ENABLED": False,
        # The frontier counts a page done when its item leaves the pipelines: stored by then.
        "NEWSRADAR_STORE_HOLD": True,
    }


def enqueue_discovery(
    redis_url: str | redis.Redis,
    outlets: Iterable[OutletSpec],
    prefix: str = DEFAULT_PREFIX,
    validators: Mapping[str, Validators] | None = None,
) -> int:
    """Put these outlets' discovery URLs on the shared frontier; how many requests.

    Call it from the process that schedules outlets, on each outlet's schedule. Discovery
    requests bypass the dupefilter: a feed is read again on every tick. `validators` (by URL)
    make them conditional requests.
    """
    specs: Sequence[OutletSpec] = list(outlets)
    if not specs:
        return 0
    server = connect(redis_url) if isinstance(redis_url, str) else redis_url
    spider = FrontierSpider(CrawlContext(by_id(specs), validators=validators or {}))
    queue = PriorityQueue(server, spider, Keys(prefix).queue, picklecompat)
    entries: dict[bytes, float] = {}
    for request in spider.discovery_requests():
        request.meta[FRONTIER_ID] = uuid.uuid4().hex
        entries[queue._encode_request(request)] = queue_score(request.priority)
    server.zadd(Keys(prefix).queue, entries)
    return len(entries)


def frontier_counts(redis_url: str | redis.Redis, prefix: str = DEFAULT_PREFIX) -> dict[str, int]:
    """Queued, in flight and known-URL counts (for status lines, tests and benchmarks)."""
    server = connect(redis_url) if isinstance(redis_url, str) else redis_url
    keys = Keys(prefix)
    inflight = sum(
        server.hlen(keys.inflight(w.decode() if isinstance(w, bytes) else w))
        for w in server.smembers(keys.workers)
    )
    return {
        "queued": int(server.zcard(keys.queue)),
        "in_flight": int(inflight),
        "seen": int(server.zcard(keys.seen)) + int(server.scard(keys.dupefilter)),
        "workers": int(server.scard(keys.workers)),
    }


def clear(redis_url: str | redis.Redis, prefix: str) -> int:
    """Delete every key of a frontier (tests and benchmarks use a prefix of their own)."""
    server = connect(redis_url) if isinstance(redis_url, str) else redis_url
    keys = list(server.scan_iter(match=Keys(prefix).all(), count=500))
    return int(server.delete(*keys)) if keys else 0
