"""Where a site keeps its discovery sources, read from its home page and robots.txt.

Feed readers find a site's feeds from its home page (`<link rel="alternate">`) and, failing
that, at the paths the common publishing systems use; search engines find sitemaps in robots.txt
(`Sitemap:` lines) and at `/sitemap.xml`. These functions read those from bytes, so that they can
be tested on hostile input without a crawl; fetching is the caller's.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from urllib.parse import urljoin, urlsplit

from lxml import etree, html

from crawler.discovery import fetchable_url

FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/feed+xml")
# Tried when the home page names no feed: WordPress, RebelMouse, Wix, Ghost, Hugo, Drupal.
USUAL_FEED_PATHS = ("/feed/", "/feeds/feed.rss", "/blog-feed.xml", "/rss.xml", "/index.xml")
USUAL_SITEMAP_PATHS = ("/sitemap.xml", "/sitemap_index.xml", "/news-sitemap.xml")
# Pages that list articles, by the last word of their path.
LISTING_WORDS = frozenset(
    (
        "analysis", "articles", "blog", "commentary", "insights", "latest", "news", "opinion",
        "posts", "publications", "stories",
    )
)  # fmt: skip
MAX_FEED_LINKS = 10
MAX_SITEMAP_LINES = 20
MAX_LISTING_CANDIDATES = 3
MAX_HEAD_BYTES = 2 << 20  # feed links are in the head: the first 2 MiB of a page are enough


def feed_links(page: bytes, base_url: str) -> list[str]:
    """The feeds a page announces, site feeds before comment feeds are left out."""
    tree = _parse(page)
    if tree is None:
        return []
    found: list[str] = []
    for link in tree.iter("link"):
        rel = (link.get("rel") or "").lower().split()
        kind = (link.get("type") or "").lower().split(";")[0].strip()
        href = link.get("href") or ""
        title = (link.get("title") or "").lower()
        if "alternate" not in rel or kind not in FEED_TYPES or not href:
            continue
        if "comment" in title or "/comments/" in href:
            continue
        url = fetchable_url(href, base_url)
        if url is not None and url not in found:
            found.append(url)
        if len(found) >= MAX_FEED_LINKS:
            break
    return found


def robots_sitemaps(robots: bytes) -> list[str]:
    """The `Sitemap:` lines of a robots.txt, as absolute http(s) URLs."""
    found: list[str] = []
    for raw in robots.decode("utf-8", "replace").splitlines():
        name, _, value = raw.partition(":")
        if name.strip().lower() != "sitemap":
            continue
        url = fetchable_url(value.strip())
        if url is not None and url not in found:
            found.append(url)
        if len(found) >= MAX_SITEMAP_LINES:
            break
    return found


def usual_urls(home_url: str, paths: Iterable[str]) -> list[str]:
    return [urljoin(home_url, path) for path in paths]


def listing_candidates(links: Sequence[str], home_url: str) -> list[str]:
    """Links on the home page to pages that, by their name, list articles (`/blog`, `/news`)."""
    home = urlsplit(home_url)
    found: list[str] = []
    for link in links:
        parts = urlsplit(link)
        if parts.netloc != home.netloc or parts.query:
            continue
        words = [w for w in parts.path.lower().split("/") if w]
        if len(words) == 1 and words[0] in LISTING_WORDS and link not in found:
            found.append(link)
        if len(found) >= MAX_LISTING_CANDIDATES:
            break
    return found


def page_name(page: bytes) -> str | None:
    """What a home page calls its site: `og:site_name`, else its title."""
    tree = _parse(page)
    if tree is None:
        return None
    for meta in tree.iter("meta"):
        if (meta.get("property") or "").lower() == "og:site_name" and meta.get("content"):
            return " ".join(meta.get("content", "").split())[:200] or None
    title = tree.find(".//title")
    text = " ".join((title.text_content() if title is not None else "").split())
    # "Home | Site", "Latest news - Site": the site's name comes last.
    text = re.split(r" [|\-–—] ", text)[-1].strip()
    return text[:200] or None


def _parse(page: bytes) -> html.HtmlElement | None:
    head = page[:MAX_HEAD_BYTES]
    if not head.strip():
        return None
    try:
        return html.document_fromstring(head)
    except (etree.ParserError, ValueError):
        return None
