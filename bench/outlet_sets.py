"""The outlet sets `bench.bench_workers` crawls, each with what its outlets saw of a crawl.

- `SyntheticSet`: `bench.outlets.SyntheticOutlets` (WordPress-style feeds and articles, one
  loopback address per outlet), optionally answering 429 (Retry-After: 1) to a request that
  comes when the outlet had `rate_limit` in the last second.
- `SampleSet`, the "done when" set: sample outlets in the three styles the demo serves
  (RebelMouse, WordPress, Wix: their feeds, sitemaps, listing and article pages), each on a
  loopback address of its own, with distinct new articles published on every one, answering 429
  to a request that arrives sooner than the outlet's limit after the previous one.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from bench.outlets import SyntheticOutlets, peak_rate
from newsradar.demo.content import SampleArticle
from newsradar.demo.outlet_routes import OUTLET_SPECS
from newsradar.demo.server import SampleOutlets, SampleSite
from tests.support.rate_limit import RateLimit
from tests.support.worker_cluster import publish_articles

STYLES = ("statecraft", "wp", "wix")  # RebelMouse, WordPress, Wix


class Observed(Protocol):
    """Running outlets: their config, the article URLs to fetch, and what they were asked."""

    def outlets_config(self, every: str = "15m") -> list[dict[str, object]]: ...
    def expected(self) -> set[str]: ...
    def too_many(self) -> int: ...  # 429 answers
    def not_once(self) -> int: ...  # article URLs asked other than exactly once (429s count)
    def peak_rate(self) -> int: ...  # the most requests one outlet got within a second
    def span(self) -> float: ...  # seconds from the first request the outlets saw to the last


@dataclass(frozen=True)
class OutletSet:
    style: str  # "synthetic" or "sample"
    outlets: int
    articles: int  # per outlet
    delay: float  # crawl.download_delay, seconds
    rate_limit: int | None = None  # synthetic: requests a second before 429
    min_gap: float | None = None  # sample: seconds between two requests before 429

    def describe(self) -> str:
        kind = (
            "sample outlets (RebelMouse, WordPress and Wix styles in turn)"
            if self.style == "sample"
            else "synthetic WordPress-style outlets"
        )
        if self.rate_limit is not None:
            limit = f"429 above {self.rate_limit} requests/s per outlet"
        elif self.min_gap is not None:
            limit = f"429 to a request sooner than {self.min_gap} s after the previous one"
        else:
            limit = "no rate limit"
        return (
            f"{self.outlets} {kind} × {self.articles} articles, download_delay {self.delay} s, "
            f"per_host_concurrency 2, {limit}"
        )

    def crawl(self) -> dict[str, object]:
        return {"download_delay": self.delay, "per_host_concurrency": 2, "timeout": "30s"}

    @contextlib.contextmanager
    def running(self) -> Iterator[Observed]:
        if self.style == "sample":
            with ManySampleOutlets(self.outlets, self.articles, self.min_gap or 0.0) as sample:
                yield sample
        else:
            with SyntheticSet(self.outlets, self.articles, rate_limit=self.rate_limit) as many:
                yield many


class SyntheticSet(SyntheticOutlets):
    def expected(self) -> set[str]:
        return {item.url for i in range(self.count) for item in self.outlet(i).items}

    def too_many(self) -> int:
        return self.counts.get("429", 0)

    def not_once(self) -> int:
        with self._lock:
            counts = dict(self.article_requests)
        return sum(1 for url in self.expected() if counts.get(url, 0) != 1)

    def span(self) -> float:
        with self._lock:
            times = [t for host in self.arrivals.values() for t in host]
        return max(times) - min(times) if times else 0.0


class _StyledSite(SampleSite):
    """A sample site of one style under an id of its own (the demo keys Wix paths on the id)."""

    def __init__(self, outlet_id: str, style: str, host: str, now: datetime) -> None:
        spec = OUTLET_SPECS[style]
        super().__init__(outlet_id, f"{spec.name} {outlet_id}", host, now, (), spec.route)
        self.style = style

    def article_path(self, article: SampleArticle) -> str:
        if self.style == "wix":
            return f"/post/{article.slug}"
        return f"{self.published(article):/%Y/%m/%d}/{article.slug}/"


class ManySampleOutlets(SampleOutlets):
    """`count` sample outlets, the styles in turn, `per_outlet` new articles each, answering 429
    to a request sooner than `min_gap` seconds after the previous one; started on enter."""

    def __init__(self, count: int, per_outlet: int, min_gap: float) -> None:
        self.now = datetime.now(UTC)
        self.styles = {f"{STYLES[i % 3]}{i}": STYLES[i % 3] for i in range(count)}
        self.sites = {
            outlet_id: _StyledSite(outlet_id, style, f"127.3.{i // 250}.{i % 250 + 1}", self.now)
            for i, (outlet_id, style) in enumerate(self.styles.items())
        }
        self.per_outlet = per_outlet
        self.limit = RateLimit(min_gap).install(self)
        self.published: dict[str, bool] = {}

    def __enter__(self) -> ManySampleOutlets:
        super().__enter__()
        ids = list(self.sites)
        self.published = publish_articles(self, len(ids) * self.per_outlet, outlet_ids=ids)
        return self

    def outlets_config(self, every: str = "15m") -> list[dict[str, object]]:
        config: list[dict[str, object]] = []
        for outlet_id, site in self.sites.items():
            spec = OUTLET_SPECS[self.styles[outlet_id]]
            config.append(
                {
                    "id": outlet_id,
                    "name": site.name,
                    "feeds": [site.base_url + p for p in spec.feeds],
                    "sitemaps": [site.base_url + p for p in spec.sitemaps],
                    "listing_pages": [site.base_url + p for p in spec.listing_pages],
                    "article_url_pattern": spec.article_url_pattern,
                    "every": every,
                }
            )
        return config

    def expected(self) -> set[str]:
        return set(self.published)

    def too_many(self) -> int:
        return sum(self.limit.refused.values())

    def not_once(self) -> int:
        counts: dict[str, int] = {}
        for site in self.sites.values():
            for path, n in site.requests().items():
                counts[site.base_url + path] = counts.get(site.base_url + path, 0) + n
        return sum(1 for url in self.published if counts.get(url, 0) != 1)

    def peak_rate(self) -> int:
        with self.limit.lock:
            logs = [list(times) for times in self.limit.arrivals.values()]
        return peak_rate(logs)

    def span(self) -> float:
        return self.limit.span()
