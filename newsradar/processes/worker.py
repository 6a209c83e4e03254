"""`newsradar worker`: a crawl worker on the shared Redis frontier (see crawler.frontier_scheduler).

Any number of workers, on any machines, take requests from the frontier, store articles in the
shared database (the article store dedupes across workers), and match them (AlertQueue claims
pending articles with SKIP LOCKED on PostgreSQL), so each match is queued once. Outlet health is
recorded every `health_interval` for the outlets a worker saw activity on. Delivery is left to
`serve` (or `run-once`). Every worker needs the same config directory as the scheduling process.

SIGTERM or SIGINT: stop taking requests, finish or hand back what is in flight, match, exit 0.
A worker started while Redis is unreachable waits for it (one log line, then one when it
answers), as it does when Redis goes away later; stopped meanwhile, it exits 0.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import time
from collections.abc import Sequence
from dataclasses import dataclass

import redis
from psycopg.errors import DeadlockDetected
from scrapy.crawler import AsyncCrawlerRunner
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError

from crawler.crawl_context import CrawlContext, Validators, by_id
from crawler.frontier_queue import DEFAULT_LEASE, DEFAULT_PREFIX, connect, frontier_settings
from crawler.spiders.frontier_spider import FrontierSpider
from newsradar.config import Config
from newsradar.database import Database
from newsradar.database.article_store import ArticleStore
from newsradar.database.discovery_cache import save_validators
from newsradar.database.match_store import MatchStore
from newsradar.operations.outlet_health import record_health
from newsradar.processes.crawling import backfill_policy, crawl_runner, outlet_spec
from newsradar.settings import Settings
from notifier.alert_queue import AlertQueue

log = logging.getLogger("newsradar.worker")
FRONTIER_RETRY_SECONDS = 0.25  # as when Redis goes away during a crawl (README "Scaling out")


@dataclass(frozen=True)
class WorkerOptions:
    prefix: str = DEFAULT_PREFIX
    lease: float = DEFAULT_LEASE
    match_interval: float = 1.0  # at most this long between matching passes (else on storing)
    health_interval: float = 60.0
    grace: float = 20.0  # seconds in-flight requests may take after SIGTERM
    log_level: str = "WARNING"


class Worker:
    def __init__(
        self, settings: Settings, config: Config, db: Database, options: WorkerOptions
    ) -> None:
        if not settings.redis_url:
            raise ValueError("NEWSRADAR_REDIS_URL is not set: a worker needs the shared frontier")
        self.settings = settings
        self.config = config
        self.db = db
        self.options = options
        self.stopping = asyncio.Event()
        self.wake = asyncio.Event()  # articles were stored (or the worker is stopping)
        self._loop: asyncio.AbstractEventLoop | None = None
        self.store = ArticleStore(
            db, backfill_policy(config, db, config.outlets), on_stored=self._stored
        )
        self.alerts = AlertQueue(MatchStore(db), config.watchlists)
        self.context = CrawlContext(
            by_id([outlet_spec(o, config.crawl) for o in config.outlets]),
            store=self.store,
            max_articles_per_outlet=10_000,
            save_validators=self._save_validators,
        )
        self._writes: set[asyncio.Future[None]] = set()

    def stop(self) -> None:
        self.stopping.set()
        self.wake.set()

    def _stored(self) -> None:
        """Called in the store's thread after a transaction stored new articles."""
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self.wake.set)

    def _runner(self) -> AsyncCrawlerRunner:
        assert self.settings.redis_url is not None
        frontier = frontier_settings(
            self.settings.redis_url, self.options.prefix, self.options.lease
        )
        return crawl_runner(self.config, self.options.log_level, frontier)

    async def run(self) -> int:
        loop = self._loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self.stop)
        if not await self._wait_for_frontier():
            log.warning("worker stopped before the frontier was reachable")
            return 0
        runner = self._runner()
        crawler = runner.create_crawler(FrontierSpider)
        self.context.install(crawler)
        crawl = asyncio.ensure_future(runner.crawl(crawler))
        log.warning(
            "worker on frontier %r: %d outlets", self.options.prefix, len(self.config.outlets)
        )
        last_health = time.monotonic()
        while not self.stopping.is_set() and not crawl.done():
            with contextlib.suppress(TimeoutError):  # matched as soon as articles are stored
                await asyncio.wait_for(self.wake.wait(), self.options.match_interval)
            self.wake.clear()
            await self._match()
            if time.monotonic() - last_health >= self.options.health_interval:
                last_health = time.monotonic()
                await self._record_health()
        self.context.draining = True
        if not crawl.done():
            await crawler.stop_async()
        try:
            await asyncio.wait_for(crawl, self.options.grace)
        except TimeoutError:
            log.warning("in-flight requests did not finish in %.0fs", self.options.grace)
        await asyncio.gather(*self._writes)
        await self._match()
        await self._record_health()
        log.warning("worker stopped")
        return 0

    async def _wait_for_frontier(self) -> bool:
        """True once Redis answers; False when asked to stop first. Logs once that it waits,
        and once that Redis answered, however long it takes."""
        assert self.settings.redis_url is not None
        server = connect(self.settings.redis_url)
        waiting = False
        try:
            while not self.stopping.is_set():
                try:
                    await asyncio.to_thread(server.ping)
                except redis.RedisError as exc:
                    if not waiting:
                        log.warning(
                            "frontier unreachable (%s): waiting for it, retrying every %gs",
                            str(exc)[:200] or type(exc).__name__,
                            FRONTIER_RETRY_SECONDS,
                        )
                        waiting = True
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self.stopping.wait(), FRONTIER_RETRY_SECONDS)
                else:
                    if waiting:
                        log.warning("frontier reachable again")
                    return True
            return False
        finally:
            server.close()

    def _save_validators(self, validators: Sequence[Validators]) -> None:
        """Called on the crawl's event loop: written in a thread, not waited for."""
        write = asyncio.ensure_future(asyncio.to_thread(self._write_validators, list(validators)))
        self._writes.add(write)
        write.add_done_callback(self._writes.discard)

    def _write_validators(self, validators: list[Validators]) -> None:
        try:
            save_validators(self.db, validators)
        except SQLAlchemyError as exc:  # the source is read in full next time: nothing is lost
            log.warning("validators not saved: %s", type(exc).__name__)

    async def _match(self) -> None:
        try:
            await asyncio.to_thread(self.alerts.process_pending)
        except OperationalError as exc:  # the database is away: the articles wait for it
            log.warning("matching postponed: %s", type(exc.orig).__name__)

    async def _record_health(self) -> None:
        """Record the outlets' activity since the last time, as one run each."""
        active = {
            outlet_id: run for outlet_id, run in self.context.take_runs().items() if run.active
        }
        if not active:
            return

        def work() -> None:
            self.store.refresh_seen()
            for _attempt in range(3):
                try:
                    record_health(
                        self.db, active, self.config, self.settings.operator_chats, pooled=True
                    )
                    break
                except IntegrityError:  # another worker created the outlet's row meanwhile
                    continue
                except OperationalError as exc:  # another worker's record chosen over this one
                    if not isinstance(exc.orig, DeadlockDetected):
                        raise
            else:
                log.warning("outlet health not recorded: other workers kept its rows busy")
            self.store.policy = backfill_policy(self.config, self.db, self.config.outlets)

        try:
            await asyncio.to_thread(work)
        except OperationalError as exc:
            log.warning("outlet health not recorded: %s", type(exc.orig).__name__)


def run_worker(settings: Settings, config: Config, db: Database, options: WorkerOptions) -> int:
    from newsradar.processes import event_loop

    return event_loop.run(lambda: Worker(settings, config, db, options).run())
