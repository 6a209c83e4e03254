"""The pipeline's throughput inside a running process, start-up excluded exactly.

    python -m bench.pipeline_probe WARM_UP_CONFIG_DIR CONFIG_DIR PAGES_JSON DATABASE_URL...

Runs the cycle `run-once` runs (crawl → extract → store → match → outbox → delivery) in one
process on one event loop, as `serve` does: first over the warm-up outlets (other pages, so that
every lazily loaded part has been loaded), then over the measured outlets once per DATABASE_URL
(each an empty database, so every round is a first crawl), timing those rounds only.

Extraction alone is measured page by page beside the pipeline: each page the pipeline extracts is
also extracted on its own, by itself, just before or just after (in turns), timed apart and taken
out of the round's time. This machine's speed drifts over seconds, so a separate pass over the
pages would see another machine; page by page, both see the same one. Last, Scrapy alone fetching
the pages (PAGES_JSON: a list of [url, html as latin-1 text]) with the crawl's settings and a
spider that does nothing with them. Prints one JSON line.
"""

from __future__ import annotations

import io
import json
import sys
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import scrapy
from scrapy.http import Response

import crawler.extract_pipeline
from crawler.extract import ExtractedArticle, extract_article
from newsradar.config import Config, load_config
from newsradar.database import Database
from newsradar.processes import event_loop
from newsradar.processes.crawling import crawl_runner, scrapy_settings
from newsradar.processes.run_once import cycle
from newsradar.settings import Settings


class PairedExtraction:
    """Stands in for the pipeline's extractor: extracts each page as asked, and once more alone."""

    def __init__(self, extract: Callable[..., ExtractedArticle | None]) -> None:
        self.extract = extract
        self.pages = 0
        self.cpu_s = 0.0
        self.wall_s = 0.0

    def __call__(self, html: bytes, url: str | None = None, **options: Any) -> Any:
        self.pages += 1
        alone_first = self.pages % 2 == 0
        if alone_first:
            self._alone(html, url)
        extracted = self.extract(html, url, **options)
        if not alone_first:
            self._alone(html, url)
        return extracted

    def _alone(self, html: bytes, url: str | None) -> None:
        cpu, wall = time.process_time(), time.perf_counter()
        self.extract(html, url)
        self.cpu_s += time.process_time() - cpu
        self.wall_s += time.perf_counter() - wall


def main(argv: list[str]) -> int:
    warm_up_dir, config_dir, pages_json, *database_urls = argv
    pages = [
        (url, html.encode("latin-1")) for url, html in json.loads(Path(pages_json).read_text())
    ]
    warm_up, config = load_config(Path(warm_up_dir)), load_config(Path(config_dir))
    databases = [Database(url) for url in database_urls]
    printed = io.StringIO()  # alerts go to digest chats: nothing is due, nothing is printed

    def settings(database_url: str) -> Settings:
        return Settings(config_dir=Path(config_dir), database_url=database_url)

    async def measured() -> tuple[list[dict[str, Any]], float]:
        first = settings(database_urls[0])
        await cycle(warm_up, first, databases[0], out=printed, print_only=True)
        rounds = []
        for url, db in zip(database_urls, databases, strict=True):
            paired = PairedExtraction(extract_article)
            crawler.extract_pipeline.extract_article = paired  # type: ignore[assignment]  # why: a deliberate monkey-patch: the pipeline calls a timing wrapper in place of the function
            cpu, wall = time.process_time(), time.perf_counter()
            report = await cycle(config, settings(url), db, out=printed, print_only=True)
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
            rounds.append(
                {
                    "articles": sum(run.articles for run in report.runs.values()),
                    "cpu_s": cpu - paired.cpu_s,  # the pipeline's own, the passes alone taken out
                    "wall_s": wall - paired.wall_s,
                    "pages_extracted": paired.pages,
                    "extraction_alone_cpu_s": paired.cpu_s,
                }
            )
        crawler.extract_pipeline.extract_article = extract_article
        return rounds, await _fetching_alone(config, [url for url, _ in pages])

    try:
        rounds, fetching = event_loop.run(measured)
    finally:
        for db in databases:
            db.close()
    print(json.dumps({"pages": len(pages), "rounds": rounds, "fetching_alone_cpu_s": fetching}))
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
    middlewares["crawler.middlewares.outlet_hosts.OutletHostsMiddleware"] = None
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


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
