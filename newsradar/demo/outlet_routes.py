"""What each sample outlet answers for a path: its feeds, sitemaps, listing and article pages,
rendered from the outlet's current articles, and what each outlet is (name, host, sources)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from newsradar.demo import feeds, statecraft, wix, wordpress
from newsradar.demo.content import STATECRAFT_ARTICLES, WIX_ARTICLES, WP_ARTICLES, SampleArticle
from newsradar.demo.markup import iso, slugify
from newsradar.demo.statecraft import Placed

if TYPE_CHECKING:
    from newsradar.demo.server import SampleSite

INFINITE_SCROLL_FOLLOWERS = 2


@dataclass(frozen=True, slots=True)
class Response:
    body: str
    content_type: str = "text/html; charset=utf-8"
    status: int = 200


NOT_FOUND = Response("<html><body><h1>Not found</h1></body></html>", status=404)
Route = Callable[["SampleSite", str], Response]


XML = "application/xml; charset=utf-8"
TEXT = "text/plain; charset=utf-8"
_SECTION_PAGE = re.compile(r"^/(qiosk|(tag|author|category)/[a-z0-9-]+)/$")


def _find(items: list[Placed], path: str, base_url: str) -> Placed | None:
    return next((p for p in items if p.url == base_url + path), None)


def _statecraft_route(site: SampleSite, path: str) -> Response:
    items = site.placed()
    alternates = {a.alt_path: p for p in items if (a := p.article).alt_path}
    if path == "/":
        alt_urls = [site.base_url + alt for alt in alternates]
        return Response(statecraft.listing_page(items, alt_urls))
    if path == "/feeds/feed.rss":
        body = feeds.rss(site.name, site.base_url + "/", items)
        return Response(body, "application/rss+xml; charset=utf-8")
    if path == "/robots.txt":
        return Response("User-agent: *\nDisallow: /search\nDisallow: /subscribe\n", TEXT)
    if path == "/about/":
        return Response(statecraft.simple_page("About", []))
    if _SECTION_PAGE.match(path):
        return Response(statecraft.simple_page(path.strip("/").replace("/", ": "), items))
    item = _find(items, path, site.base_url)
    canonical = item is not None
    if item is None and path in alternates:
        item = alternates[path]
        item = Placed(item.article, site.base_url + path, item.published)
    if item is None:
        return NOT_FOUND
    rest = [p for p in items if p.article.slug != item.article.slug]
    older = [p for p in rest if p.published <= item.published]
    following = (older + [p for p in rest if p not in older])[:INFINITE_SCROLL_FOLLOWERS]
    return Response(statecraft.article_page(item, following, canonical=canonical))


def _sitemap_index(site: SampleSite, items: list[Placed], children: tuple[str, ...]) -> Response:
    """The site's sitemap index: its child sitemaps, last changed with its newest item."""
    lastmod = iso(items[0].published) if items else iso(site.now)
    return Response(feeds.sitemap_index([site.base_url + c for c in children], lastmod), XML)


def _wp_route(site: SampleSite, path: str) -> Response:
    items = site.placed()
    base = site.base_url
    if path == "/" or _SECTION_PAGE.match(path):
        return Response(wordpress.home_page(items))
    if path == "/feed/atom/":
        body = feeds.atom(site.name, base + "/", base + path, items)
        return Response(body, "application/atom+xml; charset=utf-8")
    if path == "/sitemap_index.xml":
        return _sitemap_index(site, items, _WP_SITEMAPS)
    if path == "/post-sitemap.xml":
        return Response(feeds.post_sitemap(items), XML)
    if path == "/news-sitemap.xml":
        return Response(feeds.news_sitemap(site.name, items), XML)
    if path in _WP_SITEMAPS:
        return Response(feeds.page_sitemap([base + p for p in _wp_site_pages(path, items)]), XML)
    if path in _WP_PAGES:
        return Response(wordpress.static_page(*_WP_PAGES[path]))
    if path == "/robots.txt":
        robots = (
            "User-agent: *\nDisallow: /wp-admin/\nAllow: /wp-admin/admin-ajax.php\n\n"
            f"Sitemap: {base}/sitemap_index.xml\nSitemap: {base}/news-sitemap.xml\n"
        )
        return Response(robots, TEXT)
    item = _find(items, path, base)
    return Response(wordpress.article_page(item, items[:5])) if item else NOT_FOUND


