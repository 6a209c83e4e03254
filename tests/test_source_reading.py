"""What one fetched sitemap lists: its pages, its children (those holding articles first),
whether it is a news sitemap, and a gzip bomb cut at the page size limit."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime

from crawler.spiders.fetch_spider import Fetched
from newsradar.demo import feeds
from newsradar.demo.content import WP_ARTICLES
from newsradar.demo.statecraft import Placed
from newsradar.onboarding.source_reading import read_sitemap
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
    body = feeds.news_sitemap("Outlet", PLACED).encode()

    read = read_sitemap(_answer(body), MAX_BYTES)

    assert read.children == [] and read.news and read.error is None
    assert [c.url for c in read.candidates] == [p.url for p in PLACED]
    assert all(c.published is not None for c in read.candidates)


def test_an_index_gives_its_children_articles_first_and_is_not_news() -> None:
    children = [f"{BASE}/{name}-sitemap.xml" for name in ("page", "author", "news", "post")]
    body = feeds.sitemap_index(children, "2024-01-05T00:00:00Z")

    read = read_sitemap(_answer(body.encode()), MAX_BYTES)

    assert not read.news and read.candidates == []
    assert read.children == [
        f"{BASE}/news-sitemap.xml",
        f"{BASE}/post-sitemap.xml",
        f"{BASE}/page-sitemap.xml",
        f"{BASE}/author-sitemap.xml",
    ]


def test_a_gzipped_sitemap_is_read_and_a_gzip_bomb_refused() -> None:
    packed = gzip.compress(feeds.post_sitemap(PLACED).encode())
    plain = read_sitemap(_answer(packed), MAX_BYTES)
    assert [c.url for c in plain.candidates] == [p.url for p in PLACED] and plain.error is None

    bombed = read_sitemap(_answer(hostile.gzip_bomb(20)), MAX_BYTES)
    assert bombed.children == [] and bombed.candidates == []
    assert bombed.error is not None


def test_failures_are_said() -> None:
    not_a_sitemap = read_sitemap(_answer(b"<html>not a sitemap</html>"), MAX_BYTES)
    assert not_a_sitemap.error is not None and "not a sitemap" in not_a_sitemap.error

    missing = read_sitemap(Fetched(f"{BASE}/child.xml", status=404), MAX_BYTES)
    assert missing.error == "HTTP 404" and missing.candidates == [] and missing.children == []
