"""Everything one crawl shares between its components, in one typed object.

Scrapy components get what they need from the crawler (`from_crawler`): its settings, stats and
signals. The crawl's collaborators (the outlets, the article store, the per-outlet runs, learned
templates, kept robots.txt bodies and discovery validators) travel the same way: the process
that starts a crawl installs one `CrawlContext` in the crawler's settings before the crawl
starts, and each component takes it with `CrawlContext.from_crawler(crawler)`. Nothing is hung
on the spider.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from scrapy.crawler import Crawler

from crawler.crawl_ports import ArticleStore, Frontier
from crawler.outlet_run import OutletRun
from crawler.outlet_spec import OutletSpec
from crawler.page_template import OutletTemplate

CONTEXT_SETTING = "NEWSRADAR_CRAWL_CONTEXT"


@dataclass(frozen=True)
class Validators:
    """What a discovery URL answered last time, sent back to it as a conditional GET."""

    url: str
    outlet_id: str
    etag: str | None = None
    last_modified: str | None = None
    # Workers: the new article URLs this read led to. Other workers fetch them, so the
    # validators are sent back only once each of these is known (stored, or noted as textless).
    pending: tuple[str, ...] = ()


@dataclass
class RobotsMemory:
    """robots.txt bodies kept from earlier crawls (netloc -> body still fresh enough to obey),
    and those fetched in this one, for whoever keeps them."""

    kept: Mapping[str, bytes] = field(default_factory=dict)
    fetched: dict[str, bytes] = field(default_factory=dict)


def by_id(outlets: Sequence[OutletSpec]) -> dict[str, OutletSpec]:
    return {outlet.id: outlet for outlet in outlets}


def _forget(_validators: Sequence[Validators]) -> None:
    return None


@dataclass(repr=False)
class CrawlContext:
    outlets: Mapping[str, OutletSpec]
    store: ArticleStore | None = None  # None: a crawl that stores nothing (discovery only)
    runs: dict[str, OutletRun] = field(default_factory=dict)
    # Each outlet's learned page template; a long-running process passes the same mapping to
    # every crawl so that learning carries over.
    templates: dict[str, OutletTemplate] = field(default_factory=dict)
    robots: RobotsMemory = field(default_factory=RobotsMemory)
    validators: Mapping[str, Validators] = field(default_factory=dict)
    # Told the validators worth keeping, once the crawl has finished.
    save_validators: Callable[[Sequence[Validators]], None] = _forget
    max_articles_per_outlet: int = 200
    frontier: Frontier | None = None  # set by the shared frontier's scheduler
    draining: bool = False  # a frontier worker asked to stop: the spider may close when idle

    def __post_init__(self) -> None:
        for outlet_id in self.outlets:
            self.runs.setdefault(outlet_id, OutletRun(outlet_id))

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlContext:
        context = crawler.settings.get(CONTEXT_SETTING)
        if not isinstance(context, cls):
            raise RuntimeError(
                "no crawl context: install one with CrawlContext.install(crawler) before crawling"
            )
        return context

    def install(self, crawler: Crawler) -> None:
        """Hand this context to every component of the crawler (before its crawl starts)."""
        crawler.settings.set(CONTEXT_SETTING, self, priority="cmdline")

    def take_runs(self) -> dict[str, OutletRun]:
        """The runs so far; the crawl goes on counting into fresh ones (a worker records each
        period of its endless crawl as one run)."""
        runs, self.runs = self.runs, {o: OutletRun(o) for o in self.outlets}
        return runs

    def __repr__(self) -> str:  # Scrapy logs overridden settings: keep it one short line
        return f"CrawlContext({len(self.outlets)} outlets)"
