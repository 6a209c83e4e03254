"""Finding a site's feeds, sitemaps and listing pages from its home page and robots.txt."""

from __future__ import annotations

from crawler.site_sources import (
    MAX_HEAD_BYTES,
    MAX_SITEMAP_LINES,
    feed_links,
    listing_candidates,
    page_name,
    robots_sitemaps,
)

HOME = "https://outlet.example/"


def test_announced_feeds_resolved_and_comment_feeds_left_out() -> None:
    page = b"""<html><head>
      <link rel="alternate" type="application/rss+xml" title="Outlet &raquo; Feed" href="/feed/">
      <link rel="alternate" type="application/rss+xml" title="Outlet &raquo; Comments Feed"
            href="/comments/feed/">
      <link rel="alternate" type="application/atom+xml" href="https://outlet.example/atom.xml">
      <link rel="alternate" type="text/html" hreflang="fr" href="/fr/">
      <link rel="stylesheet" href="/style.css">
      <link rel="alternate" type="application/rss+xml" href="javascript:alert(1)">
    </head><body></body></html>"""

    assert feed_links(page, HOME) == [
        "https://outlet.example/feed/",
        "https://outlet.example/atom.xml",
    ]


def test_garbage_pages_announce_nothing() -> None:
    assert feed_links(b"", HOME) == []
    assert feed_links(b"\x00\xff" * 1000, HOME) == []
    assert page_name(b"   ") is None
    # A feed link past the head bound of a huge page is not looked for.
    huge = b"<html><head>" + b"<meta name=x>" * (MAX_HEAD_BYTES // 13 + 1)
    huge += b'<link rel="alternate" type="application/rss+xml" href="/late.xml"></head>'
    assert feed_links(huge, HOME) == []


def test_robots_sitemap_lines_any_case_bounded() -> None:
    robots = (
        b"User-agent: *\nDisallow: /wp-admin/\n"
        b"Sitemap: https://outlet.example/sitemap_index.xml\n"
        b"sitemap:https://outlet.example/news-sitemap.xml\r\n"
        b"SITEMAP: ftp://outlet.example/old.xml\n"
    )
    assert robots_sitemaps(robots) == [
        "https://outlet.example/sitemap_index.xml",
        "https://outlet.example/news-sitemap.xml",
    ]
    many = b"".join(b"Sitemap: https://outlet.example/s%d.xml\n" % n for n in range(10_000))
    assert len(robots_sitemaps(many)) == MAX_SITEMAP_LINES


def test_listing_candidates_are_the_sites_own_listing_pages() -> None:
    links = [
        "https://outlet.example/about",
        "https://outlet.example/blog",
        "https://other.example/news",
        "https://outlet.example/news?page=2",
        "https://outlet.example/analysis/",
        "https://outlet.example/post/a-story",
    ]
    assert listing_candidates(links, HOME) == [
        "https://outlet.example/blog",
        "https://outlet.example/analysis/",
    ]


def test_site_name_from_og_or_title() -> None:
    og = b'<html><head><meta property="og:site_name" content=" The  Outlet "><title>x</title>'
    assert page_name(og) == "The Outlet"
    assert page_name(b"<html><head><title>Home | Policy Forum</title></head></html>") == (
        "Policy Forum"
    )
    assert page_name(b"<html><head><title>Vox-style explainers</title></head></html>") == (
        "Vox-style explainers"
    )
