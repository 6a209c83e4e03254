"""The pipeline's throughput inside a running process, start-up excluded exactly.

    python -m bench.pipeline_probe WARM_UP_CONFIG_DIR CONFIG_DIR DATABASE_URL PAGES_JSON

Runs the cycle `run-once` runs (crawl → extract → store → match → outbox → delivery), twice in
one process on one event loop, as `serve` does: first over the warm-up outlets (other pages, so
that every lazily loaded part has been loaded), then over the measured outlets, timing only the
second. Then, in the same process, the floors under it: Scrapy alone fetching the article pages
those outlets serve (PAGES_JSON: a list of [url, html as latin-1 text]) with the crawl's settings
and a spider that does nothing with them, and extraction alone over the same pages, twice, so that
the ratios compare like with like on a noisy machine. Prints one JSON line.
"""

from __future__ import annotations

import io
import json
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import scrapy
from scrapy.http import Response

from crawler.extract import extract_article
from newsradar import loop
from newsradar.config import Config, load_config
from newsradar.crawl import crawl_runner, scrapy_settings
from newsradar.cycle import CycleReport, cycle
from newsradar.settings import Settings
from newsradar.storage import Database


def main(argv: list[str]) -> int:
    warm_up_dir, config_dir, database_url, pages_json = argv
    pages = [
        (url, html.encode("latin-1")) for url, html in json.loads(Path(pages_json).read_text())
    ]
    warm_up, config = load_config(Path(warm_up_dir)), load_config(Path(config_dir))
    settings = Settings(config_dir=Path(config_dir), database_url=database_url)
    db = Database(database_url)
    printed = io.StringIO()  # alerts go to digest chats: nothing is due, nothing is printed

    async def measured() -> tuple[CycleReport, float, float, float]:
        await cycle(warm_up, settings, db, out=printed, print_only=True)
        cpu, wall = time.process_time(), time.perf_counter()
        report = await cycle(config, settings, db, out=printed, print_only=True)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        return report, cpu, wall, await _fetching_alone(config, [url for url, _ in pages])

    try:
        report, cpu, wall, fetching = loop.run(measured)
    finally:
        db.close()
    articles = sum(run.articles for run in report.runs.values())
    print(
        json.dumps(
            {
                "articles": articles,
                "cpu_s": cpu,
                "wall_s": wall,
                "pages": len(pages),
                "fetching_alone_cpu_s": fetching,
                "extraction_alone_cpu_s": [extraction_seconds(pages) for _ in range(2)],
            }
        )
    )
    return 0


class _FetchOnly(scrapy.Spider):
    """Fetches the pages it is given and does nothing with them."""

    name = "fetch-only"

    def __init__(self, urls: list[str], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.urls = urls

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for url in self.urls:
            yield scrapy.Request(url, callback=self.parse, dont_filter=True)

    def parse(self, response: Response) -> None:
        return None


async def _fetching_alone(config: Config, urls: list[str]) -> float:
    """CPU seconds of Scrapy fetching `urls` with the crawl's settings, less what only outlets
    need (robots.txt, which these hosts answered already, and the outlet host guard)."""
    middlewares = scrapy_settings(config, "WARNING").getdict("DOWNLOADER_MIDDLEWARES")
    middlewares["crawler.middlewares.OutletHostsMiddleware"] = None
    runner = crawl_runner(
        config,
        extra={
            "ROBOTSTXT_OBEY": False,
            "DOWNLOADER_MIDDLEWARES": middlewares,
            "ITEM_PIPELINES": {},
        },
    )
    crawler = runner.create_crawler(_FetchOnly)
    started = time.process_time()
    await runner.crawl(crawler, urls=urls)
    return time.process_time() - started


def extraction_seconds(pages: list[tuple[str, bytes]]) -> float:
    """CPU seconds of extracting every page once."""
    started = time.process_time()
    for url, html in pages:
        extract_article(html, url)
    return time.process_time() - started


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
