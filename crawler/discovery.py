"""Finding article URLs: RSS/Atom feeds and XML sitemaps.

Listing pages are read with Scrapy's own link extractor in the spider; feeds and sitemaps are parsed
here, from bytes, so that they can be tested and fuzzed without a crawl.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, datetime
from io import BytesIO
from urllib.parse import urljoin, urlsplit

import feedparser
from lxml import etree

from crawler.metadata import parse_datetime


class DiscoveryError(ValueError):
    """A feed or sitemap that cannot be read at all."""


@dataclass(frozen=True)
class Candidate:
    url: str
    published: datetime | None = None
    title: str | None = None


def parse_feed(body: bytes, base_url: str) -> list[Candidate]:
    """Entries of an RSS or Atom feed; a feed with problems but entries still yields them."""
    try:
        # Only links, titles and dates are read: the entries' HTML is neither cleaned nor resolved.
        parsed = feedparser.parse(
            body,
            response_headers={"content-location": base_url},
            sanitize_html=False,
            resolve_relative_uris=False,
        )
    except Exception as exc:  # feedparser has many ways to fail on garbage (NUL in encoding=...)
        raise DiscoveryError(f"not a readable feed: {type(exc).__name__}: {exc}") from None
    if not parsed.entries and (parsed.get("bozo") or not parsed.get("version")):
        reason = parsed.get("bozo_exception") or "no RSS or Atom content"
        raise DiscoveryError(f"not a readable feed: {reason}")
    candidates = []
    for entry in parsed.entries:
        link = entry.get("link") or _first_alternate(entry)
        if not link:
            continue
        url = fetchable_url(link, base_url)
        if url is None:
            continue
        stamp = entry.get("published_parsed") or entry.get("updated_parsed")
        published = datetime.fromtimestamp(calendar.timegm(stamp), UTC) if stamp else None
        candidates.append(Candidate(url, published, entry.get("title")))
    return candidates


def fetchable_url(link: str, base_url: str | None = None) -> str | None:
    """``link`` as an absolute http(s) URL with a host; None for anything a crawl cannot fetch.

    Entries come from pages nobody controls: ``javascript:``, ``mailto:``, ``http://[`` or a port
    of 99999 are dropped here, so no later step has to cope with them.
    """
    try:
        url = urljoin(base_url, link.strip()) if base_url else link.strip()
        parts = urlsplit(url)
        _ = parts.port  # raises on a port that is out of range or not a number
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return url


def _first_alternate(entry: feedparser.FeedParserDict) -> str | None:
    for link in entry.get("links", []):
        if link.get("rel", "alternate") == "alternate" and link.get("href"):
            return link["href"]
    return None


@dataclass(frozen=True)
class SitemapContent:
    sitemaps: list[str]  # child sitemaps of a sitemap index
    pages: list[Candidate]


def parse_sitemap(body: bytes, max_entries: int = 50_000) -> SitemapContent:
    """A sitemap index, a URL set or a news sitemap (dates from <news:news> or <lastmod>)."""
    sitemaps: list[str] = []
    pages: list[Candidate] = []
    kind: str | None = None
    try:
        events = etree.iterparse(
            BytesIO(body),
            events=("start", "end"),
            recover=True,
            resolve_entities=False,
            no_network=True,
            huge_tree=False,
        )
        for event, element in events:
            name = _local(element.tag)
            if event == "start":
                if kind is None:
                    kind = name
                    if kind not in ("urlset", "sitemapindex"):
                        raise DiscoveryError(f"not a sitemap: root element <{name}>")
                continue
            if name not in ("url", "sitemap"):
                continue
            entry = {_local(child.tag): child for child in element.iter() if child is not element}
            loc = fetchable_url(_text(entry.get("loc")) or "")
            if loc is not None:
                if name == "sitemap":
                    sitemaps.append(loc)
                else:
                    date = entry.get("publication_date")
                    if date is None:
                        date = entry.get("lastmod")
                    title = _text(entry.get("title"))
                    pages.append(Candidate(loc, _date(date), title))
            element.clear()
            if len(sitemaps) + len(pages) >= max_entries:
                break
    except etree.XMLSyntaxError as exc:
        if kind is None:
            raise DiscoveryError(f"not a sitemap: {exc}") from None
    if kind is None:
        raise DiscoveryError("not a sitemap: empty document")
    return SitemapContent(sitemaps, pages)


def _local(tag: object) -> str:
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def _text(element: etree._Element | None) -> str | None:
    return element.text.strip() if element is not None and element.text else None


def _date(element: etree._Element | None) -> datetime | None:
    text = _text(element)
    return parse_datetime(text) if text else None
