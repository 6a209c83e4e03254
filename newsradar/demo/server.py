"""Serve the sample outlets over real HTTP, each on its own loopback address (a distinct host).

Feeds, sitemaps and listing pages are rendered from the current article set on every request,
so an article added with :meth:`SampleOutlets.publish` shows up everywhere at once.
"""

from __future__ import annotations

import collections
import hashlib
import re
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import formatdate, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from urllib.parse import urlsplit

from newsradar.demo import feeds, statecraft, wix, wordpress
from newsradar.demo.content import (
    SAMPLE_ARTICLES,
    STATECRAFT_ARTICLES,
    WIX_ARTICLES,
    WP_ARTICLES,
    SampleArticle,
)
from newsradar.demo.markup import iso
from newsradar.demo.statecraft import Placed

INFINITE_SCROLL_FOLLOWERS = 2


@dataclass(frozen=True, slots=True)
class Response:
    body: str
    content_type: str = "text/html; charset=utf-8"
    status: int = 200


NOT_FOUND = Response("<html><body><h1>Not found</h1></body></html>", status=404)
Route = Callable[["SampleSite", str], Response]


class SampleSite:
    """One sample outlet: its articles, its HTTP server and the paths it was asked for."""

    def __init__(
        self,
        outlet_id: str,
        name: str,
        host: str,
        now: datetime,
        articles: tuple[SampleArticle, ...],
        route: Route,
    ) -> None:
        self.outlet_id = outlet_id
        self.name = name
        self.host = host
        self.now = now
        self.base_url = ""
        self._articles = {a.slug: a for a in articles}
        self._route = route
        self._lock = threading.Lock()
        self._requests: collections.Counter[str] = collections.Counter()
        self._statuses: collections.Counter[tuple[str, int]] = collections.Counter()
        # The latest requests: when each came (time.monotonic()) and for which path.
        self._request_log: collections.deque[tuple[float, str]] = collections.deque(maxlen=10_000)
        # Per path: the body's ETag and when that body was first served (its Last-Modified).
        self._versions: dict[str, tuple[str, int]] = {}
        self.user_agents: set[str] = set()  # every User-Agent that asked, to check honesty
        # Tests turn an outlet into errors, slow pages or a new layout: a route consulted first,
        # whose None means "answer as usual". `send_etags` off leaves only Last-Modified.
        self.override: Route | None = None
        self.send_etags = True
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- articles -------------------------------------------------------------------------
    def article_path(self, article: SampleArticle) -> str:
        if self.outlet_id == "wix":
            return f"/post/{article.slug}"
        return f"{self.published(article):/%Y/%m/%d}/{article.slug}/"

    def published(self, article: SampleArticle) -> datetime:
        return self.now - article.age

    def add(self, article: SampleArticle) -> None:
        with self._lock:
            self._articles[article.slug] = article

    def placed(self) -> list[Placed]:
        """Articles newest first, with their absolute URL and publication time."""
        with self._lock:
            articles = list(self._articles.values())
        base = self.base_url
        items = [Placed(a, base + self.article_path(a), self.published(a)) for a in articles]
        return sorted(items, key=lambda p: p.published, reverse=True)

    # --- HTTP -----------------------------------------------------------------------------
    def requests(self) -> collections.Counter[str]:
        with self._lock:
            return collections.Counter(self._requests)

    def statuses(self) -> collections.Counter[tuple[str, int]]:
        """(path, status) of every answer, 304s included."""
        with self._lock:
            return collections.Counter(self._statuses)

    def request_log(self) -> list[tuple[float, str]]:
        """(time.monotonic(), path) of the latest requests, oldest first: for timing crawls."""
        with self._lock:
            return list(self._request_log)

    def respond(self, path: str) -> Response:
        with self._lock:
            self._requests[path] += 1
            self._request_log.append((time.monotonic(), path))
        override = self.override
        if override is not None:
            response = override(self, path)
            if response is not None:
                return response
        return self._route(self, path)

    def answered(self, path: str, status: int) -> None:
        with self._lock:
            self._statuses[(path, status)] += 1

    def version(self, path: str, etag: str) -> int:
        """When this body of the path was first served (seconds; later bodies, later times)."""
        with self._lock:
            known = self._versions.get(path)
            if known is not None and known[0] == etag:
                return known[1]
            stamp = int(time.time()) if known is None else max(int(time.time()), known[1] + 1)
            self._versions[path] = (etag, stamp)
            return stamp

    def start(self) -> None:
        self._server = _QuietServer((self.host, 0), _handler_for(self))
        self._server.daemon_threads = True
        self.base_url = f"http://{self.host}:{self._server.server_address[1]}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, name=f"sample-{self.outlet_id}", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None


