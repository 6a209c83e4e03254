"""One generic spider for every configured outlet.

Discovery sources (feeds, sitemaps, listing pages) are fetched first; every candidate URL that is
on the outlet's hosts, matches its article pattern and is not already known becomes an article
request. What went right and wrong is kept per outlet in `OutletRun`, so that one broken outlet is
reported while the others go on.

Discovery URLs are fetched conditionally (If-None-Match / If-Modified-Since with the validators
they answered last time); a 304 means nothing new there and costs no parsing. The validators of a
crawl are handed back only when it finished and every page of the outlet was dealt with, so that
a crash or a failed page never hides articles behind a 304 on the next crawl.
"""

from __future__ import annotations

import asyncio
from collections.abc import (
    AsyncIterator,
    Callable,
    Collection,
    Iterable,
    Iterator,
    Mapping,
    Sequence,
)
from typing import Any, Self

import scrapy
from scrapy.crawler import Crawler
from scrapy.http import Response, TextResponse
from scrapy.linkextractors import LinkExtractor
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.gz import gunzip
from twisted.python.failure import Failure

from crawler.crawl_context import CrawlContext, Validators
from crawler.dedupe import canonical_url
from crawler.discovery import Candidate, DiscoveryError, parse_feed, parse_sitemap
from crawler.items import ArticleItem
from crawler.outlet_run import OutletRun
from crawler.outlet_spec import OutletSpec

DISCOVERY_PRIORITY = 10
# Above discovery: an article page found goes before its outlet's sources still waiting (a
# sitemap index's children, a listing page), so its alert does not wait for them. Which articles
# a crawl fetches is decided when they are found, not by this order.
ARTICLE_PRIORITY = 20
MAX_SITEMAP_DEPTH = 3
NOT_MODIFIED = 304


