"""Serve the sample outlets over real HTTP, each on its own loopback address (a distinct host).

Feeds, sitemaps and listing pages are rendered from the current article set on every request,
so an article added with :meth:`SampleOutlets.publish` shows up everywhere at once.
"""

from __future__ import annotations

import collections
import hashlib
import socket
import sys
import threading
import time
import zlib
from datetime import UTC, datetime
from email.utils import formatdate, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from urllib.parse import urlsplit

from newsradar.demo.content import SAMPLE_ARTICLES, SampleArticle
from newsradar.demo.outlet_routes import OUTLET_SPECS, Response, Route
from newsradar.demo.statecraft import Placed

FIRST_POST_ID = 2_660_000_000  # RebelMouse post ids have ten digits


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
        # The statecraft sample's articles at `/slug-2661234567`, as real RebelMouse sites
        # number their posts, instead of dated paths (SampleOutlets(rebelmouse_ids=True)).
        self.post_ids = False

    # --- articles -------------------------------------------------------------------------
    def article_path(self, article: SampleArticle) -> str:
        if self.outlet_id == "wix":
            return f"/post/{article.slug}"
        if self.post_ids:
            return f"/{article.slug}-{FIRST_POST_ID + zlib.crc32(article.slug.encode()) % 10**7}"
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

    def handle_error(
        self, request: socket.socket | tuple[bytes, socket.socket], client_address: object
    ) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _SampleHandler(BaseHTTPRequestHandler):
    """Answers GET and HEAD for one sample site, with conditional GET (ETag, Last-Modified)."""

    protocol_version = "HTTP/1.1"
    server_version = "SampleOutlet/1.0"
    site: SampleSite  # set on the subclass made for each site

    def do_GET(self) -> None:
        self._serve(send_body=True)

    def do_HEAD(self) -> None:
        self._serve(send_body=False)

    def _serve(self, *, send_body: bool) -> None:
        site = self.site
        site.user_agents.add(self.headers.get("User-Agent", ""))
        path = urlsplit(self.path).path
        response = site.respond(path)
        payload = response.body.encode("utf-8")
        etag = '"' + hashlib.sha1(payload).hexdigest()[:16] + '"'
        validators: list[tuple[str, str]] = []
        if response.status == 200:
            modified = site.version(path, etag)
            validators = self._validators(etag, modified)
            if self._not_modified(etag if site.send_etags else None, modified):
                self._send_not_modified(path, validators)
                return
        site.answered(path, response.status)
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(payload)))
        self._send_headers(validators)
        self.end_headers()
        if send_body:
            self.wfile.write(payload)

    def _validators(self, etag: str, modified: int) -> list[tuple[str, str]]:
        """Last-Modified always, ETag unless the site was told to leave it out."""
        validators = [("Last-Modified", formatdate(modified, usegmt=True))]
        if self.site.send_etags:
            validators.append(("ETag", etag))
        return validators

    def _send_not_modified(self, path: str, validators: list[tuple[str, str]]) -> None:
        self.site.answered(path, 304)
        self.send_response(304)
        self._send_headers(validators)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _send_headers(self, headers: list[tuple[str, str]]) -> None:
        for name, value in headers:
            self.send_header(name, value)

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


def _handler_for(site: SampleSite) -> type[BaseHTTPRequestHandler]:
    """The request handler class of one site (the server makes one handler per request)."""
    return type("Handler", (_SampleHandler,), {"site": site})


class SampleOutlets:
    """The three sample outlets; a context manager that starts them on enter, stops on exit."""

    def __init__(self, now: datetime | None = None, *, rebelmouse_ids: bool = False) -> None:
        self.now = now or datetime.now(UTC)
        self.sites: dict[str, SampleSite] = {
            outlet_id: SampleSite(outlet_id, s.name, s.host, self.now, s.articles, s.route)
            for outlet_id, s in OUTLET_SPECS.items()
        }
        self.sites["statecraft"].post_ids = rebelmouse_ids

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
                    "article_url_pattern": (
                        spec.id_url_pattern
                        if self.sites[outlet_id].post_ids and spec.id_url_pattern
                        else spec.article_url_pattern
                    ),
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
