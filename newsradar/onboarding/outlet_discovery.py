"""From a home page to an outlet's settings: its feeds, sitemaps and listing page, and the
`article_url_pattern` inferred from what the feeds and sitemaps list as articles.

Steps, each one short crawl (`SiteProbe`): the home page (its robots.txt comes with it), then
the feeds it announces (or those at the usual paths) and the sitemaps robots.txt names (or those
at the usual paths), then, when the home page links few articles, the pages it links that list
them (`/blog`, `/news`).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from crawler.dedupe import canonical_url
from crawler.discovery import Candidate
from crawler.outlet_spec import OutletSpec
from crawler.site_sources import (
    USUAL_FEED_PATHS,
    USUAL_SITEMAP_PATHS,
    feed_links,
    listing_candidates,
    page_name,
    robots_sitemaps,
    usual_urls,
)
from crawler.url_pattern import UrlPattern, compile_url_pattern
from crawler.url_shapes import Inference, infer_pattern, is_article_shaped
from newsradar.onboarding.article_preview import Sample
from newsradar.onboarding.site_probe import SiteProbe
from newsradar.onboarding.source_reading import (
    SourceListing,
    listing_links,
    read_feeds,
    read_listings,
    read_sitemaps,
)

MIN_LISTED = 2  # a listing page must link at least this many articles to be worth reading
MAX_FEEDS = 3


@dataclass
class Discovery:
    home_url: str
    name: str | None = None
    feeds: list[SourceListing] = field(default_factory=list)
    sitemaps: list[SourceListing] = field(default_factory=list)
    listings: list[SourceListing] = field(default_factory=list)
    inference: Inference | None = None
    chosen_feeds: list[str] = field(default_factory=list)
    chosen_sitemaps: list[str] = field(default_factory=list)
    chosen_listing: str | None = None
    articles: list[Candidate] = field(default_factory=list)  # matching, newest first
    warnings: list[str] = field(default_factory=list)
    samples: list[Sample] = field(default_factory=list)

    @property
    def pattern(self) -> str | None:
        return self.inference.pattern if self.inference else None


def probe_spec(home_url: str, outlet_id: str = "new-outlet") -> OutletSpec:
    """The outlet as known before it is configured: its home page's origins only."""
    return OutletSpec(id=outlet_id, name=outlet_id, listing_pages=(home_url,))


def discovered_spec(found: Discovery, outlet_id: str) -> OutletSpec:
    """The outlet as `add-outlet` would configure it."""
    return OutletSpec(
        id=outlet_id,
        name=found.name or outlet_id,
        feeds=tuple(found.chosen_feeds),
        sitemaps=tuple(found.chosen_sitemaps),
        listing_pages=(found.chosen_listing,) if found.chosen_listing else (),
        article_url_pattern=found.pattern,
    )


async def discover(probe: SiteProbe, home_url: str, max_bytes: int) -> Discovery:
    found = Discovery(home_url)
    home = listing_links((await probe.fetch([home_url]))[home_url], probe)
    answer = probe.answers.get(home_url)
    if home.error:
        found.warnings.append(f"home page {home_url}: {home.error}")
    elif answer is not None:
        found.name = page_name(answer.body)
    announced = feed_links(answer.body, answer.final_url or home_url) if answer else []
    robots = probe.robots_txt(urlsplit(home_url).netloc)
    named_maps = robots_sitemaps(robots or b"")
    feeds = await read_feeds(probe, announced or usual_urls(home_url, USUAL_FEED_PATHS))
    found.feeds = [f for f in feeds if f.candidates or f.url in announced]
    maps = named_maps or usual_urls(home_url, USUAL_SITEMAP_PATHS)
    sitemaps = await read_sitemaps(probe, [m for m in maps if probe.outlet.owns(m)], max_bytes)
    found.sitemaps = [s for s in sitemaps if s.candidates or s.url in named_maps]
    _infer(found, home)
    if found.pattern is None or _matching(found, home) < MIN_LISTED:
        links = [c.url for c in home.candidates]
        extra = await read_listings(probe, listing_candidates(links, home_url))
        found.listings = [home, *extra]
        if found.pattern is None:
            _infer(found, home, extra)
    else:
        found.listings = [home]
    if found.pattern is not None:
        _choose_sources(found)
    _warn(found, robots is not None, probe)
    return found


