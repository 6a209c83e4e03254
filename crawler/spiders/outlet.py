"""One generic spider for every configured outlet.

Discovery sources (feeds, sitemaps, listing pages) are fetched first; every candidate URL that is
on the outlet's hosts, matches its article pattern and is not already known becomes an article
request. What went right and wrong is kept per outlet in `OutletRun`, so that one broken outlet is
reported while the others go on.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import scrapy
from scrapy.http import Response, TextResponse
from scrapy.linkextractors import LinkExtractor
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.gz import gunzip
from twisted.python.failure import Failure

from crawler.dedupe import canonical_url
from crawler.discovery import Candidate, DiscoveryError, parse_feed, parse_sitemap
from crawler.items import ArticleItem
from crawler.outlet import OutletSpec

DISCOVERY_PRIORITY = 10
MAX_SITEMAP_DEPTH = 3


@dataclass
class OutletRun:
    """One outlet's share of a crawl."""

    outlet_id: str
    sources_ok: int = 0
    source_errors: list[str] = field(default_factory=list)
    candidates: int = 0
    new_urls: int = 0
    pages_fetched: int = 0
    page_errors: list[str] = field(default_factory=list)
    pages_without_text: int = 0
    articles: int = 0
    duplicates: int = 0

    @property
    def failed(self) -> bool:
        """Nothing could be discovered: every source failed."""
        return self.sources_ok == 0 and bool(self.source_errors)

    @property
    def error_summary(self) -> str | None:
        errors = self.source_errors + self.page_errors
        if not errors:
            return None
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        return errors[0] + more


def never_seen(_url: str) -> bool:
    return False


