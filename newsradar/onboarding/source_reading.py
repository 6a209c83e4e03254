"""Reading an outlet's sources as a crawl does (the parsers of `crawler.discovery`), keeping
what each one lists: feeds, sitemaps (indexes followed, within bounds) and listing pages."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from scrapy.linkextractors import LinkExtractor
from scrapy.utils.gz import gunzip

from crawler.discovery import Candidate, DiscoveryError, parse_feed, parse_sitemap
from crawler.spiders.fetch_spider import Fetched
from crawler.spiders.outlet_spider import MAX_SITEMAP_DEPTH
from newsradar.onboarding.site_probe import SiteProbe

MAX_CHILD_SITEMAPS = 8  # children read per sitemap index (those named for posts or news first)
MAX_LINKS = 5_000  # links read per listing page
NEWS_NAMESPACE = b"google.com/schemas/sitemap-news"
_PREFERRED_CHILDREN = ("news", "post", "article", "blog", "story")


@dataclass
class SourceListing:
    kind: str  # "feed", "sitemap" or "listing page"
    url: str
    candidates: list[Candidate] = field(default_factory=list)
    error: str | None = None
    news: bool = False  # a news sitemap
    news_children: list[str] = field(default_factory=list)  # an index: its news sitemaps
    sitemaps_read: int = 0  # an index: child sitemaps read
    sitemaps_left: int = 0  # an index: child sitemaps not read (bounds)

    @property
    def urls(self) -> list[str]:
        return [c.url for c in self.candidates]


async def read_feeds(probe: SiteProbe, urls: Sequence[str]) -> list[SourceListing]:
    fetched = await probe.fetch(urls)
    return [_feed(fetched[url]) for url in urls if url in fetched]


def _feed(answer: Fetched) -> SourceListing:
    listing = SourceListing("feed", answer.url)
    if not answer.ok:
        listing.error = answer.error or f"HTTP {answer.status}"
        return listing
    try:
        listing.candidates = parse_feed(answer.body, answer.final_url or answer.url)
    except DiscoveryError as exc:
        listing.error = str(exc)[:200]
    return listing


async def read_sitemaps(
    probe: SiteProbe, urls: Sequence[str], max_bytes: int
) -> list[SourceListing]:
    """Each sitemap with what it and its children list, children up to the crawl's depth."""
    listings = {url: SourceListing("sitemap", url) for url in urls}
    level: list[tuple[str, str]] = [(url, url) for url in urls]  # (sitemap, its top-level one)
    for depth in range(MAX_SITEMAP_DEPTH + 1):
        fetched = await probe.fetch([url for url, _ in level])
        following: list[tuple[str, str]] = []
        for url, top in level:
            listing = listings[top]
            answer = fetched.get(url, Fetched(url, error="not fetched: too many requests"))
            read = read_sitemap(answer, max_bytes)
            listing.candidates.extend(read.candidates)
            if depth == 0:
                listing.news, listing.error = read.news, read.error
            else:  # a child that fails leaves the rest of the index usable
                listing.sitemaps_read += 1
                if read.news:
                    listing.news_children.append(url)
            chosen = read.children[:MAX_CHILD_SITEMAPS]
            listing.sitemaps_left += len(read.children) - len(chosen)
            if depth < MAX_SITEMAP_DEPTH:
                following.extend((child, top) for child in chosen if probe.outlet.owns(child))
            else:
                listing.sitemaps_left += len(chosen)
        if not following:
            break
        level = following
    return list(listings.values())


@dataclass
class SitemapRead:
    """What one fetched sitemap lists."""

    candidates: list[Candidate] = field(default_factory=list)
    children: list[str] = field(default_factory=list)  # an index's, named for posts or news first
    news: bool = False  # a news sitemap
    error: str | None = None


def read_sitemap(answer: Fetched, max_bytes: int) -> SitemapRead:
    """One sitemap's pages, or its child sitemaps (those holding the articles first); a gzipped
    one is unpacked up to `max_bytes`."""
    if not answer.ok:
        return SitemapRead(error=answer.error or f"HTTP {answer.status}")
    body = answer.body
    try:
        if body[:2] == b"\x1f\x8b":
            body = gunzip(body, max_size=max_bytes)
        content = parse_sitemap(body)
    except (OSError, ValueError) as exc:  # DiscoveryError is a ValueError, as is a bad gzip
        return SitemapRead(error=str(exc)[:200])
    children = sorted(
        content.sitemaps,
        key=lambda url: not any(w in url.lower() for w in _PREFERRED_CHILDREN),
    )
    news = bool(content.pages) and NEWS_NAMESPACE in body[:4096]
    return SitemapRead(list(content.pages), children, news)


async def read_listings(probe: SiteProbe, urls: Sequence[str]) -> list[SourceListing]:
    fetched = await probe.fetch(urls)
    return [listing_links(fetched[url], probe) for url in urls if url in fetched]


def listing_links(answer: Fetched, probe: SiteProbe) -> SourceListing:
    """The links of a listing page that stay on the outlet's origins."""
    listing = SourceListing("listing page", answer.url)
    if not answer.ok:
        listing.error = answer.error or f"HTTP {answer.status}"
        return listing
    if answer.page is None:
        listing.error = "not an HTML page"
        return listing
    links = LinkExtractor(unique=True).extract_links(answer.page)[:MAX_LINKS]
    listing.candidates = [Candidate(link.url) for link in links if probe.outlet.owns(link.url)]
    return listing