def _infer(found: Discovery, home: SourceListing, extra: Sequence[SourceListing] = ()) -> None:
    """The pattern from feed and news-sitemap entries, else every sitemap entry, else the
    article-shaped links of the listing pages."""
    news = [u for s in found.sitemaps if s.news or s.news_children for u in s.urls]
    listed = [u for f in found.feeds for u in f.urls] + news
    if not listed:
        listed = [u for s in found.sitemaps for u in s.urls]
    links = [u for page in (home, *extra) for u in page.urls]
    if not listed:
        listed = [u for u in links if is_article_shaped(u)]
    others = links + [u for s in found.sitemaps for u in s.urls]
    found.inference = infer_pattern(
        [canonical_url(u) for u in listed], [canonical_url(u) for u in others]
    )


@functools.lru_cache(maxsize=4)
def _compiled(pattern: str) -> UrlPattern:
    return compile_url_pattern(pattern)


def _matches(found: Discovery, urls: Sequence[str]) -> list[str]:
    if found.pattern is None:
        return []
    compiled = _compiled(found.pattern)
    return [u for u in (canonical_url(url) for url in urls) if compiled.search(u) is not None]


def _matching(found: Discovery, page: SourceListing) -> int:
    return len(set(_matches(found, page.urls)))


def _choose_sources(found: Discovery) -> None:
    """Feeds that list articles (another only for articles the first lacks), news sitemaps (or
    any sitemap listing articles when there is no feed), and the listing page linking most."""
    seen: set[str] = set()
    for feed in found.feeds:
        articles = set(_matches(found, feed.urls))
        if articles - seen and len(found.chosen_feeds) < MAX_FEEDS:
            found.chosen_feeds.append(feed.url)
            seen |= articles
    listing_maps = [s for s in found.sitemaps if _matches(found, s.urls)]
    news = [s.url for s in listing_maps if s.news]
    news += [child for s in listing_maps for child in s.news_children if child not in news]
    found.chosen_sitemaps = news or ([] if found.chosen_feeds else [s.url for s in listing_maps])
    best = max(found.listings, key=lambda page: _matching(found, page), default=None)
    if best is not None and _matching(found, best) >= MIN_LISTED:
        found.chosen_listing = best.url
    candidates: dict[str, Candidate] = {}
    compiled = _compiled(found.pattern or "")
    for source in (*found.feeds, *found.sitemaps, *found.listings):
        for candidate in source.candidates:
            url = canonical_url(candidate.url)
            if url not in candidates and compiled.search(url) is not None:
                candidates[url] = Candidate(url, candidate.published, candidate.title)
    found.articles = sorted(
        candidates.values(),
        key=lambda c: c.published.timestamp() if c.published else float("-inf"),
        reverse=True,
    )


def _warn(found: Discovery, robots_read: bool, probe: SiteProbe) -> None:
    warnings = found.warnings
    if not found.chosen_feeds:
        warnings.append(
            "no RSS or Atom feed found: articles are found through sitemaps and listing pages only"
        )
    inference = found.inference
    if inference is not None and inference.total and inference.covered < inference.total:
        warnings.append(
            f"the pattern matches {inference.covered} of the {inference.total} article URLs "
            "the sources list; check those it leaves out with try-outlet"
        )
    if inference is not None and inference.still_matching:
        warnings.append(
            f"the pattern also matches {len(inference.still_matching)} page(s) that do not look "
            f"like articles, such as {inference.still_matching[0]}"
        )
    refused = [
        s
        for s in (*found.feeds, *found.sitemaps, *found.listings)
        if s.error and "robots" in s.error.lower()
    ]
    if refused:
        warnings.append(f"robots.txt disallows {refused[0].url} ({len(refused)} source(s))")
    if not robots_read:
        warnings.append("robots.txt could not be read: nothing of the site may be fetched")
    if probe.cut:
        warnings.append(
            f"{len(probe.cut)} pages were not read (at most {probe.requests_limit} "
            "requests per probe)"
        )
