"""The figures `serve` exposes on /metrics (Prometheus text format; served by
`newsradar.processes.serving.health_endpoint`).

Counters are fed from the outcome of each crawl, match and delivery step rather than from inside
the components, so the crawler and the notifier stay unaware of how they are observed.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)

from crawler.outlet_run import OutletRun

# One series per figure: the *_created companions only double the page.
disable_created_metrics()


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.crawls = Counter(
            "newsradar_crawls", "Outlet crawls by result", ["outlet", "result"], registry=r
        )
        self.crawl_seconds = Histogram(
            "newsradar_crawl_duration_seconds", "Wall time of one outlet crawl", registry=r
        )
        self.pages = Counter(
            "newsradar_pages_fetched", "Responses received, by HTTP status", ["status"], registry=r
        )
        self.articles = Counter(
            "newsradar_articles_extracted", "Articles extracted and stored", ["outlet"], registry=r
        )
        self.extraction_seconds = Counter(
            "newsradar_extraction_seconds",
            "CPU time spent extracting article text",
            registry=r,
        )
        self.pages_without_text = Counter(
            "newsradar_pages_without_text",
            "Article pages that yielded no text",
            ["outlet"],
            registry=r,
        )
        self.matches = Counter("newsradar_matches", "Watchlist matches", registry=r)
        self.alerts_queued_total = Counter(
            "newsradar_alerts_queued", "Alerts put in the outbox", registry=r
        )
        self.alerts_sent = Counter(
            "newsradar_alerts_sent", "Messages Telegram accepted", registry=r
        )
        self.alerts_failed = Counter(
            "newsradar_alerts_failed", "Messages given up on (rejected, chat gone)", registry=r
        )
        self.alerts_uncertain = Counter(
            "newsradar_alerts_uncertain",
            "Messages written to Telegram whose answer was lost (each sent once more at most)",
            registry=r,
        )
        self.alerts_printed = Counter(
            "newsradar_alerts_printed",
            "Messages printed instead of sent (no bot token)",
            registry=r,
        )
        self.outbox_pending = Gauge(
            "newsradar_outbox_pending", "Messages waiting in the outbox", registry=r
        )
        self.last_success = Gauge(
            "newsradar_outlet_last_success_timestamp_seconds",
            "Unix time of the outlet's last successful crawl",
            ["outlet"],
            registry=r,
        )
        self.config_reloads = Counter(
            "newsradar_config_reloads", "Config reloads by result", ["result"], registry=r
        )

    def observe_crawl(self, runs: Mapping[str, OutletRun], stats: Mapping[str, Any]) -> None:
        now = time.time()
        for run in runs.values():
            self.crawls.labels(run.outlet_id, "failed" if run.failed else "ok").inc()
            self.articles.labels(run.outlet_id).inc(run.articles)
            if run.pages_without_text:
                self.pages_without_text.labels(run.outlet_id).inc(run.pages_without_text)
            if not run.failed:
                self.last_success.labels(run.outlet_id).set(now)
        prefix = "downloader/response_status_count/"
        for key, value in stats.items():
            if key.startswith(prefix):
                self.pages.labels(key[len(prefix) :]).inc(value)
        self.extraction_seconds.inc(stats.get("newsradar/extraction_seconds", 0.0))

    def exposition(self) -> bytes:
        return generate_latest(self.registry)
