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
            children, news = _sitemap(answer, listing, max_bytes, is_top=depth == 0)
            if depth == 0:
                listing.news = news
            else:
                listing.sitemaps_read += 1
                if news:
                    listing.news_children.append(url)
            chosen = _preferred(children)[:MAX_CHILD_SITEMAPS]
            listing.sitemaps_left += len(children) - len(chosen)
            if depth < MAX_SITEMAP_DEPTH:
                following.extend((child, top) for child in chosen if probe.outlet.owns(child))
            else:
                listing.sitemaps_left += len(chosen)
        if not following:
            break
        level = following
    return list(listings.values())


def _sitemap(
    answer: Fetched, listing: SourceListing, max_bytes: int, *, is_top: bool
) -> tuple[list[str], bool]:
    """Adds what one sitemap lists to its listing; returns its child sitemaps, and whether it
    is a news sitemap."""
    if not answer.ok:
        if is_top:
            listing.error = answer.error or f"HTTP {answer.status}"
        return [], False
    body = answer.body
    try:
        if body[:2] == b"\x1f\x8b":
            body = gunzip(body, max_size=max_bytes)
        content = parse_sitemap(body)
    except (OSError, ValueError) as exc:  # DiscoveryError is a ValueError, as is a bad gzip
        if is_top:
            listing.error = str(exc)[:200]
        return [], False
    listing.candidates.extend(content.pages)
    return content.sitemaps, bool(content.pages) and NEWS_NAMESPACE in body[:4096]


def _preferred(children: Sequence[str]) -> list[str]:
    """Children named for posts or news first: they hold the articles."""
    return sorted(children, key=lambda url: not any(w in url.lower() for w in _PREFERRED_CHILDREN))


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
