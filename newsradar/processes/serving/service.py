"""`newsradar serve`: the loops of `newsradar.processes.serving`, wired together here and only here.

Stored articles wake matching, queued alerts and operator notices wake delivery, a valid config
edit re-plans the crawl schedules; /healthz reads what each loop reports. SIGTERM or SIGINT stops
scheduling, gives running crawls and delivery rounds `grace` seconds to finish, and leaves
everything else in the outbox.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from crawler.frontier_queue import DEFAULT_PREFIX
from newsradar.config import Config
from newsradar.database import Database
from newsradar.operations.metrics import Metrics
from newsradar.processes.config_reload import ConfigWatcher
from newsradar.processes.serving.bot_loop import BotLoop
from newsradar.processes.serving.crawl_scheduler import CrawlScheduler
from newsradar.processes.serving.delivery_loop import DeliveryLoop, open_sender
from newsradar.processes.serving.health_endpoint import HealthEndpoint, ServiceFacts
from newsradar.processes.serving.match_loop import MatchLoop
from newsradar.processes.serving.reload_loop import ReloadLoop
from newsradar.processes.serving.telegram_health import TelegramHealth
from newsradar.settings import Settings

log = logging.getLogger("newsradar.serve")

# Threads for the loops' database work (`asyncio.to_thread`). While another process holds the
# database, each crawl ending and each delivery round waits in one of them; asyncio's default
# (CPUs + 4) would soon be all waiting, and the bot's and /healthz's reads queued behind them.
DATABASE_THREADS = 32


@dataclass(frozen=True)
class ServeOptions:
    metrics_host: str = "127.0.0.1"
    metrics_port: int | None = None
    grace: float = 20.0  # seconds a running crawl or send may take to finish after SIGTERM
    reload_interval: float = 1.0  # an edit is loaded after two identical looks
    delivery_interval: float = 5.0
    log_level: str = "WARNING"
    frontier_prefix: str = DEFAULT_PREFIX  # Redis keys of the shared frontier (with a Redis URL)


class Service:
    def __init__(
        self, settings: Settings, config: Config, db: Database, options: ServeOptions
    ) -> None:
        self.settings = settings
        self.options = options
        self.stopping = asyncio.Event()
        self.watcher = ConfigWatcher(config)
        self.metrics = Metrics()
        current = self.current_config
        self.telegram = TelegramHealth()
        self.delivery = DeliveryLoop(
            db,
            current,
            self.metrics,
            options.delivery_interval,
            self.stopping,
            telegram=self.telegram,
            resend_pause=settings.resend_pause,
        )
        self.matching = MatchLoop(db, current, self.metrics, on_queued=self.delivery.wake)
        self.crawls = CrawlScheduler(
            settings,
            db,
            current,
            self.metrics,
            log_level=options.log_level,
            frontier_prefix=options.frontier_prefix,
            on_stored=self.matching.soon,
            on_crawled=self.delivery.wake,
        )
        self.bot = BotLoop(settings, db, current, self.stopping, self.telegram)
        self.reload = ReloadLoop(
            self.watcher,
            db,
            settings.operator_chats,
            self.metrics,
            interval=options.reload_interval,
            stopping=self.stopping,
            on_change=self.crawls.reconfigure,
            on_notice=self.delivery.wake,
        )
        self.health = HealthEndpoint(db, self.metrics, self.facts)

    def current_config(self) -> Config:
        return self.watcher.current

    def facts(self) -> ServiceFacts:
        return ServiceFacts(
            stopping=self.stopping.is_set(),
            outlets_scheduled=len(self.crawls.schedules),
            crawls_running=len(self.crawls.crawling),
            config_error=self.reload.config_error,
            last_crawl=dict(self.crawls.last_crawl),
            telegram=self.telegram.state,
        )

    def stop(self) -> None:
        if not self.stopping.is_set():
            log.info("stop requested: finishing running crawls and sends")
        self.stopping.set()

    async def run(self) -> int:
        loop = asyncio.get_running_loop()
        loop.set_default_executor(
            ThreadPoolExecutor(max_workers=DATABASE_THREADS, thread_name_prefix="database")
        )
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self.stop)
        options = self.options
        if options.metrics_port is not None:
            await self.health.start(options.metrics_host, options.metrics_port)
        async with open_sender(self.settings.telegram_token, self.settings.telegram_api_url) as (
            sender,
            plain,
        ):
            self.matching.start()
            self.crawls.start()
            loops = [
                asyncio.create_task(self.delivery.run(sender, plain), name="delivery"),
                asyncio.create_task(self.reload.run(), name="config-reload"),
            ]
            bot = asyncio.create_task(self.bot.run(), name="bot")
            self._announce()
            await self.stopping.wait()
            await self.crawls.stop(options.grace)
            await self.matching.wait(options.grace)
            self.delivery.wake()
            _done, pending = await asyncio.wait(loops, timeout=options.grace)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
            await bot
        await self.health.stop()
        log.info("stopped")
        return 0

    def _announce(self) -> None:
        config, options = self.current_config(), self.options
        log.info(
            "serving %d outlets, %d watchlists%s",
            len(config.enabled_outlets),
            len(config.watchlists),
            f"; metrics on http://{options.metrics_host}:{options.metrics_port}"
            if options.metrics_port is not None
            else "",
        )