class _QuietServer(ThreadingHTTPServer):
    """A client that went away mid-answer (a crawl stopped, a process killed) is not an error."""

    def handle_error(self, request: object, client_address: object) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)  # type: ignore[arg-type]


def _handler_for(site: SampleSite) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "SampleOutlet/1.0"

        def do_GET(self) -> None:
            self._serve(send_body=True)

        def do_HEAD(self) -> None:
            self._serve(send_body=False)

        def _serve(self, *, send_body: bool) -> None:
            site.user_agents.add(self.headers.get("User-Agent", ""))
            path = urlsplit(self.path).path
            response = site.respond(path)
            payload = response.body.encode("utf-8")
            etag = '"' + hashlib.sha1(payload).hexdigest()[:16] + '"'
            validators: list[tuple[str, str]] = []
            if response.status == 200:
                modified = site.version(path, etag)
                validators.append(("Last-Modified", formatdate(modified, usegmt=True)))
                if site.send_etags:
                    validators.append(("ETag", etag))
                if self._not_modified(etag if site.send_etags else None, modified):
                    site.answered(path, 304)
                    self.send_response(304)
                    for name, value in validators:
                        self.send_header(name, value)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
            site.answered(path, response.status)
            self.send_response(response.status)
            self.send_header("Content-Type", response.content_type)
            self.send_header("Content-Length", str(len(payload)))
            for name, value in validators:
                self.send_header(name, value)
            self.end_headers()
            if send_body:
                self.wfile.write(payload)

        def _not_modified(self, etag: str | None, modified: int) -> bool:
            """RFC 9110: If-None-Match decides when sent; If-Modified-Since only without it."""
            if_none_match = self.headers.get("If-None-Match")
            if if_none_match is not None:
                return etag is not None and etag in (t.strip() for t in if_none_match.split(","))
            since = self.headers.get("If-Modified-Since")
            if since is None:
                return False
            try:
                return modified <= parsedate_to_datetime(since).timestamp()
            except (TypeError, ValueError):
                return False

        def log_message(self, format: str, *args: object) -> None:
            """Keep test and demo output clean."""

    return Handler


# --- routes per outlet ------------------------------------------------------------------------
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


def _wp_route(site: SampleSite, path: str) -> Response:
    items = site.placed()
    base = site.base_url
    if path == "/" or _SECTION_PAGE.match(path):
        return Response(wordpress.home_page(items))
    if path == "/feed/atom/":
        body = feeds.atom(site.name, base + "/", base + path, items)
        return Response(body, "application/atom+xml; charset=utf-8")
    if path == "/sitemap_index.xml":
        lastmod = iso(items[0].published) if items else iso(site.now)
        maps = [base + "/post-sitemap.xml", base + "/news-sitemap.xml"]
        return Response(feeds.sitemap_index(maps, lastmod), XML)
    if path == "/post-sitemap.xml":
        return Response(feeds.post_sitemap(items), XML)
    if path == "/news-sitemap.xml":
        return Response(feeds.news_sitemap(site.name, items), XML)
    if path == "/robots.txt":
        robots = (
            "User-agent: *\nDisallow: /wp-admin/\nAllow: /wp-admin/admin-ajax.php\n\n"
            f"Sitemap: {base}/sitemap_index.xml\nSitemap: {base}/news-sitemap.xml\n"
        )
        return Response(robots, TEXT)
    item = _find(items, path, base)
    return Response(wordpress.article_page(item, items[:5])) if item else NOT_FOUND


