"""Feeds and sitemaps of the sample outlets, generated from the current article set."""

from __future__ import annotations

from collections.abc import Sequence
from email.utils import format_datetime
from xml.sax.saxutils import escape

from newsradar.demo.markup import iso
from newsradar.demo.statecraft import Placed


def rss(title: str, site_url: str, items: Sequence[Placed]) -> str:
    entries = "".join(
        "<item>"
        f"<title>{escape(p.article.title)}</title><link>{escape(p.url)}</link>"
        f'<guid isPermaLink="true">{escape(p.url)}</guid>'
        f"<pubDate>{format_datetime(p.published)}</pubDate>"
        f"<dc:creator>{escape(p.article.author)}</dc:creator>"
        f"<description>{escape(p.article.dek)}</description>"
        "</item>"
        for p in items
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>'
        f"<title>{escape(title)}</title><link>{escape(site_url)}</link>"
        f"<description>{escape(title)}</description><language>en</language>"
        f"{entries}</channel></rss>"
    )


def atom(title: str, site_url: str, feed_url: str, items: Sequence[Placed]) -> str:
    updated = iso(max(p.published for p in items)) if items else "1970-01-01T00:00:00Z"
    entries = "".join(
        "<entry>"
        f"<title>{escape(p.article.title)}</title>"
        f'<link rel="alternate" type="text/html" href="{escape(p.url)}"/>'
        f"<id>{escape(p.url)}</id><published>{iso(p.published)}</published>"
        f"<updated>{iso(p.published)}</updated>"
        f"<author><name>{escape(p.article.author)}</name></author>"
        f'<summary type="html">{escape(p.article.dek)}</summary>'
        "</entry>"
        for p in items
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en-US">'
        f"<title>{escape(title)}</title><id>{escape(feed_url)}</id>"
        f'<link rel="alternate" type="text/html" href="{escape(site_url)}"/>'
        f'<link rel="self" type="application/atom+xml" href="{escape(feed_url)}"/>'
        f"<updated>{updated}</updated>{entries}</feed>"
    )


def sitemap_index(sitemap_urls: Sequence[str], lastmod: str) -> str:
    entries = "".join(
        f"<sitemap><loc>{escape(u)}</loc><lastmod>{lastmod}</lastmod></sitemap>"
        for u in sitemap_urls
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"{entries}</sitemapindex>"
    )


def post_sitemap(items: Sequence[Placed]) -> str:
    entries = "".join(
        f"<url><loc>{escape(p.url)}</loc><lastmod>{iso(p.published)}</lastmod></url>" for p in items
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"{entries}</urlset>"
    )


def page_sitemap(urls: Sequence[str]) -> str:
    """A sitemap of pages that are not articles (a CMS lists its pages, categories, authors)."""
    entries = "".join(f"<url><loc>{escape(u)}</loc></url>" for u in urls)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"{entries}</urlset>"
    )


def news_sitemap(publication: str, items: Sequence[Placed]) -> str:
    entries = "".join(
        f"<url><loc>{escape(p.url)}</loc><news:news><news:publication>"
        f"<news:name>{escape(publication)}</news:name><news:language>en</news:language>"
        f"</news:publication><news:publication_date>{iso(p.published)}"
        f"</news:publication_date><news:title>{escape(p.article.title)}</news:title>"
        "</news:news></url>"
        for p in items
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">'
        f"{entries}</urlset>"
    )
