"""Running the crawl: Scrapy settings for polite crawling, and outlet health afterwards.

`crawl` runs on the event loop, so its own database work (what it loads before the spider starts,
what it saves after) goes to a thread: a lock wait there never stalls the loop's other work.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Collection, Mapping, Sequence
from importlib.metadata import version
from typing import Any
from urllib.parse import urlsplit

from scrapy.crawler import AsyncCrawlerRunner
from scrapy.settings import Settings

from crawler.crawl_context import CrawlContext, RobotsMemory, Validators, by_id
from crawler.outlet_budget import RESPONSE_SECONDS_SETTING
from crawler.outlet_run import OutletRun
from crawler.outlet_spec import Budget, OutletSpec
from crawler.page_template import OutletTemplate
from crawler.response_limits import MAX_HEADER_BYTES_SETTING, MAX_HEADER_LINES_SETTING
from crawler.spiders.outlet_spider import OutletSpider
from newsradar.config import Config, Outlet, parse_duration
from newsradar.config_models import CrawlSettings
from newsradar.database import Database, OutletHealth
from newsradar.database.article_store import ArticleStore, BackfillPolicy
from newsradar.database.discovery_cache import (
    load_robots,
    load_validators,
    save_robots,
    save_validators,
)
from newsradar.operations.outlet_health import record_health
from newsradar.processes.event_loop import ASYNCIO_REACTOR

log = logging.getLogger("newsradar")


def outlet_budget(outlet: Outlet, crawl: CrawlSettings) -> Budget:
    """The outlet's own budget, each field it leaves out the crawl-wide one."""
    own, shared = outlet.budget, crawl.budget
    return Budget(
        requests=own.requests or shared.requests,
        bytes=int((own.mb or shared.mb) * 1024 * 1024),
        seconds=parse_duration(own.time or shared.time).total_seconds(),
    )


def outlet_spec(outlet: Outlet, crawl: CrawlSettings | None = None) -> OutletSpec:
    return OutletSpec(
        id=outlet.id,
        name=outlet.name,
        feeds=tuple(outlet.feeds),
        sitemaps=tuple(outlet.sitemaps),
        listing_pages=tuple(outlet.listing_pages),
        article_url_pattern=outlet.article_url_pattern,
        content_xpath=outlet.content_xpath,
        remove_xpath=tuple(outlet.remove_xpath),
        budget=outlet_budget(outlet, crawl or CrawlSettings()),
    )


def user_agent(contact_url: str) -> str:
    return f"newsradar/{version('newsradar')} (+{contact_url})"


def scrapy_settings(config: Config, log_level: str) -> Settings:
    crawl = config.crawl
    return Settings(
        {
            "BOT_NAME": "newsradar",
            "USER_AGENT": user_agent(crawl.contact_url),
            "ROBOTSTXT_OBEY": True,
            "CONCURRENT_REQUESTS": 16,
            # Items are extracted and stored synchronously, so running many at once gains nothing,
            # and Scrapy starts this many tasks for every response, a 304 included.
            "CONCURRENT_ITEMS": 4,
            "CONCURRENT_REQUESTS_PER_DOMAIN": crawl.per_host_concurrency,
            # Scrapy's downloader-aware order, without its look at every waiting host per request.
            "SCHEDULER_PRIORITY_QUEUE": "crawler.host_queue.IdleHostFirstQueue",
            "DOWNLOAD_DELAY": crawl.download_delay,
            # On a shared frontier these are one budget per host for every worker (host_budget).
            "HOST_DELAY": crawl.download_delay,
            "HOST_CONCURRENCY": crawl.per_host_concurrency,
            "FRONTIER_SEEN_TTL": crawl.seen_url_window.total_seconds(),
            "AUTOTHROTTLE_ENABLED": True,
            "AUTOTHROTTLE_START_DELAY": max(crawl.download_delay, 0.1),
            "AUTOTHROTTLE_TARGET_CONCURRENCY": 1.0,
            "DOWNLOAD_TIMEOUT": parse_duration(crawl.timeout).total_seconds(),
            "DOWNLOAD_MAXSIZE": int(crawl.max_page_mb * 1024 * 1024),
            "DOWNLOAD_WARNSIZE": 0,
            "REDIRECT_MAX_TIMES": 5,
            "RETRY_TIMES": 2,
            "COOKIES_ENABLED": False,
            "TELNETCONSOLE_ENABLED": False,
            # No control port: it would run code sent to it by anyone who reads its job file.
            "REMOTE_CONTROL_ENABLED": False,
            "LOG_LEVEL": log_level,
            "LOG_INSTALL_ROOT_HANDLER": False,
            "TWISTED_REACTOR": ASYNCIO_REACTOR,
            # Response headers bounded in count and size (the body is bounded by DOWNLOAD_MAXSIZE).
            "DOWNLOAD_HANDLERS": {
                "http": "crawler.response_limits.BoundedHeadersDownloadHandler",
                "https": "crawler.response_limits.BoundedHeadersDownloadHandler",
            },
            MAX_HEADER_LINES_SETTING: crawl.max_header_lines,
            MAX_HEADER_BYTES_SETTING: crawl.max_header_kb * 1024,
            # A page's total time, its retries included (see OutletBudgetMiddleware).
            RESPONSE_SECONDS_SETTING: parse_duration(crawl.response_time).total_seconds(),
            "DOWNLOADER_MIDDLEWARES": {
                # First: an outlet whose budget is spent costs nothing more.
                "crawler.outlet_budget.OutletBudgetMiddleware": 50,
                "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
                "crawler.middlewares.robots_txt.SharedRobotsTxtMiddleware": 100,
                # After decompression (590): the size is the text's, not the compressed body's.
                "crawler.middlewares.robots_txt.RobotsTxtSizeMiddleware": 950,
                # Before robots.txt: a refused host is not even asked for its robots.txt. It
                # replaces Scrapy's offsite filter, which drops redirects without a report.
                "scrapy.downloadermiddlewares.offsite.OffsiteMiddleware": None,
                "crawler.middlewares.outlet_hosts.OutletHostsMiddleware": 60,
                "crawler.middlewares.redirect_loops.RedirectLoopMiddleware": 650,
                # Retries that honour a long Retry-After by leaving the page for a later run.
                "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
                "crawler.middlewares.retry_after.RetryAfterMiddleware": 550,
                # Last before the wire: on a shared frontier, each host's slot for every worker.
                "crawler.middlewares.shared_host_budget.SharedHostBudgetMiddleware": 990,
            },
            # Articles per transaction, and the longest the first of them waits for the rest
            # (see StorePipeline).
            "NEWSRADAR_STORE_BATCH": 16,
            "NEWSRADAR_STORE_WAIT": 0.25,
            "ITEM_PIPELINES": {
                "crawler.extract_pipeline.ExtractPipeline": 100,
                "crawler.store_pipeline.StorePipeline": 500,
            },
        }
    )


