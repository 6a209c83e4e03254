"""Feeds and sitemaps, parsed from bytes; bad ones raise a clear DiscoveryError."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime

import pytest

from crawler.discovery import DiscoveryError, parse_feed, parse_sitemap

RSS = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>RS</title>
<item><title>US strikes in Iraq</title><link>/2024/01/05/us-strikes/</link>
<pubDate>Fri, 05 Jan 2024 14:30:00 +0000</pubDate></item>
<item><title>No date</title><link>https://rs.example/b/</link></item>
<item><title>No link</title></item>
</channel></rss>"""

ATOM = b"""<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">
<title>WP</title><entry><title>Explained</title>
<link rel="alternate" href="https://wp.example/2024/08/06/explained/"/>
<updated>2024-08-06T12:00:00Z</updated></entry></feed>"""

INDEX = b"""<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<sitemap><loc>https://wp.example/post-sitemap.xml</loc></sitemap>
<sitemap><loc> https://wp.example/news-sitemap.xml </loc></sitemap></sitemapindex>"""

NEWS = b"""<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
 xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
<url><loc>https://wp.example/a/</loc><news:news><news:publication>
<news:name>WP</news:name><news:language>en</news:language></news:publication>
<news:publication_date>2024-08-06T10:00:00+02:00</news:publication_date>
<news:title>A title</news:title></news:news></url>
<url><loc>https://wp.example/b/</loc><lastmod>2024-08-01</lastmod></url>
<url><lastmod>2024-08-01</lastmod></url></urlset>"""


def test_rss_entries_resolve_links_and_dates() -> None:
    first, second = parse_feed(RSS, "https://rs.example/feeds/feed.rss")
    assert first.url == "https://rs.example/2024/01/05/us-strikes/"
    assert first.published == datetime(2024, 1, 5, 14, 30, tzinfo=UTC)
    assert first.title == "US strikes in Iraq"
    assert second.published is None


def test_atom_entries() -> None:
    (entry,) = parse_feed(ATOM, "https://wp.example/feed/atom/")
    assert entry.url == "https://wp.example/2024/08/06/explained/"
    assert entry.published == datetime(2024, 8, 6, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "body", [b"", b"<html><body>Not a feed</body></html>", b"\x00\xff garbage \x89PNG"]
)
def test_not_a_feed(body: bytes) -> None:
    with pytest.raises(DiscoveryError, match="not a readable feed"):
        parse_feed(body, "https://x.example/feed")


def test_sitemap_index_and_news_sitemap() -> None:
    index = parse_sitemap(INDEX)
    assert index.sitemaps == [
        "https://wp.example/post-sitemap.xml",
        "https://wp.example/news-sitemap.xml",
    ]
    assert index.pages == []

    news = parse_sitemap(NEWS)
    assert [p.url for p in news.pages] == ["https://wp.example/a/", "https://wp.example/b/"]
    assert news.pages[0].published == datetime(2024, 8, 6, 8, 0, tzinfo=UTC)
    assert news.pages[0].title == "A title"
    assert news.pages[1].published == datetime(2024, 8, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    "body", [b"", b"<html><p>hello</p></html>", b"not xml at all", gzip.compress(INDEX)]
)
def test_not_a_sitemap(body: bytes) -> None:
    with pytest.raises(DiscoveryError, match="not a sitemap"):
        parse_sitemap(body)


def test_sitemap_does_not_expand_entities() -> None:
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE urlset [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        b"<url><loc>https://x.example/&b;</loc></url></urlset>"
    )
    pages = parse_sitemap(bomb).pages
    assert all("aaaaaaaaaa" not in p.url for p in pages)


def test_huge_sitemap_is_capped() -> None:
    urls = b"".join(b"<url><loc>https://x.example/%d/</loc></url>" % i for i in range(2000))
    body = b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">' + urls + b"</urlset>"
    assert len(parse_sitemap(body, max_entries=500).pages) == 500
