"""Many synthetic outlets on localhost, for measuring what crawling costs as outlets grow.

Outlet ``i`` lives on its own loopback address (127.1.x.y; the whole of 127.0.0.0/8 is loopback
on Linux), so each is a distinct host for the crawler's per-host politeness, as real outlets are.
All of them share one port: one aiohttp site per address, one event loop in a thread.

Each outlet has a WordPress-style RSS feed (ETag and Last-Modified; 304 when the client's
validators match), a robots.txt and a few article pages in the demo outlets' markup. Article
bodies are shuffled paragraphs of the demo texts behind a unique dateline, so no two articles are
the same story to the deduplication (distinct leads, distant fingerprints). Every request is
counted by kind, so a benchmark can say exactly what a crawl asked for.
"""

from __future__ import annotations

import collections
import hashlib
import random
import socket
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import formatdate
from functools import cache

from aiohttp import web

from newsradar.demo import feeds, wordpress
from newsradar.demo.content import SAMPLE_ARTICLES, SampleArticle
from newsradar.demo.statecraft import Placed
from tests.support.background import BackgroundServer

ROBOTS = "User-agent: *\nDisallow: /wp-admin/\n"
CITIES = ("Baghdad", "Erbil", "Basra", "Washington", "Amman", "Beirut", "Doha", "Geneva")
WATCHLIST_QUERIES = (
    "Iraq militia*",
    '"Al Asad" OR (Iraq AND strike*)',
    "Ukraine landmines",
    "Netanyahu ICC OR warrant*",
    '"Red Sea" shipping',
    "water scarcity Basra",
    "escalation (Iran OR Iraq) -sports",
    "title:Iraq",
    "Houthi* OR Yemen",
    "troops Syria",
    # Broad ones, so that the real pages of extraction-dev (any topic) match too.
    "government OR minister*",
    "president*",
    "police OR court*",
    "election* OR vote*",
    "market* price*",
    "climate OR weather",
)


def address(index: int) -> str:
    """The loopback address of outlet ``index`` (127.1.0.1, 127.1.0.2, ...)."""
    return f"127.1.{index // 250}.{index % 250 + 1}"


def index_of(host: str) -> int | None:
    parts = host.split(":", 1)[0].split(".")
    if len(parts) != 4 or parts[:2] != ["127", "1"]:
        return None
    return int(parts[2]) * 250 + int(parts[3]) - 1


@cache
def _paragraphs() -> tuple[str, ...]:
    return tuple(
        p for a in SAMPLE_ARTICLES for p in a.paragraphs if p not in a.subheadings and len(p) > 80
    )


def make_article(outlet: int, number: int) -> SampleArticle:
    """Article ``number`` of outlet ``outlet``: realistic prose, a story of its own."""
    rng = random.Random(outlet * 1_000 + number)
    source = SAMPLE_ARTICLES[(outlet + number) % len(SAMPLE_ARTICLES)]
    body = rng.sample(_paragraphs(), 9)
    dateline = (
        f"{rng.choice(CITIES).upper()}, dispatch {outlet}-{number} — {body[0]}"  # unique lead
    )
    return SampleArticle(
        outlet=f"bench{outlet}",
        slug=f"story-{number}-{source.slug}",
        title=f"{source.title} ({outlet}.{number})",
        dek=source.dek,
        author=source.author,
        age=timedelta(hours=number + 1),
        paragraphs=(dateline, *body[1:]),
    )


@dataclass
class _Outlet:
    index: int
    base_url: str
    items: list[Placed]
    feed: bytes
    etag: str
    last_modified: str