def crawl_runner(
    config: Config, log_level: str = "WARNING", extra: Mapping[str, Any] | None = None
) -> AsyncCrawlerRunner:
    """The runner every crawl of this process goes through (inside
    `newsradar.processes.event_loop.run`); `extra` settings go on top (a worker's frontier)."""
    if log_level != "DEBUG":
        # An unreachable outlet is reported once, by its outlet run; not also by each component.
        for component in ("robotstxt", "retry"):
            logging.getLogger(f"scrapy.downloadermiddlewares.{component}").setLevel(
                logging.CRITICAL
            )
    settings = scrapy_settings(config, log_level)
    if extra:
        settings.setdict(extra, priority="cmdline")
    return AsyncCrawlerRunner(settings)


def backfill_policy(config: Config, db: Database, outlets: Sequence[Outlet]) -> BackfillPolicy:
    """Which of these outlets' new articles may alert; outlets never crawled count as new."""
    with db.session() as session:
        known = {row.outlet_id for row in session.query(OutletHealth) if row.first_crawl_at}
    return BackfillPolicy(
        window={
            o.id: parse_duration(o.backfill) if o.backfill else config.crawl.backfill_window
            for o in outlets
        },
        first_crawl=frozenset(o.id for o in outlets if o.id not in known),
    )


async def crawl(
    runner: AsyncCrawlerRunner,
    config: Config,
    db: Database,
    outlets: Sequence[Outlet],
    operator_chats: Collection[int] = (),
    on_stats: Callable[[Mapping[str, Any]], None] | None = None,
    templates: dict[str, OutletTemplate] | None = None,
    on_stored: Callable[[], None] | None = None,
) -> dict[str, OutletRun]:
    """Crawl the given outlets once, store new articles, record each outlet's health.

    `templates` carries what was learned about each outlet's page template from one crawl to
    the next (a long-running process passes the same mapping every time); `on_stored` is told
    each time new articles are stored, while the crawl goes on. What is loaded before the spider
    starts and saved after it ends goes through a thread; the spider's look-ups of known URLs and
    the store pipeline's writes still run inside Scrapy, on the loop."""
    if not outlets:
        return {}
    policy = await asyncio.to_thread(backfill_policy, config, db, outlets)
    store = ArticleStore(db, policy, on_stored)
    validators = await asyncio.to_thread(load_validators, db, [o.id for o in outlets])
    robots = await asyncio.to_thread(load_robots, db, _netlocs(outlets), config.crawl.robots_window)
    fresh_validators: list[Validators] = []  # handed over as the spider closes; saved below
    context = CrawlContext(
        by_id([outlet_spec(o, config.crawl) for o in outlets]),
        store=store,
        templates=templates if templates is not None else {},
        robots=RobotsMemory(robots),
        validators=validators,
        save_validators=fresh_validators.extend,
    )
    crawler = runner.create_crawler(OutletSpider)
    context.install(crawler)
    await runner.crawl(crawler)
    runs = context.runs
    if fresh_validators:
        try:
            await asyncio.to_thread(save_validators, db, fresh_validators)
        except Exception:  # as when the spider saved them: the sources are read in full next time
            log.exception("validators not saved")
    await asyncio.to_thread(save_robots, db, context.robots.fetched)
    if on_stats is not None and crawler.stats is not None:
        on_stats(crawler.stats.get_stats())
    await asyncio.to_thread(store.finish, config.crawl.seen_url_window)
    for outlet in outlets:
        if outlet.id in runs:
            run = runs[outlet.id]
            (log.warning if run.failed else log.info)("%s", summary_line(run, outlet.name))
    await asyncio.to_thread(record_health, db, runs, config, operator_chats)
    return runs


def _netlocs(outlets: Sequence[Outlet]) -> set[str]:
    return {urlsplit(u).netloc for o in outlets for u in (*o.feeds, *o.sitemaps, *o.listing_pages)}


def summary_line(run: OutletRun, name: str) -> str:
    state = "FAILED" if run.failed else "ok"
    parts = [
        f"{run.outlet_id} ({name}): {state}",
        f"{run.new_urls} new URLs",
        f"{run.articles} articles stored",
    ]
    if run.duplicates:
        parts.append(f"{run.duplicates} duplicates")
    if run.pages_without_text:
        parts.append(f"{run.pages_without_text} pages without text")
    if run.error_summary:
        parts.append(f"error: {run.error_summary}")
    return ", ".join(parts)
