"""`newsradar serve`: the long-running service.

One event loop (see `newsradar.processes.event_loop`) runs all of it: the scheduler starts each
outlet's crawl on its own schedule, articles are matched as soon as a crawl has stored them (and
once more when it ends), delivery rounds drain the outbox at Telegram's pace, the bot answers
commands, the config directory is watched for edits, and /metrics and /healthz are served on a
local port. SIGTERM or SIGINT stops scheduling, gives the running crawls and sends a bounded time
to finish, and leaves everything else in the outbox.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import logging
import random
import signal
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import func, select
from telegram.error import TelegramError
from telegram.ext import Application

from crawler.frontier_queue import DEFAULT_PREFIX, enqueue_discovery
from crawler.page_template import OutletTemplate
from newsradar.config import Config, ConfigError, Outlet, parse_duration
from newsradar.database import Database, OutboxRow
from newsradar.database.bot_backend import DatabaseBackend
from newsradar.database.match_store import MatchStore
from newsradar.database.outbox_store import OutboxStore
from newsradar.operations.metrics import Metrics, start_http
from newsradar.operations.operator_notices import queue_notice
from newsradar.processes.config_reload import ConfigWatcher
from newsradar.processes.crawling import crawl, crawl_runner, outlet_spec
from newsradar.settings import Settings
from notifier.alert_queue import AlertQueue
from notifier.bot import build_bot
from notifier.delivery import deliver_pending
from notifier.outbox_states import OutboxStatus
from notifier.sender import Sender, StdoutSender, TelegramSender

log = logging.getLogger("newsradar.serve")

MAX_SPREAD = 30.0  # seconds over which outlets that share a schedule start


@dataclass(frozen=True)
class ServeOptions:
    metrics_host: str = "127.0.0.1"
    metrics_port: int | None = None
    grace: float = 20.0  # seconds a running crawl or send may take to finish after SIGTERM
    reload_interval: float = 1.0  # an edit is loaded after two identical looks
    delivery_interval: float = 5.0
    log_level: str = "WARNING"
    frontier_prefix: str = DEFAULT_PREFIX  # Redis keys of the shared frontier (with a Redis URL)


def outlet_trigger(outlet: Outlet) -> BaseTrigger:
    """The outlet's schedule, to the second: a run's jitter would carry into every later run
    (each is due an interval after the last) and stretch the period. Outlets sharing a schedule
    are kept apart by when each first runs instead (`first_run_delay`)."""
    if outlet.crontab is not None:
        return CronTrigger.from_crontab(outlet.crontab, timezone=UTC)
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


class Service:
    def __init__(
        self, settings: Settings, config: Config, db: Database, options: ServeOptions
    ) -> None:
        self.settings = settings
        self.db = db
        self.options = options
        self.watcher = ConfigWatcher(config)
        self.metrics = Metrics()
        self.scheduler = AsyncIOScheduler(timezone=UTC)
        self.runner = crawl_runner(config, options.log_level)
        self.runner_crawl_settings = config.crawl
        self.stopping = asyncio.Event()
        self.deliver_now = asyncio.Event()
        self.crawling: set[asyncio.Task[Any]] = set()
        self.started = time.time()
        self.last_crawl: dict[str, float] = {}
        self.config_error: str | None = None
        self.templates: dict[str, OutletTemplate] = {}  # learned page templates, per outlet
        self._schedules: dict[str, tuple[str | None, str]] = {}
        self._alerts: AlertQueue | None = None
        self._match_due = False

    @property
    def config(self) -> Config:
        return self.watcher.current

    def stop(self) -> None:
        if not self.stopping.is_set():
            log.info("stop requested: finishing running crawls and sends")
        self.stopping.set()

    async def run(self) -> int:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self.stop)
        http = None
        if self.options.metrics_port is not None:
            http = await start_http(
                self.metrics, self.health, self.options.metrics_host, self.options.metrics_port
            )
        async with self._sender() as sender:
            self.scheduler.start()
            self._schedule(self.config)
            workers = [
                asyncio.create_task(self._deliver_loop(sender), name="delivery"),
                asyncio.create_task(self._reload_loop(), name="config-reload"),
            ]
            bot = asyncio.create_task(self._bot_loop(), name="bot")
            log.warning(
                "serving %d outlets, %d watchlists%s",
                len(self.config.enabled_outlets),
                len(self.config.watchlists),
                f"; metrics on http://{self.options.metrics_host}:{self.options.metrics_port}"
                if http
                else "",
            )
            await self.stopping.wait()
            self.scheduler.shutdown(wait=False)
            await self._finish_crawls()
            self.deliver_now.set()
            _done, pending = await asyncio.wait(workers, timeout=self.options.grace)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
            await bot
        if http is not None:
            await http.cleanup()
        log.warning("stopped")
        return 0

    # -- crawling -------------------------------------------------------------------------

    def _schedule(self, config: Config) -> None:
        """Bring the scheduler's jobs in line with the config; unchanged schedules keep ticking."""
        wanted = {o.id: o for o in config.enabled_outlets}
        for outlet_id in set(self._schedules) - set(wanted):
            self.scheduler.remove_job(outlet_id)
            del self._schedules[outlet_id]
        for outlet in wanted.values():
            key = _schedule_key(outlet)
            if self._schedules.get(outlet.id) == key:
                continue
            first = self._schedules.get(outlet.id) is None
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
            self._schedules[outlet.id] = key

    async def _crawl_job(self, outlet_id: str) -> None:
        if self.stopping.is_set():
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
        config = self.config
        outlet = config.outlet(outlet_id)
        if outlet is None or not outlet.enabled:
            return
        if self.settings.redis_url:
            # Several machines share the crawl: hand the outlet's discovery to the workers.
            queued = await asyncio.to_thread(
                enqueue_discovery,
                self.settings.redis_url,
                [outlet_spec(outlet)],
                self.options.frontier_prefix,
            )
            self.metrics.crawls.labels(outlet_id, "queued").inc()
            log.info("%s: %d discovery requests queued for the workers", outlet_id, queued)
            self.deliver_now.set()  # the workers match as they store; their alerts go from here
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
            on_stored=self._match_soon,
        )
        self.metrics.crawl_seconds.observe(time.monotonic() - started)
        self.metrics.observe_crawl(runs, stats)
        self.last_crawl[outlet_id] = time.time()
        self._match()
        self.deliver_now.set()  # the crawl's notices to operators, too

    # -- matching -------------------------------------------------------------------------

    def _match_soon(self) -> None:
        """Articles were stored: match them once the pipeline that stored them has returned
        (several stores before then make one round)."""
        if not self._match_due:
            self._match_due = True
            asyncio.get_running_loop().call_soon(self._match)

    def _match(self) -> None:
        """Match what is pending and wake delivery; what fails waits for the next round."""
        self._match_due = False
        watchlists = self.config.watchlists
        if self._alerts is None or self._alerts.config_watchlists is not watchlists:
            self._alerts = AlertQueue(MatchStore(self.db), watchlists)  # once per watchlist edit
        try:
            report = self._alerts.process_pending()
        except Exception:
            log.exception("matching failed; the articles are matched in the next round")
            return
        self.metrics.matches.inc(report.matches)
        self.metrics.alerts_queued_total.inc(report.alerts_queued)
        if report.alerts_queued:
            self.deliver_now.set()

    async def _finish_crawls(self) -> None:
        if not self.crawling:
            return
        _done, pending = await asyncio.wait(set(self.crawling), timeout=self.options.grace)
        if pending:
            log.warning(
                "stopping %d crawls still running; their pages are fetched next time", len(pending)
            )
            await self.runner.stop()
            await asyncio.wait(pending, timeout=5)

    # -- delivery -------------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def _sender(self) -> AsyncIterator[tuple[Sender, bool]]:
        if not self.settings.telegram_token:
            yield StdoutSender(sys.stdout), True
            return
        async with TelegramSender(
            self.settings.telegram_token, self.settings.telegram_api_url
        ) as sender:
            yield sender, False

    async def _deliver_loop(self, sender_and_mode: tuple[Sender, bool]) -> None:
        """A delivery round whenever alerts are queued, and every `delivery_interval` besides.

        Rounds overlap: one still waiting on a slow chat (a group's pace, a flood wait) does not
        hold back the next, which leaves that chat to it (each chat has one sender at a time)
        and sends the others' new alerts. After a stop, one last round, and the running ones
        are given the rest of the grace time."""
        sender, plain = sender_and_mode
        rounds: set[asyncio.Task[None]] = set()
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    self.deliver_now.wait(), timeout=self.options.delivery_interval
                )
            self.deliver_now.clear()
            delivery = asyncio.create_task(self._deliver_round(sender, plain))
            rounds.add(delivery)
            delivery.add_done_callback(rounds.discard)
            if self.stopping.is_set():
                await asyncio.gather(*rounds)
                return

    async def _deliver_round(self, sender: Sender, plain: bool) -> None:
        try:
            names = {o.id: o.name for o in self.config.outlets}
            report = await deliver_pending(
                OutboxStore(self.db), sender, outlet_names=names, plain=plain
            )
            self.metrics.outbox_pending.set(self._pending())
        except Exception:
            log.exception("delivery round failed; the outbox keeps every message")
            return
        self.metrics.alerts_sent.inc(report.sent)
        self.metrics.alerts_failed.inc(report.failed)
        if report.sent:
            # Alerts queued meanwhile for the chats this round held were left to it: another
            # round takes them now, not at the next tick.
            self.deliver_now.set()

    def _pending(self) -> int:
        with self.db.session() as session:
            return (
                session.scalar(
                    select(func.count())
                    .select_from(OutboxRow)
                    .where(OutboxRow.status == OutboxStatus.PENDING)
                )
                or 0
            )

    # -- the bot ---------------------------------------------------------------------------

    async def _bot_loop(self) -> None:
        """Answer commands until stopped; if Telegram cannot be reached, keep trying meanwhile."""
        if not self.settings.telegram_token:
            return
        backend = DatabaseBackend(self.db, lambda: self.config)
        delay = 1.0
        while not self.stopping.is_set():
            app = build_bot(
                self.settings.telegram_token,
                self.settings.telegram_api_url,
                backend,
                self.settings.operator_chats,
            )
            try:
                await app.initialize()
                await app.start()
                assert app.updater is not None
                await app.updater.start_polling(poll_interval=0.0, timeout=10)
            except TelegramError as exc:
                log.warning("bot: Telegram unreachable (%s); retrying in %.0f s", exc, delay)
                await self._shut(app)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.stopping.wait(), timeout=delay)
                delay = min(delay * 2, 60.0)
                continue
            log.info("bot: answering commands")
            await self.stopping.wait()
            await self._shut(app)
            return

    @staticmethod
    async def _shut(app: Application) -> None:
        with contextlib.suppress(Exception):
            if app.updater is not None and app.updater.running:
                await app.updater.stop()
            if app.running:
                await app.stop()
            await app.shutdown()

    # -- configuration ----------------------------------------------------------------------

    async def _reload_loop(self) -> None:
        while not self.stopping.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stopping.wait(), timeout=self.options.reload_interval)
            if self.stopping.is_set():
                return
            self.reload()

    def reload(self) -> None:
        try:
            config = self.watcher.poll()
        except ConfigError as exc:
            self._refuse(exc)
            return
        if config is None:
            return
        self.config_error = None
        if config.crawl != self.runner_crawl_settings:
            # Crawls already running finish with the settings they started with.
            self.runner = crawl_runner(config, self.options.log_level)
            self.runner_crawl_settings = config.crawl
        self._schedule(config)
        self.metrics.config_reloads.labels("ok").inc()
        log.warning(
            "configuration reloaded: %d outlets, %d watchlists",
            len(config.enabled_outlets),
            len(config.watchlists),
        )

    def _refuse(self, exc: ConfigError) -> None:
        self.metrics.config_reloads.labels("refused").inc()
        problems = [str(p) for p in exc.problems]
        self.config_error = "; ".join(problems)
        log.error(
            "configuration edit refused, the previous configuration stays in force:\n  %s",
            "\n  ".join(problems),
        )
        queue_notice(
            self.db,
            self.settings.operator_chats,
            "<b>Configuration edit refused</b>; the previous configuration stays in force.\n"
            + "\n".join(f"• {html.escape(p)}" for p in problems),
        )
        self.deliver_now.set()

    # -- health -----------------------------------------------------------------------------

    def health(self) -> dict[str, Any]:
        try:
            pending = self._pending()
            database = "ok"
        except Exception as exc:  # a health check reports, it does not raise
            pending, database = None, type(exc).__name__
        return {
            "ok": database == "ok" and not self.stopping.is_set(),
            "uptime_seconds": round(time.time() - self.started, 1),
            "database": database,
            "outlets_scheduled": len(self._schedules),
            "crawls_running": len(self.crawling),
            "outbox_pending": pending,
            "config_error": self.config_error,
            "last_crawl": {
                k: datetime.fromtimestamp(v, UTC).isoformat() for k, v in self.last_crawl.items()
            },
        }
