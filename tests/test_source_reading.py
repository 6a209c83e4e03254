"""What one fetched sitemap adds to its source's listing: its pages, its children, whether it
is a news sitemap, and a gzip bomb cut at the page size limit."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime

from crawler.spiders.fetch_spider import Fetched
from newsradar.demo import feeds
from newsradar.demo.content import WP_ARTICLES
from newsradar.demo.statecraft import Placed
from newsradar.onboarding.source_reading import SourceListing, _preferred, _sitemap
from tests.support import hostile

BASE = "https://outlet.example"
PLACED = [
    Placed(a, f"{BASE}/2024/01/0{n + 1}/{a.slug}/", datetime(2024, 1, n + 1, tzinfo=UTC))
    for n, a in enumerate(WP_ARTICLES)
]
MAX_BYTES = 1 << 20


def _answer(body: bytes, status: int = 200) -> Fetched:
    return Fetched(f"{BASE}/sitemap.xml", status=status, body=body)


def test_a_news_sitemap_adds_dated_pages() -> None:
    listing = SourceListing("sitemap", f"{BASE}/sitemap.xml")
    body = feeds.news_sitemap("Outlet", PLACED).encode()

    children, news = _sitemap(_answer(body), listing, MAX_BYTES, is_top=True)

    assert children == [] and news
    assert listing.urls == [p.url for p in PLACED]
    assert all(c.published is not None for c in listing.candidates)


def test_an_index_gives_its_children_and_is_not_news() -> None:
    listing = SourceListing("sitemap", f"{BASE}/sitemap.xml")
    body = feeds.sitemap_index([f"{BASE}/page-sitemap.xml", f"{BASE}/news-sitemap.xml"], "x")

    children, news = _sitemap(_answer(body.encode()), listing, MAX_BYTES, is_top=True)

    assert not news and listing.urls == []
    assert _preferred(children) == [f"{BASE}/news-sitemap.xml", f"{BASE}/page-sitemap.xml"]


def test_a_gzipped_sitemap_is_read_and_a_gzip_bomb_refused() -> None:
    plain = SourceListing("sitemap", f"{BASE}/sitemap.xml.gz")
    packed = gzip.compress(feeds.post_sitemap(PLACED).encode())
    _sitemap(_answer(packed), plain, MAX_BYTES, is_top=True)
    assert plain.urls == [p.url for p in PLACED] and plain.error is None

    bombed = SourceListing("sitemap", f"{BASE}/sitemap.xml.gz")
    children, _ = _sitemap(_answer(hostile.gzip_bomb(20)), bombed, MAX_BYTES, is_top=True)
    assert children == [] and bombed.urls == []
    assert bombed.error is not None


def test_failures_are_said_for_the_top_sitemap_only() -> None:
    top = SourceListing("sitemap", f"{BASE}/sitemap.xml")
    _sitemap(_answer(b"<html>not a sitemap</html>"), top, MAX_BYTES, is_top=True)
    assert top.error is not None and "not a sitemap" in top.error

    index = SourceListing("sitemap", f"{BASE}/sitemap.xml")
    _sitemap(Fetched(f"{BASE}/child.xml", status=404), index, MAX_BYTES, is_top=False)
    assert index.error is None  # a child that fails leaves the rest of the index usable
