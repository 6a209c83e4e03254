"""Running the crawl: Scrapy settings for polite crawling, and outlet health afterwards."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from importlib.metadata import version

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

from crawler.outlet import OutletSpec
from crawler.spiders.outlet import OutletRun, OutletSpider
from newsradar.config import Config, Outlet, parse_duration
from newsradar.storage import Database, OutletHealth, utcnow
from newsradar.store import ArticleStore, BackfillPolicy


def outlet_spec(outlet: Outlet) -> OutletSpec:
    return OutletSpec(
        id=outlet.id,
        name=outlet.name,
        feeds=tuple(outlet.feeds),
        sitemaps=tuple(outlet.sitemaps),
        listing_pages=tuple(outlet.listing_pages),
        article_url_pattern=outlet.article_url_pattern,
        content_xpath=outlet.content_xpath,
        remove_xpath=tuple(outlet.remove_xpath),
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
            "CONCURRENT_REQUESTS_PER_DOMAIN": crawl.per_host_concurrency,
            "DOWNLOAD_DELAY": crawl.download_delay,
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
            "LOG_LEVEL": log_level,
            "LOG_INSTALL_ROOT_HANDLER": False,
            "DOWNLOADER_MIDDLEWARES": {
                "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
                "crawler.middlewares.SharedRobotsTxtMiddleware": 100,
            },
            "ITEM_PIPELINES": {
                "crawler.pipelines.ExtractPipeline": 100,
                "newsradar.store.StorePipeline": 500,
            },
        }
    )


def crawl(
    config: Config, db: Database, outlets: Sequence[Outlet], log_level: str = "WARNING"
) -> dict[str, OutletRun]:
    """Crawl the given outlets once, store new articles, record each outlet's health."""
    if not outlets:
        return {}
    with db.session() as session:
        known = {row.outlet_id for row in session.query(OutletHealth) if row.first_crawl_at}
    policy = BackfillPolicy(
        window={
            o.id: parse_duration(o.backfill) if o.backfill else config.crawl.backfill_window
            for o in outlets
        },
        first_crawl=frozenset(o.id for o in outlets if o.id not in known),
    )
    store = ArticleStore(db, policy)
    if log_level != "DEBUG":
        # An unreachable outlet is reported once, by its outlet run; not also by each component.
        for component in ("robotstxt", "retry"):
            logging.getLogger(f"scrapy.downloadermiddlewares.{component}").setLevel(
                logging.CRITICAL
            )
    process = CrawlerProcess(scrapy_settings(config, log_level))
    crawler = process.create_crawler(OutletSpider)
    process.crawl(
        crawler, outlets=[outlet_spec(o) for o in outlets], is_known=store.is_known, store=store
    )
    process.start()
    runs: dict[str, OutletRun] = crawler.spider.runs  # type: ignore[union-attr]
    record_health(db, runs)
    return runs


def record_health(db: Database, runs: dict[str, OutletRun]) -> None:
    now = utcnow()
    with db.session() as session, session.begin():
        for run in runs.values():
            health = session.get(OutletHealth, run.outlet_id) or OutletHealth(
                outlet_id=run.outlet_id, consecutive_failures=0, articles_total=0
            )
            session.add(health)
            health.last_run_at = now
            health.articles_last_run = run.articles
            health.articles_total = (health.articles_total or 0) + run.articles
            health.pages_without_text_last_run = run.pages_without_text
            if run.failed:
                health.consecutive_failures = (health.consecutive_failures or 0) + 1
            else:
                health.consecutive_failures = 0
                health.last_success_at = now
                health.first_crawl_at = health.first_crawl_at or now
            if run.error_summary:
                health.last_error = run.error_summary
                health.last_error_at = now


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