_WP_PAGES = {
    "/about/": ("About", "We explain the news in plain words, every weekday."),
    "/contact/": ("Contact", "Write to the editors at editors@explainers.example.org."),
    "/privacy-policy/": ("Privacy Policy", "We keep no more about our readers than we need."),
}
# As a WordPress SEO plugin lists them (core WordPress's wp-sitemap.xml has the same kinds: posts,
# pages, taxonomies, users), and the news sitemap of its news add-on.
_WP_SITEMAPS = (
    "/post-sitemap.xml", "/page-sitemap.xml", "/category-sitemap.xml", "/post_tag-sitemap.xml",
    "/author-sitemap.xml", "/news-sitemap.xml",
)  # fmt: skip


def _wp_site_pages(sitemap: str, items: list[Placed]) -> list[str]:
    """The paths a sitemap of pages, categories, tags or authors lists (none is an article)."""
    if sitemap == "/page-sitemap.xml":
        return ["/", *_WP_PAGES]
    if sitemap == "/category-sitemap.xml":
        sections = {slugify(p.article.section) for p in items}
        return [f"/category/{c}/" for c in sorted(sections | set(wordpress.CATEGORIES))]
    if sitemap == "/post_tag-sitemap.xml":
        return [f"/tag/{t}/" for t in wordpress.TAGS]
    return [f"/author/{a}/" for a in sorted({slugify(p.article.author) for p in items})]


_WIX_SITEMAPS = ("/blog-posts-sitemap.xml", "/pages-sitemap.xml", "/blog-categories-sitemap.xml")


def _wix_route(site: SampleSite, path: str) -> Response:
    """A Wix site: its blog feed and sitemaps at the paths Wix gives every site."""
    items = site.placed()
    base = site.base_url
    if path == "/blog" or path.startswith("/blog/categories/"):
        return Response(wix.blog_page(items))
    if path == "/blog-feed.xml":
        body = feeds.rss(site.name, base + "/blog", items)
        return Response(body, "application/rss+xml; charset=utf-8")
    if path == "/sitemap.xml":
        return _sitemap_index(site, items, _WIX_SITEMAPS)
    if path == "/blog-posts-sitemap.xml":
        return Response(feeds.post_sitemap(items), XML)
    if path == "/pages-sitemap.xml":
        pages = ("/", "/about", "/contact", "/blog")
        return Response(feeds.page_sitemap([base + p for p in pages]), XML)
    if path == "/blog-categories-sitemap.xml":
        categories = [f"{base}/blog/categories/{c}" for c in wix.CATEGORIES]
        return Response(feeds.page_sitemap(categories), XML)
    if path == "/":
        return Response(wix.plain_page("Home", "Independent analysis of the Middle East."))
    if path == "/about":
        return Response(wix.plain_page("About", "We are a small policy forum on the region."))
    if path == "/contact":
        return Response(wix.plain_page("Contact", "Write to us at info@forum.example.org."))
    if path == "/robots.txt":
        return Response(f"User-agent: *\nAllow: /\n\nSitemap: {base}/sitemap.xml\n", TEXT)
    item = _find(items, path, base)
    return Response(wix.post_page(item)) if item else NOT_FOUND


@dataclass(frozen=True, slots=True)
class OutletSpec:
    name: str
    host: str
    articles: tuple[SampleArticle, ...]
    route: Route
    feeds: tuple[str, ...]
    sitemaps: tuple[str, ...]
    listing_pages: tuple[str, ...]
    article_url_pattern: str
    id_url_pattern: str | None = None  # with its posts at `/slug-2661234567` (RebelMouse's)


OUTLET_SPECS: dict[str, OutletSpec] = {
    "statecraft": OutletSpec(
        statecraft.SITE_NAME, "127.0.0.1", STATECRAFT_ARTICLES, _statecraft_route,
        feeds=("/feeds/feed.rss",), sitemaps=(), listing_pages=("/",),
        article_url_pattern=r"/\d{4}/\d{2}/\d{2}/[a-z0-9-]+/$|/qiosk/[a-z0-9-]+/$",
        id_url_pattern=r"/[a-z0-9-]+-\d{10}$|/qiosk/[a-z0-9-]+/$",
    ),
    "wp": OutletSpec(
        wordpress.SITE_NAME, "127.0.0.2", WP_ARTICLES, _wp_route,
        feeds=("/feed/atom/",), sitemaps=("/sitemap_index.xml",), listing_pages=(),
        article_url_pattern=r"/\d{4}/\d{2}/\d{2}/[a-z0-9-]+/$",
    ),
    "wix": OutletSpec(
        wix.SITE_NAME, "127.0.0.3", WIX_ARTICLES, _wix_route,
        feeds=(), sitemaps=(), listing_pages=("/blog",),
        article_url_pattern=r"/post/[a-z0-9-]+$",
    ),
}  # fmt: skip
