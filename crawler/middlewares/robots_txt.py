"""robots.txt obeyed: shared by every request waiting for a host's rules, kept between crawls,
read up to 500 KiB however large, and an unreadable one refusing its host (RFC 9309)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from scrapy import Request, signals
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import IgnoreRequest, StopDownload
from scrapy.http import Response
from scrapy.robotstxt import RobotParser
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.misc import build_from_crawler
from twisted.internet.defer import Deferred

from crawler.crawl_context import CrawlContext

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

ROBOTS_MAX_BYTES = 500 * 1024  # RFC 9309 2.5: a crawler must read at least the first 500 KiB


UNREADABLE_RETRY = 60.0  # seconds


@dataclass(frozen=True)
class UnreadableRobots:
    """A host whose robots.txt could not be read: nothing of it is fetched in this crawl.

    RFC 9309 2.3.1.4: a robots.txt that is unreachable (a server error, a failed download) means
    the whole site is disallowed, not allowed; the outlet's request says why, so it is
    reported. A crawl that lives on (a worker on the shared frontier) asks again once the mark
    is `UNREADABLE_RETRY` seconds old: a robots.txt answered with 429 or 503 for a moment must
    not refuse its host for as long as the process runs."""

    reason: str
    since: float = field(default_factory=time.monotonic)

    def stale(self) -> bool:
        return time.monotonic() - self.since > UNREADABLE_RETRY


def is_robots_request(request: Request) -> bool:
    return bool(request.meta.get("dont_obey_robotstxt")) and (
        urlparse_cached(request).path == "/robots.txt"
    )


def robots_rules(body: bytes) -> bytes | None:
    """The part of a robots.txt body that is obeyed: the first 500 KiB, cut at the last line
    break (a rule cut in half could allow more than it said); None when it is broken (binary,
    or no line break at all within the part read)."""
    if b"\0" in body[:ROBOTS_MAX_BYTES]:
        return None
    if len(body) <= ROBOTS_MAX_BYTES:
        return body
    head = body[:ROBOTS_MAX_BYTES]
    cut = head.rfind(b"\n")
    return head[: cut + 1] if cut >= 0 else None


class SharedRobotsTxtMiddleware(RobotsTxtMiddleware):
    """robots.txt obeyed by every request that waits for the same host's rules, and kept
    between crawls.

    The stock middleware hands the pending parser to each waiting request by turning one shared
    Deferred into a future per waiter; the first waiter consumes the result and the later ones
    receive None, which means "no rules", so pages robots.txt forbids were fetched whenever three
    or more requests to a new host started together. Each waiter here gets its own relay.

    The stock middleware also takes a robots.txt it could not read (a download error, too large,
    a server error) for "no rules", so a huge robots.txt let every page it disallows be fetched.
    Here only a 4xx means no rules; its first 500 KiB are obeyed however large it is (see
    `RobotsTxtSizeMiddleware`); anything else unreadable refuses the host's requests with the
    reason, which their outlet reports.

    The crawl's context may hold robots.txt bodies kept from earlier crawls (`RobotsMemory.kept`,
    still fresh enough to obey): those hosts are not asked again. Every body fetched is left in
    `RobotsMemory.fetched` for whoever keeps them; an unreadable one is not kept, so it is asked
    again.
    """

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.memory = CrawlContext.from_crawler(crawler).robots

    async def process_request(self, request: Request, spider: Any = None) -> None:
        if request.meta.get("dont_obey_robotstxt"):
            return
        rules = await self.robot_parser(request)
        if isinstance(rules, UnreadableRobots):
            raise IgnoreRequest(f"not fetched: robots.txt unreadable ({rules.reason})")
        self.process_request_2(rules, request)

    async def robot_parser(self, request: Request) -> Any:
        netloc = urlparse_cached(request).netloc
        marked = self._parsers.get(netloc)
        if isinstance(marked, UnreadableRobots) and marked.stale():
            del self._parsers[netloc]
        if netloc not in self._parsers:
            known = self.memory.kept.get(netloc)
            if known is not None:
                self._parsers[netloc] = build_from_crawler(self._parserimpl, self.crawler, known)
                self._stats.inc_value("robotstxt/kept")
        pending = self._parsers.get(netloc)
        if not isinstance(pending, Deferred):
            return await super().robot_parser(request)
        waiter: Deferred[RobotParser | None] = Deferred()

        def relay(result: Any) -> Any:
            waiter.callback(result)
            return result

        pending.addBoth(relay)
        return await maybe_deferred_to_future(waiter)

    async def _parse_robots(self, response: Response, netloc: str, request: Request) -> None:
        if response.status >= 500 or response.status == 429:
            self._unreadable(netloc, f"HTTP {response.status}")
            return
        rules = robots_rules(response.body) if response.status < 300 else b""
        if rules is None:
            self._unreadable(netloc, "not a text file")
            return
        self.memory.fetched[netloc] = rules
        await super()._parse_robots(response.replace(body=rules), netloc, request)

    def _robots_error(self, exc: Exception, netloc: str) -> None:
        name, message = type(exc).__name__, str(exc).strip()
        if "Timeout" in name or "took longer" in message:
            reason = "timed out"
        elif "ConnectionRefused" in name:
            reason = "connection refused"
        else:
            reason = (message or name)[:200]
        self._unreadable(netloc, reason)

    def _unreadable(self, netloc: str, reason: str) -> None:
        self._stats.inc_value("robotstxt/unreadable")
        pending = self._parsers.get(netloc)
        self._parsers[netloc] = unreadable = UnreadableRobots(reason)  # type: ignore[assignment]  # why: the stock middleware's parser map holds parsers only; this marks a host refused
        if isinstance(pending, Deferred):
            pending.callback(unreadable)  # type: ignore[arg-type]  # why: as above, its waiters are handed the mark instead of a parser


class RobotsTxtSizeMiddleware:
    """Reads the first 500 KiB of a robots.txt however large it is (RFC 9309 2.5).

    The download handler cancels a body over the page size limit, before reading it when its
    Content-Length says so; a robots.txt is instead stopped once 500 KiB have arrived and what
    came is used. Registered after the compression middleware (a higher number), so a compressed
    robots.txt is still inflated within the page size limit.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.maxsize = crawler.settings.getint("DOWNLOAD_MAXSIZE")
        crawler.signals.connect(self._received, signal=signals.bytes_received)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RobotsTxtSizeMiddleware:
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        if is_robots_request(request):
            request.meta["download_maxsize"] = 0  # the size is bounded by _received instead
            request.meta["robots_bytes"] = 0

    def process_response(self, request: Request, response: Response) -> Response:
        if is_robots_request(request):
            request.meta["download_maxsize"] = self.maxsize
        return response

    def _received(self, data: bytes, request: Request, **_: Any) -> None:
        if "robots_bytes" in request.meta and is_robots_request(request):
            request.meta["robots_bytes"] += len(data)
            if request.meta["robots_bytes"] > ROBOTS_MAX_BYTES:
                raise StopDownload(fail=False)
