"""Each outlet crawled on its own schedule (APScheduler), one crawl per outlet at a time.

With a Redis URL the crawl itself is the workers' (`newsradar worker`): a scheduled run only
queues the outlet's discovery requests on the shared frontier.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.exc import SQLAlchemyError

from crawler.frontier_queue import enqueue_discovery
from crawler.page_template import OutletTemplate
from newsradar.config import Config, Outlet, parse_crontab, parse_duration
from newsradar.database import Database
from newsradar.database.discovery_cache import load_validators
from newsradar.operations.metrics import Metrics
from newsradar.processes.crawling import crawl, crawl_runner, outlet_spec
from newsradar.settings import Settings

log = logging.getLogger("newsradar.serve")

MAX_SPREAD = 30.0  # seconds over which outlets that share a schedule start


def outlet_trigger(outlet: Outlet) -> BaseTrigger:
    """The outlet's schedule, to the second: a run's jitter would carry into every later run
    (each is due an interval after the last) and stretch the period. Outlets sharing a schedule
    are kept apart by when each first runs instead (`first_run_delay`)."""
    if outlet.crontab is not None:
        return parse_crontab(outlet.crontab)
    return IntervalTrigger(seconds=parse_duration(outlet.every).total_seconds(), timezone=UTC)


def first_run_delay(outlet: Outlet) -> float:
    """Seconds until a newly scheduled outlet's first crawl: soon, at a random moment within a
    twentieth of its interval (at most MAX_SPREAD), a phase its later runs keep."""
    spread = 3.0
    if outlet.crontab is None:
        spread = min(parse_duration(outlet.every).total_seconds() / 20, MAX_SPREAD)
    return random.uniform(0, spread)


def _schedule_key(outlet: Outlet) -> tuple[str | None, str]:
    return (outlet.cron, outlet.every)


class CrawlScheduler:
    """Starts crawls; tells `on_stored` when a crawl stored articles (while it goes on) and
    `on_crawled` when one ended (or was handed to the workers)."""

    def __init__(
        self,
        settings: Settings,
        db: Database,
        config: Callable[[], Config],
        metrics: Metrics,
        *,
        log_level: str,
        frontier_prefix: str,
        on_stored: Callable[[], None],
        on_crawled: Callable[[], None],
    ) -> None:
        self.settings = settings
        self.db = db
        self.config = config
        self.metrics = metrics
        self.log_level = log_level
        self.frontier_prefix = frontier_prefix
        self.on_stored = on_stored
        self.on_crawled = on_crawled
        self.scheduler = AsyncIOScheduler(timezone=UTC)
        self.runner = crawl_runner(config(), log_level)
        self._runner_settings = config().crawl
        self.crawling: set[asyncio.Task[Any]] = set()
        self.last_crawl: dict[str, float] = {}  # outlet id -> time its last crawl ended
        self.templates: dict[str, OutletTemplate] = {}  # learned page templates, per outlet
        self.schedules: dict[str, tuple[str | None, str]] = {}
        self.stopping = False

    def start(self) -> None:
        self.scheduler.start()
        self.plan(self.config())

    def reconfigure(self, config: Config) -> None:
        """A new config is in force: new crawl settings for crawls that start from now on
        (running ones finish with theirs), and the schedules brought in line."""
        if config.crawl != self._runner_settings:
            self.runner = crawl_runner(config, self.log_level)
            self._runner_settings = config.crawl
        self.plan(config)

    def plan(self, config: Config) -> None:
        """Bring the scheduler's jobs in line with the config; unchanged schedules keep ticking."""
        wanted = {o.id: o for o in config.enabled_outlets}
        for outlet_id in set(self.schedules) - set(wanted):
            self.scheduler.remove_job(outlet_id)
            del self.schedules[outlet_id]
        for outlet in wanted.values():
            key = _schedule_key(outlet)
            if self.schedules.get(outlet.id) == key:
                continue
            first = self.schedules.get(outlet.id) is None
            self.scheduler.add_job(
                self._crawl_job,
                outlet_trigger(outlet),
                args=[outlet.id],
                id=outlet.id,
                name=f"crawl {outlet.id}",
                replace_existing=True,
                max_instances=1,  # the same outlet never crawls twice at once
                coalesce=True,  # runs missed while asleep or busy collapse into one
                misfire_grace_time=None,
                next_run_time=datetime.now(UTC) + timedelta(seconds=first_run_delay(outlet))
                if first
                else None,
            )
            self.schedules[outlet.id] = key

    async def stop(self, grace: float) -> None:
        """No more crawls start; running ones get `grace` seconds, then are cut short (what
        they did not reach is fetched next time)."""
        self.stopping = True
        self.scheduler.shutdown(wait=False)
        if not self.crawling:
            return
        _done, pending = await asyncio.wait(set(self.crawling), timeout=grace)
        if pending:
            log.warning(
                "stopping %d crawls still running; their pages are fetched next time", len(pending)
            )
            await self.runner.stop()
            await asyncio.wait(pending, timeout=5)

    async def _crawl_job(self, outlet_id: str) -> None:
        if self.stopping:
            return
        task = asyncio.current_task()
        assert task is not None
        self.crawling.add(task)
        try:
            await self._crawl_outlet(outlet_id)
        except Exception:
            log.exception("crawl of %s failed", outlet_id)
        finally:
            self.crawling.discard(task)

    async def _crawl_outlet(self, outlet_id: str) -> None:
        config = self.config()
        outlet = config.outlet(outlet_id)
        if outlet is None or not outlet.enabled:
            return
        if self.settings.redis_url:
            await self._hand_to_workers(outlet)
            return
        started = time.monotonic()
        stats: dict[str, Any] = {}
        runs = await crawl(
            self.runner,
            config,
            self.db,
            [outlet],
            self.settings.operator_chats,
            on_stats=stats.update,
            templates=self.templates,
            on_stored=self.on_stored,
        )
        self.metrics.crawl_seconds.observe(time.monotonic() - started)
        self.metrics.observe_crawl(runs, stats)
        self.last_crawl[outlet_id] = time.time()
        self.on_stored()  # whatever is still unmatched
        self.on_crawled()  # the crawl's notices to operators, too

    async def _hand_to_workers(self, outlet: Outlet) -> None:
        """Several machines share the crawl: queue the outlet's discovery for the workers."""
        assert self.settings.redis_url
        try:
            validators = await asyncio.to_thread(load_validators, self.db, [outlet.id])
        except SQLAlchemyError as exc:  # the database is away: read the sources in full
            log.warning("%s: validators not loaded: %s", outlet.id, type(exc).__name__)
            validators = {}
        queued = await asyncio.to_thread(
            enqueue_discovery,
            self.settings.redis_url,
            [outlet_spec(outlet, self.config().crawl)],
            self.frontier_prefix,
            validators,
        )
        self.metrics.crawls.labels(outlet.id, "queued").inc()
        log.info("%s: %d discovery requests queued for the workers", outlet.id, queued)
        self.on_crawled()  # the workers match as they store; their alerts go from here