class SyntheticOutlets(BackgroundServer):
    """``count`` outlets with ``articles`` articles each; a context manager (start on enter)."""

    thread_name = "bench-outlets"
    start_timeout = 120
    stop_timeout = 30

    def __init__(
        self,
        count: int,
        articles: int = 2,
        now: datetime | None = None,
        pages: Sequence[bytes] = (),
        rate_limit: int | None = None,
    ) -> None:
        """``pages``: real HTML served as the article pages instead of demo markup (in turn).
        ``rate_limit``: each outlet answers 429 (Retry-After: 1) to a request that comes when it
        already had this many in the last second, as rate-limited real sites do."""
        super().__init__()
        self.rate_limit = rate_limit
        # Per outlet, when each request came (time.monotonic()): per-host peak rates.
        self.arrivals: dict[int, list[float]] = collections.defaultdict(list)
        self.count = count
        self.articles = articles
        self.pages = tuple(pages)
        self.now = now or datetime.now(UTC)
        self.port = 0
        self.counts: collections.Counter[str] = collections.Counter()
        self.article_requests: collections.Counter[str] = collections.Counter()  # by path
        self._lock = threading.Lock()
        self._outlets: dict[int, _Outlet] = {}

    # ----- content -------------------------------------------------------------------------
    def outlet(self, index: int) -> _Outlet:
        known = self._outlets.get(index)
        if known is not None:
            return known
        base = f"http://{address(index)}:{self.port}"
        items = [
            Placed(
                article,
                f"{base}{self.published(article):/%Y/%m/%d}/{article.slug}/",
                self.published(article),
            )
            for article in (make_article(index, n) for n in range(self.articles))
        ]
        feed = feeds.rss(f"Bench outlet {index}", base + "/", items).encode()
        etag = '"' + hashlib.sha1(feed).hexdigest()[:16] + '"'
        modified = formatdate(self.now.timestamp() - 60, usegmt=True)
        outlet = _Outlet(index, base, items, feed, etag, modified)
        self._outlets[index] = outlet
        return outlet

    def published(self, article: SampleArticle) -> datetime:
        return self.now - article.age

    def page(self, index: int, path: str) -> bytes | None:
        outlet = self.outlet(index)
        for number, item in enumerate(outlet.items):
            if item.url == outlet.base_url + path:
                if self.pages:
                    return self.pages[(index * self.articles + number) % len(self.pages)]
                return wordpress.article_page(item, outlet.items).encode()
        return None

    def article_pages(self) -> list[tuple[str, bytes]]:
        """(url, html) of every article page, as the server sends them."""
        pages = []
        for index in range(self.count):
            outlet = self.outlet(index)
            for item in outlet.items:
                path = item.url.removeprefix(outlet.base_url)
                pages.append((item.url, self.page(index, path) or b""))
        return pages

    def outlets_config(self, every: str = "15m") -> list[dict[str, object]]:
        return [
            {
                "id": f"bench{index}",
                "name": f"Bench outlet {index}",
                "feeds": [f"http://{address(index)}:{self.port}/feed/"],
                "article_url_pattern": r"/\d{4}/\d{2}/\d{2}/[a-z0-9-]+/$",
                "every": every,
            }
            for index in range(self.count)
        ]

    # ----- counting ------------------------------------------------------------------------
    def take_counts(self) -> dict[str, int]:
        """Requests by kind since the last call: robots, feed_200, feed_304, article, other."""
        with self._lock:
            counts, self.counts = dict(self.counts), collections.Counter()
        return counts

    def _count(self, kind: str) -> None:
        with self._lock:
            self.counts[kind] += 1

    def peak_rate(self) -> int:
        """The most requests any one outlet got within one second."""
        with self._lock:
            logs = [list(times) for times in self.arrivals.values()]
        return peak_rate(logs)

    def _limited(self, index: int) -> bool:
        """Note the request's arrival; whether it is over the outlet's rate limit."""
        now = time.monotonic()
        with self._lock:
            times = self.arrivals[index]
            times.append(now)
            if self.rate_limit is None:
                return False
            recent = 0
            for moment in reversed(times[:-1]):
                if now - moment >= 1.0:
                    break
                recent += 1
            return recent >= self.rate_limit

    # ----- HTTP ----------------------------------------------------------------------------
    async def _handle(self, request: web.Request) -> web.StreamResponse:
        index = index_of(request.host)
        if index is None or index >= self.count:
            self._count("other")
            return web.Response(status=404)
        if self._limited(index):
            self._count("429")
            return web.Response(status=429, headers={"Retry-After": "1"})
        path = request.path
        if path == "/robots.txt":
            self._count("robots")
            return web.Response(text=ROBOTS, content_type="text/plain")
        if path == "/feed/":
            outlet = self.outlet(index)
            validators = {"ETag": outlet.etag, "Last-Modified": outlet.last_modified}
            match = request.headers.get("If-None-Match")
            if (match and outlet.etag in match) or (
                not match and request.headers.get("If-Modified-Since") == outlet.last_modified
            ):
                self._count("feed_304")
                return web.Response(status=304, headers=validators)
            self._count("feed_200")
            return web.Response(
                body=outlet.feed,
                headers={**validators, "Content-Type": "application/rss+xml; charset=utf-8"},
            )
        body = self.page(index, path)
        if body is None:
            self._count("other")
            return web.Response(status=404)
        self._count("article")
        url = self.outlet(index).base_url + path
        with self._lock:
            self.article_requests[url] += 1
        return web.Response(body=body, content_type="text/html", charset="utf-8")

    async def _setup(self) -> None:
        app = web.Application()
        app.router.add_route("GET", "/{tail:.*}", self._handle)
        runner = await self._serve(app)
        self.port = _free_port(address(0))
        for index in range(self.count):
            site = web.TCPSite(runner, address(index), self.port, backlog=512)
            await site.start()


def peak_rate(arrivals: Iterable[list[float]]) -> int:
    """The most requests one host got within one second, from each host's arrival times."""
    peak = 0
    for times in arrivals:
        start = 0
        for end, moment in enumerate(times):
            while moment - times[start] >= 1.0:
                start += 1
            peak = max(peak, end - start + 1)
    return peak


def _free_port(host: str) -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])