class OutletSpider(scrapy.Spider):
    name = "outlets"

    def __init__(
        self,
        outlets: Sequence[OutletSpec],
        is_known: Callable[[str], bool] = never_seen,
        max_articles_per_outlet: int = 200,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.outlets = {outlet.id: outlet for outlet in outlets}
        self.is_known = is_known
        self.max_articles_per_outlet = max_articles_per_outlet
        self.runs = {outlet.id: OutletRun(outlet.id) for outlet in outlets}
        self.allowed_domains = sorted({host for o in outlets for host in o.hosts})
        self._queued: dict[str, set[str]] = {outlet.id: set() for outlet in outlets}

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for outlet in self.outlets.values():
            for url in outlet.feeds:
                yield self._discovery(url, outlet, self.parse_feed)
            for url in outlet.sitemaps:
                yield self._discovery(url, outlet, self.parse_sitemap, depth=0)
            for url in outlet.listing_pages:
                yield self._discovery(url, outlet, self.parse_listing)

    def _discovery(
        self, url: str, outlet: OutletSpec, callback: Callable[..., Any], **meta: Any
    ) -> scrapy.Request:
        return scrapy.Request(
            url,
            callback=callback,
            errback=self.source_failed,
            priority=DISCOVERY_PRIORITY,
            dont_filter=True,
            meta={"outlet": outlet.id, "source": True, **meta},
        )

    # Discovery ---------------------------------------------------------------------------------

    def parse_feed(self, response: Response) -> Iterable[scrapy.Request]:
        run = self.runs[response.meta["outlet"]]
        try:
            candidates = parse_feed(response.body, response.url)
        except DiscoveryError as exc:
            run.source_errors.append(f"feed {response.url}: {exc}")
            return []
        run.sources_ok += 1
        return self._articles(response.meta["outlet"], candidates)

    def parse_sitemap(self, response: Response) -> Iterable[scrapy.Request]:
        outlet = self.outlets[response.meta["outlet"]]
        run = self.runs[outlet.id]
        body = response.body
        if body[:2] == b"\x1f\x8b":
            try:
                body = gunzip(body, max_size=self.settings.getint("DOWNLOAD_MAXSIZE") or 0)
            except (OSError, ValueError) as exc:
                run.source_errors.append(f"sitemap {response.url}: bad gzip: {exc}")
                return []
        try:
            content = parse_sitemap(body)
        except DiscoveryError as exc:
            run.source_errors.append(f"sitemap {response.url}: {exc}")
            return []
        run.sources_ok += 1
        requests = list(self._articles(outlet.id, content.pages))
        depth = response.meta.get("depth_in_index", 0)
        if depth < MAX_SITEMAP_DEPTH:
            for child in content.sitemaps:
                if outlet.owns(child):
                    requests.append(
                        self._discovery(child, outlet, self.parse_sitemap, depth_in_index=depth + 1)
                    )
        return requests

    def parse_listing(self, response: Response) -> Iterable[scrapy.Request]:
        outlet = self.outlets[response.meta["outlet"]]
        run = self.runs[outlet.id]
        if not isinstance(response, TextResponse):
            run.source_errors.append(f"listing page {response.url}: not an HTML page")
            return []
        run.sources_ok += 1
        # Hosts are checked by the outlet itself: the extractor's domain filter counts ports.
        links = LinkExtractor(unique=True).extract_links(response)
        return self._articles(outlet.id, [Candidate(link.url) for link in links])

    def _articles(
        self, outlet_id: str, candidates: Sequence[Candidate]
    ) -> Iterable[scrapy.Request]:
        """Requests for candidates that are new articles of this outlet, newest first."""
        outlet = self.outlets[outlet_id]
        run = self.runs[outlet_id]
        queued = self._queued[outlet_id]
        dated = sorted(
            candidates,
            key=lambda c: c.published.timestamp() if c.published else float("-inf"),
            reverse=True,
        )
        for candidate in dated:
            url = canonical_url(candidate.url)
            if not outlet.is_article_url(url) or url in queued:
                continue
            run.candidates += 1
            if self.is_known(url):
                continue
            if len(queued) >= self.max_articles_per_outlet:
                break
            queued.add(url)
            run.new_urls += 1
            yield scrapy.Request(
                url,
                callback=self.parse_article,
                errback=self.page_failed,
                meta={
                    "outlet": outlet_id,
                    "hint_published": candidate.published,
                    "hint_title": candidate.title,
                },
            )

    # Articles ----------------------------------------------------------------------------------

    def parse_article(self, response: Response) -> Iterable[ArticleItem]:
        run = self.runs[response.meta["outlet"]]
        run.pages_fetched += 1
        if not isinstance(response, TextResponse):
            content_type = response.headers.get("Content-Type", b"").decode("latin-1")
            run.page_errors.append(
                f"{response.url}: not an HTML page ({content_type or 'no type'})"
            )
            return
        yield ArticleItem(
            outlet_id=run.outlet_id,
            url=response.url,
            requested_url=response.request.url if response.request else response.url,
            html=response.body,
            encoding=response.encoding,
            hint_published=response.meta.get("hint_published"),
            hint_title=response.meta.get("hint_title"),
        )

    # Failures ----------------------------------------------------------------------------------

    def source_failed(self, failure: Failure) -> None:
        request = failure.request  # type: ignore[attr-defined]
        self.runs[request.meta["outlet"]].source_errors.append(
            f"{request.url}: {describe_failure(failure)}"
        )

    def page_failed(self, failure: Failure) -> None:
        request = failure.request  # type: ignore[attr-defined]
        self.runs[request.meta["outlet"]].page_errors.append(
            f"{request.url}: {describe_failure(failure)}"
        )


def describe_failure(failure: Failure) -> str:
    """A short, human reason: 'HTTP 503', 'timed out', 'connection refused', ..."""
    if failure.check(HttpError):
        return f"HTTP {failure.value.response.status}"
    name = type(failure.value).__name__
    message = failure.getErrorMessage().strip()
    if "Timeout" in name or "timed out" in message.lower():
        return "timed out"
    if name == "IgnoreRequest" or "Forbidden by robots.txt" in message:
        return message or "ignored"
    return f"{name}: {message}" if message else name
