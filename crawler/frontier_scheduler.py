"""The shared crawl frontier in Redis: what several `newsradar worker` processes crawl from.

Built on scrapy-redis (0.9.1, checked against Scrapy 2.19): its request encoding and priority
queue layout (a sorted set scored by -priority, plus each host's turn, see
`crawler.polite_feed.HostTurns`), its `RFPDupeFilter`'s fingerprints (so an
article URL is enqueued once across all workers; kept for `crawl.seen_url_ttl` by
`crawler.frontier_dupefilter`) and its connection helper are used as they are. Its `Scheduler`
works with Scrapy 2.19 too, but its pop removes a request from Redis before it is fetched: a
worker killed at that moment loses every request it had popped, and since their fingerprints stay
in the dupefilter they would never be crawled again.

`LeasedScheduler` closes that window. A pop moves the request, atomically (one Lua script), from
the queue into the worker's in-flight hash; it is removed from there only when the request is
done (its article stored or dropped, its discovery page parsed, or its failure recorded). Each
worker keeps a heartbeat key alive; any worker finding a registered worker whose heartbeat expired
puts that worker's in-flight requests back on the queue. A retry or redirect of an in-flight
request replaces it on the queue in one transaction. Delivery is therefore at least once: a page
fetched by a worker that died before storing it is fetched again by another (and the article
store's dedupe keeps that from storing or alerting twice).

A request that failed, or whose page had no article text, is forgotten by the dupefilter, so the
next discovery of its URL tries it again, as a single-process crawl would.

Discovery requests (feeds, sitemaps, listing pages) are put on the queue by the process that
schedules outlets (`enqueue_discovery`) and bypass the dupefilter; article requests do not.

Popped requests wait in `crawler.polite_feed` for their host's slot in the cluster-wide budget
(`crawler.host_budget`) before the engine gets them. Every Redis call of the scheduler runs on
one thread of its own, in the order made: the worker's event loop never waits on Redis, and a
retry still replaces its entry, and a request is still acked only after what it led to is queued.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
import uuid
from typing import Any

import redis
from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.utils.misc import load_object
from scrapy_redis.scheduler import Scheduler

from crawler.crawl_context import CrawlContext
from crawler.frontier_dupefilter import ExpiringDupeFilter
from crawler.frontier_queue import DEFAULT_LEASE, DEFAULT_PREFIX, FRONTIER_ID, Keys, connect
from crawler.host_budget import HostBudget, Policy
from crawler.polite_feed import SLOT_META, HostTurns, PoliteFeed, RedisThread

log = logging.getLogger("newsradar.frontier")

POLL_INTERVAL = 0.25  # seconds between the engine's looks at an idle spider
SEEN_TTL = 90 * 86_400.0  # seconds a queued URL is remembered (crawl.seen_url_ttl's default)
LOOKAHEAD = 256  # requests a worker holds, parked by host, waiting for their host's slot

# Take the best-scored requests (up to ARGV[1]) and hold them for this worker, in one step.
_POP = """
local popped = redis.call('ZPOPMIN', KEYS[1], ARGV[1])
local taken = {}
for i = 1, #popped, 2 do
  redis.call('HSET', KEYS[2], popped[i], popped[i + 1])
  taken[#taken + 1] = popped[i]
end
return taken
"""
# Put a worker's in-flight requests back on the queue and forget the worker.
_REQUEUE = """
local held = redis.call('HGETALL', KEYS[2])
for i = 1, #held, 2 do redis.call('ZADD', KEYS[1], held[i + 1], held[i]) end
redis.call('DEL', KEYS[2])
redis.call('SREM', KEYS[3], ARGV[1])
return #held / 2
"""


def worker_id() -> str:
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class LeasedScheduler(Scheduler):
    """scrapy-redis's scheduler with leases on popped requests (see the module docstring)."""

    context: CrawlContext  # the crawl's, where the spider finds this frontier
    df: ExpiringDupeFilter  # None until open() makes it

    def __init__(
        self, server: redis.Redis, *, prefix: str, lease: float, policy: Policy, **kwargs: Any
    ) -> None:
        super().__init__(server, **kwargs)
        self.keys = Keys(prefix)
        self.lease = lease
        self.budget = HostBudget(server, prefix, policy)
        self.redis_thread = RedisThread("frontier-redis")  # every Redis call, off the loop
        self.feed: PoliteFeed | None = None
        self.turns = HostTurns()  # hosts take turns on the queue
        self.seen_ttl = SEEN_TTL
        self.worker = worker_id()
        self.held: dict[str, bytes] = {}  # frontier id -> the queue entry this worker holds
        self.unacked: set[bytes] = set()  # done while Redis was away; removed when it is back
        self.redis_down_since: float | None = None
        self._pop = server.register_script(_POP)
        self._requeue = server.register_script(_REQUEUE)
        self._tasks: list[asyncio.Task[None]] = []
        self._crawler: Crawler | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> LeasedScheduler:
        settings = crawler.settings
        server = connect(settings["REDIS_URL"])
        server.ping()
        instance = cls(
            server,
            prefix=settings.get("FRONTIER_PREFIX", DEFAULT_PREFIX),
            lease=settings.getfloat("FRONTIER_LEASE", DEFAULT_LEASE),
            policy=host_policy(settings),
            persist=True,
            queue_key=settings["SCHEDULER_QUEUE_KEY"],
            queue_cls=settings.get("SCHEDULER_QUEUE_CLASS", "scrapy_redis.queue.PriorityQueue"),
            dupefilter_key=settings["SCHEDULER_DUPEFILTER_KEY"],
            dupefilter_cls=settings["DUPEFILTER_CLASS"],
        )
        instance.seen_ttl = settings.getfloat("FRONTIER_SEEN_TTL", SEEN_TTL)
        instance.stats = crawler.stats
        instance._crawler = crawler
        instance.context = CrawlContext.from_crawler(crawler)
        # An idle worker looks at the shared queue this often (Scrapy's default is every 5 s).
        if crawler.engine is not None:
            crawler.engine._SLOT_HEARTBEAT_INTERVAL = POLL_INTERVAL
        for signal, handler in (
            (signals.item_scraped, instance._item_done),
            (signals.item_dropped, instance._item_dropped),
            (signals.item_error, instance._item_dropped),
            (signals.spider_error, instance._spider_error),
        ):
            crawler.signals.connect(handler, signal=signal)
        return instance

    # -- Scrapy's scheduler interface -----------------------------------------------------

    def open(self, spider: Spider) -> None:
        # As scrapy-redis opens it, minus its deprecated Spider.log() call.
        self.spider = spider
        self.queue = load_object(self.queue_cls)(
            server=self.server, spider=spider, key=self.keys.queue, serializer=self.serializer
        )
        if not self.df:
            self.df = ExpiringDupeFilter(
                self.server, self.keys.seen, ttl=self.seen_ttl, legacy_key=self.keys.dupefilter
            )
        self.context.frontier = self  # the spider reports done requests
        self._beat()
        self.feed = PoliteFeed(
            self.budget,
            self.redis_thread,
            pop=self._pop_some,
            decode=self._held_request,
            drop=lambda request: self.done(request, retry_later=True),
            wake_engine=self._wake_engine,
            lookahead=LOOKAHEAD,
            owner=self.worker,
        )
        self.feed.on_error, self.feed.on_success = self._down, self._up
        loop = asyncio.get_running_loop()
        self._tasks = [loop.create_task(self._keep_alive()), loop.create_task(self.feed.run())]

    def close(self, reason: str) -> None:
        """Hand back what this worker still holds; nothing else is cleared (persistent)."""
        for task in self._tasks:
            task.cancel()
        leases = self.feed.close() if self.feed is not None else []
        self.redis_thread.close()  # what was asked of Redis is done first
        with contextlib.suppress(redis.RedisError):
            self._flush_acks()
            if leases:
                self.budget.release(leases)
            returned = self._requeue(
                keys=[self.keys.queue, self.keys.inflight(self.worker), self.keys.workers],
                args=[self.worker],
            )
            self.server.delete(self.keys.heartbeat(self.worker))
            if returned:
                log.info("returned %d unfinished requests to the frontier", returned)

    def enqueue_request(self, request: Request) -> bool:
        """Queue it on the frontier, on the Redis thread (the loop does not wait): a URL already
        seen is dropped there. A retry or redirect replaces the entry it came from."""
        old = self.held.pop(request.meta.get(FRONTIER_ID, ""), None)
        self._release_slot(request)  # a retry takes a slot of its own
        request.meta[FRONTIER_ID] = uuid.uuid4().hex
        data = self.queue._encode_request(request)
        self.redis_thread.submit(self._enqueue, request, data, self.turns.score(request), old)
        if self.stats:
            self.stats.inc_value("scheduler/enqueued/redis")
        return True

    def _enqueue(self, request: Request, data: bytes, score: float, old: bytes | None) -> None:
        try:
            if not request.dont_filter and self.df.request_seen(request):
                if old is not None:  # a redirect to a page already queued elsewhere
                    self.server.hdel(self.keys.inflight(self.worker), old)
                return
            pipe = self.server.pipeline(transaction=True)
            pipe.zadd(self.keys.queue, {data: score})
            if old is not None:  # a retry or redirect replaces the entry it came from
                pipe.hdel(self.keys.inflight(self.worker), old)
            pipe.execute()
        except redis.RedisError as exc:
            self._down(exc)
            if old is not None:
                self.unacked.add(old)
            # Lost for now: its URL is not marked seen, so the next discovery finds it again.
            return
        self._up()
        if self.feed is not None:
            self.feed.frontier_empty = False

    def next_request(self) -> Request | None:
        """A request whose host's slot is due now (see `crawler.polite_feed`), if any."""
        request = self.feed.next() if self.feed is not None else None
        if request is not None and self.stats:
            self.stats.inc_value("scheduler/dequeued/redis")
        return request

    def _pop_some(self, count: int) -> list[bytes]:
        """Up to `count` entries off the queue, held for this worker (on the Redis thread)."""
        self._flush_acks()
        keys = [self.keys.queue, self.keys.inflight(self.worker)]
        return list(self._pop(keys=keys, args=[count]))

    def _held_request(self, data: bytes) -> Request:
        request = self.queue._decode_request(data)
        self.held[request.meta[FRONTIER_ID]] = data
        return request

    def _wake_engine(self) -> None:
        engine = self._crawler.engine if self._crawler is not None else None
        slot = getattr(engine, "_slot", None)
        if slot is not None:
            slot.nextcall.schedule()

    def has_pending_requests(self) -> bool:
        """Without asking Redis: the feed says whether the queue was empty at its last look."""
        feed = self.feed
        return bool(self.held) or (feed is not None and (len(feed) > 0 or not feed.frontier_empty))

    # -- done requests --------------------------------------------------------------------

    def done(self, request: Request, *, retry_later: bool = False) -> None:
        """The request is dealt with. `retry_later`: it failed, so let discovery find it again."""
        data = self.held.pop(request.meta.get(FRONTIER_ID, ""), None)
        if data is not None:
            self._ack(data)
        self._release_slot(request)
        if retry_later:  # a retried request is dont_filter, yet its URL was filtered once
            self.forget(request)

    def _release_slot(self, request: Request) -> None:
        """Give back the request's lease if the downloader did not (it never got the request)."""
        slot = request.meta.pop(SLOT_META, None)
        if slot is not None and self.feed is not None:
            self.feed.release(slot[0], slot[1])

    def forget(self, request: Request) -> None:
        """Drop the request's URL (and the URLs it was redirected from) from the dupefilter."""
        urls = [*request.meta.get("redirect_urls", ()), request.url]
        fingerprints = [self.df.request_fingerprint(request.replace(url=url)) for url in urls]
        self.redis_thread.submit(self.df.forget, fingerprints)

    def _item_done(self, item: Any, response: Any, spider: Spider) -> None:
        if response is not None and response.request is not None:
            self.done(response.request)

    def _item_dropped(self, item: Any, response: Any, spider: Spider, **_: Any) -> None:
        if response is not None and response.request is not None:
            self.done(response.request, retry_later=True)

    def _spider_error(self, failure: Any, response: Any, spider: Spider) -> None:
        if response is not None and response.request is not None:
            self.done(response.request, retry_later=True)

    def _ack(self, data: bytes) -> None:
        self.redis_thread.submit(self._ack_now, data)

    def _ack_now(self, data: bytes) -> None:
        try:
            self.server.hdel(self.keys.inflight(self.worker), data)
        except redis.RedisError as exc:
            self._down(exc)
            self.unacked.add(data)

    def _flush_acks(self) -> None:
        if self.unacked:
            self.server.hdel(self.keys.inflight(self.worker), *self.unacked)
            self.unacked.clear()

    # -- liveness -------------------------------------------------------------------------

    def _beat(self) -> None:
        pipe = self.server.pipeline(transaction=True)
        pipe.set(self.keys.heartbeat(self.worker), "1", px=int(self.lease * 1000))
        pipe.sadd(self.keys.workers, self.worker)
        pipe.execute()

    async def _keep_alive(self) -> None:
        """Renew this worker's lease; return dead workers' requests to the queue."""
        interval = max(self.lease / 5, 0.2)
        while True:
            await asyncio.sleep(interval)
            try:
                await self.redis_thread.call(self._keep_alive_once)
            except redis.RedisError as exc:
                self._down(exc)
            else:
                self._up()

    def _keep_alive_once(self) -> None:
        self._beat()
        self.reap()
        if self.feed is not None:
            self.feed.renew()

    def reap(self) -> int:
        """Requeue the in-flight requests of every worker whose heartbeat expired."""
        returned = 0
        for raw in self.server.smembers(self.keys.workers):
            other = raw.decode() if isinstance(raw, bytes) else str(raw)
            if other == self.worker or self.server.exists(self.keys.heartbeat(other)):
                continue
            count = self._requeue(
                keys=[self.keys.queue, self.keys.inflight(other), self.keys.workers], args=[other]
            )
            if count:
                log.warning("worker %s stopped answering: %d requests requeued", other, count)
                returned += int(count)
        return returned

    def _down(self, exc: Exception) -> None:
        if self.redis_down_since is None:
            self.redis_down_since = time.monotonic()
            log.warning("frontier unreachable (%s); retrying", type(exc).__name__)

    def _up(self) -> None:
        if self.redis_down_since is not None:
            log.warning(
                "frontier reachable again after %.1fs", time.monotonic() - self.redis_down_since
            )
            self.redis_down_since = None
            with contextlib.suppress(redis.RedisError):
                self._beat()


def host_policy(settings: Any) -> Policy:
    """The per-host limits every worker shares: the configured delay and concurrency (Scrapy's
    own per-process ones are off on a frontier, see `frontier_settings`)."""
    return Policy(
        delay=settings.getfloat("HOST_DELAY", 1.0),
        concurrency=settings.getint("HOST_CONCURRENCY", 2),
        lease=settings.getfloat("FRONTIER_LEASE", DEFAULT_LEASE),
    )