class OutletSpider(scrapy.Spider):
    name = "outlets"

    def __init__(self, context: CrawlContext, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.context = context
        self.allowed_domains = sorted({h for o in context.outlets.values() for h in o.hosts})
        self._fresh: dict[str, Validators] = {}
        self._queued: dict[str, set[str]] = {outlet_id: set() for outlet_id in context.outlets}

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Self:
        kwargs.setdefault("context", CrawlContext.from_crawler(crawler))
        spider: Self = super().from_crawler(crawler, *args, **kwargs)
        return spider

    @property
    def outlets(self) -> Mapping[str, OutletSpec]:
        return self.context.outlets

    @property
    def runs(self) -> dict[str, OutletRun]:
        return self.context.runs

    def _known_urls(self, urls: Collection[str]) -> set[str]:
        """Which of a source's URLs were seen before (one look-up per source, not per URL)."""
        store = self.context.store
        return store.known_urls(urls) if store is not None else set()

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for request in self.discovery_requests():
            yield request

    def discovery_requests(self) -> Iterator[scrapy.Request]:
        """Every outlet's feeds, sitemaps and listing pages: where a crawl starts."""
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
        headers = {}
        known = self.context.validators.get(url)
        if known is not None:
            if known.etag:
                headers["If-None-Match"] = known.etag
            if known.last_modified:
                headers["If-Modified-Since"] = known.last_modified
        return scrapy.Request(
            url,
            callback=callback,
            errback=self.source_failed,
            headers=headers,
            priority=DISCOVERY_PRIORITY,
            dont_filter=True,
            meta={
                "outlet": outlet.id,
                "source": True,
                "source_url": url,
                "handle_httpstatus_list": [NOT_MODIFIED],
                **meta,
            },
        )

    def _unchanged(self, response: Response) -> bool:
        """A 304: the source worked and has nothing new."""
        if response.status != NOT_MODIFIED:
            return False
        run = self.runs[response.meta["outlet"]]
        run.sources_ok += 1
        run.sources_unchanged += 1
        return True

    def _source_ok(self, response: Response) -> None:
        """A source read successfully: its validators serve the next crawl's conditional GET."""
        run = self.runs[response.meta["outlet"]]
        run.sources_ok += 1
        etag = response.headers.get("ETag")
        modified = response.headers.get("Last-Modified")
        if etag or modified:
            url = response.meta.get("source_url", response.url)
            self._fresh[url] = Validators(
                url,
                run.outlet_id,
                etag.decode("latin-1") if etag else None,
                modified.decode("latin-1") if modified else None,
            )

    # Discovery ---------------------------------------------------------------------------------

    async def parse_feed(self, response: Response) -> list[scrapy.Request]:
        run = self.runs[response.meta["outlet"]]
        if self._unchanged(response):
            return []
        try:
            candidates = parse_feed(response.body, response.url)
        except DiscoveryError as exc:
            run.source_errors.append(f"feed {response.url}: {exc}")
            return []
        self._source_ok(response)
        return await self._articles(response.meta["outlet"], candidates)

    async def parse_sitemap(self, response: Response) -> list[scrapy.Request]:
        outlet = self.outlets[response.meta["outlet"]]
        run = self.runs[outlet.id]
        if self._unchanged(response):
            return []
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
        if not content.sitemaps:
            self._source_ok(response)
        else:  # an index answering 304 would hide changed children: indexes are always fetched
            run.sources_ok += 1
        requests = await self._articles(outlet.id, content.pages)
        depth = response.meta.get("depth_in_index", 0)
        if depth < MAX_SITEMAP_DEPTH:
            for child in content.sitemaps:
                if outlet.owns(child):
                    requests.append(
                        self._discovery(child, outlet, self.parse_sitemap, depth_in_index=depth + 1)
                    )
        return requests

    async def parse_listing(self, response: Response) -> list[scrapy.Request]:
        outlet = self.outlets[response.meta["outlet"]]
        run = self.runs[outlet.id]
        if self._unchanged(response):
            return []
        if not isinstance(response, TextResponse):
            run.source_errors.append(f"listing page {response.url}: not an HTML page")
            return []
        self._source_ok(response)
        # Hosts are checked by the outlet itself: the extractor's domain filter counts ports.
        links = LinkExtractor(unique=True).extract_links(response)
        return await self._articles(outlet.id, [Candidate(link.url) for link in links])

    async def _articles(
        self, outlet_id: str, candidates: Sequence[Candidate]
    ) -> list[scrapy.Request]:
        """Requests for candidates that are new articles of this outlet, newest first.

        Which were seen before is asked in a thread: a database waiting on a lock must not
        stall the event loop every other crawl, the bot and delivery share."""
        outlet = self.outlets[outlet_id]
        queued = self._queued[outlet_id]
        dated = sorted(
            candidates,
            key=lambda c: c.published.timestamp() if c.published else float("-inf"),
            reverse=True,
        )
        fresh = [
            (url, candidate)
            for candidate in dated
            if outlet.is_article_url(url := canonical_url(candidate.url)) and url not in queued
        ]
        known = await asyncio.to_thread(self._known_urls, {url for url, _ in fresh})
        return list(self._new_article_requests(outlet_id, fresh, known))

    def _new_article_requests(
        self, outlet_id: str, fresh: Sequence[tuple[str, Candidate]], known: Collection[str]
    ) -> Iterator[scrapy.Request]:
        run = self.runs[outlet_id]
        queued = self._queued[outlet_id]
        for url, candidate in fresh:
            if url in queued:  # listed twice by this source
                continue
            run.candidates += 1
            if url in known:
                continue
            if len(queued) >= self.context.max_articles_per_outlet:
                run.capped = True
                break
            queued.add(url)
            run.new_urls += 1
            yield scrapy.Request(
                url,
                callback=self.parse_article,
                errback=self.page_failed,
                priority=ARTICLE_PRIORITY,
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
            content_type = (response.headers.get("Content-Type") or b"").decode("latin-1")
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

    # End -------------------------------------------------------------------------------------

    async def closed(self, reason: str) -> None:
        """Hand back the validators of outlets whose every new page was stored, recognised, or
        noted as without text (the store fetches it again when it is due and listed again):
        anything else, whatever its cause, is fetched again through a full read next time."""
        if reason != "finished":
            return
        await asyncio.to_thread(self._note_textless)
        complete = {outlet_id for outlet_id, run in self.runs.items() if run.complete}
        fresh = [v for v in self._fresh.values() if v.outlet_id in complete]
        if fresh:
            self.context.save_validators(fresh)

    def _note_textless(self) -> None:
        """Pages without text are fetched again only when due (see the article store), provided
        other pages of their outlet had text in this crawl; when none had, the outlet's layout
        has likely changed, and each page is fetched again on every crawl until it has text."""
        store = self.context.store
        if store is None:
            return
        for run in self.runs.values():
            if not run.textless or not (run.articles + run.duplicates):
                continue
            try:
                store.note_textless(run.outlet_id, run.textless)
            except Exception as exc:  # its sources are read in full next time: nothing is lost
                run.page_errors.append(f"pages without text not noted: {type(exc).__name__}")
            else:
                run.textless_noted = len(run.textless)

    # Failures ----------------------------------------------------------------------------------

    def source_failed(self, failure: Failure) -> None:
        request = failure.request  # type: ignore[attr-defined]  # why: Scrapy sets .request on the Failure it hands an errback; Failure does not declare it
        self.runs[request.meta["outlet"]].source_errors.append(
            f"{request.url}: {describe_failure(failure)}"
        )

    def page_failed(self, failure: Failure) -> None:
        request = failure.request  # type: ignore[attr-defined]  # why: Scrapy sets .request on the Failure it hands an errback; Failure does not declare it
        self.runs[request.meta["outlet"]].page_errors.append(
            f"{request.url}: {describe_failure(failure)}"
        )


def describe_failure(failure: Failure) -> str:
    """A short, human reason: 'HTTP 503', 'timed out', 'connection refused', ..."""
    if isinstance(failure.value, HttpError):
        return f"HTTP {failure.value.response.status}"
    name = type(failure.value).__name__
    message = failure.getErrorMessage().strip()
    if "Timeout" in name or "timed out" in message.lower():
        return "timed out"
    if name == "IgnoreRequest" or "Forbidden by robots.txt" in message:
        return message or "ignored"
    return f"{name}: {message}" if message else name