def _wix_route(site: SampleSite, path: str) -> Response:
    items = site.placed()
    if path == "/blog":
        return Response(wix.blog_page(items))
    if path == "/":
        return Response(wix.plain_page("Home", "Independent analysis of the Middle East."))
    if path == "/about":
        return Response(wix.plain_page("About", "We are a small policy forum on the region."))
    if path == "/contact":
        return Response(wix.plain_page("Contact", "Write to us at info@forum.example.org."))
    if path == "/robots.txt":
        return Response("User-agent: *\nAllow: /\n", TEXT)
    item = _find(items, path, site.base_url)
    return Response(wix.post_page(item)) if item else NOT_FOUND


@dataclass(frozen=True, slots=True)
class _OutletSpec:
    name: str
    host: str
    articles: tuple[SampleArticle, ...]
    route: Route
    feeds: tuple[str, ...]
    sitemaps: tuple[str, ...]
    listing_pages: tuple[str, ...]
    article_url_pattern: str


OUTLET_SPECS: dict[str, _OutletSpec] = {
    "statecraft": _OutletSpec(
        statecraft.SITE_NAME, "127.0.0.1", STATECRAFT_ARTICLES, _statecraft_route,
        feeds=("/feeds/feed.rss",), sitemaps=(), listing_pages=("/",),
        article_url_pattern=r"/\d{4}/\d{2}/\d{2}/[a-z0-9-]+/$|/qiosk/[a-z0-9-]+/$",
    ),
    "wp": _OutletSpec(
        wordpress.SITE_NAME, "127.0.0.2", WP_ARTICLES, _wp_route,
        feeds=("/feed/atom/",), sitemaps=("/sitemap_index.xml",), listing_pages=(),
        article_url_pattern=r"/\d{4}/\d{2}/\d{2}/[a-z0-9-]+/$",
    ),
    "wix": _OutletSpec(
        wix.SITE_NAME, "127.0.0.3", WIX_ARTICLES, _wix_route,
        feeds=(), sitemaps=(), listing_pages=("/blog",),
        article_url_pattern=r"/post/[a-z0-9-]+$",
    ),
}  # fmt: skip


class SampleOutlets:
    """The three sample outlets; a context manager that starts them on enter, stops on exit."""

    def __init__(self, now: datetime | None = None) -> None:
        self.now = now or datetime.now(UTC)
        self.sites: dict[str, SampleSite] = {
            outlet_id: SampleSite(outlet_id, s.name, s.host, self.now, s.articles, s.route)
            for outlet_id, s in OUTLET_SPECS.items()
        }

    def __enter__(self) -> SampleOutlets:
        try:
            for site in self.sites.values():
                site.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def stop(self) -> None:
        for site in self.sites.values():
            site.stop()

    def outlets_config(self) -> list[dict[str, object]]:
        """Entries for ``config/outlets.yaml`` pointing at the running servers."""
        config = []
        for outlet_id, spec in OUTLET_SPECS.items():
            base = self.sites[outlet_id].base_url
            config.append(
                {
                    "id": outlet_id,
                    "name": spec.name,
                    "feeds": [base + p for p in spec.feeds],
                    "sitemaps": [base + p for p in spec.sitemaps],
                    "listing_pages": [base + p for p in spec.listing_pages],
                    "article_url_pattern": spec.article_url_pattern,
                    "every": "15m",
                    "enabled": True,
                }
            )
        return config

    def publish(self, article: SampleArticle) -> str:
        """Add (or replace, by slug) an article at run time; returns its absolute URL."""
        self.sites[article.outlet].add(article)
        return self.article_url(article)

    def article_url(self, article: SampleArticle) -> str:
        site = self.sites[article.outlet]
        return site.base_url + site.article_path(article)

    def alternate_url(self, article: SampleArticle) -> str | None:
        """The second, non-canonical URL of an article, when it has one."""
        if article.alt_path is None:
            return None
        return self.sites[article.outlet].base_url + article.alt_path

    def requests(self, outlet_id: str) -> collections.Counter[str]:
        return self.sites[outlet_id].requests()


def main() -> None:
    import time

    import yaml

    with SampleOutlets() as outlets:
        print(yaml.safe_dump({"outlets": outlets.outlets_config()}, sort_keys=False), flush=True)
        print(f"# serving {len(SAMPLE_ARTICLES)} sample articles; Ctrl-C to stop", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
