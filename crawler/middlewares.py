"""Downloader middlewares of the crawler."""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urldefrag, urljoin, urlsplit

from scrapy import Request, signals
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import IgnoreRequest, StopDownload
from scrapy.http import HtmlResponse, Response
from scrapy.robotstxt import RobotParser
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.misc import build_from_crawler
from scrapy.utils.response import get_meta_refresh
from twisted.internet.defer import Deferred
from w3lib.url import safe_url_string

from crawler.crawl_context import CrawlContext
from crawler.outlet_spec import Origin, origin_of

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
NAMED_ADDRESS_LOOKUP_SECONDS = 5.0


ROBOTS_MAX_BYTES = 500 * 1024  # RFC 9309 2.5: a crawler must read at least the first 500 KiB


@dataclass(frozen=True)
class UnreadableRobots:
    """A host whose robots.txt could not be read: nothing of it is fetched in this crawl.

    RFC 9309 2.3.1.4: a robots.txt that is unreachable (a server error, a failed download) means
    the whole site is disallowed, not allowed; the outlet's request says why, so it is
    reported."""

    reason: str


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


def parse_address(text: str) -> IPAddress | None:
    """An IP address literal (IPv4-mapped IPv6 as IPv4); None for a name."""
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def is_public(address: IPAddress) -> bool:
    """Reachable on the public internet: not private, loopback, link-local, reserved, multicast."""
    return address.is_global and not address.is_multicast


@dataclass(frozen=True)
class HostPolicy:
    """Where the crawler may go: the outlets' own origins (scheme, host and port), and no
    private address nobody named.

    ``named`` holds the non-public addresses the configuration itself points at (an outlet on
    ``http://127.0.0.1:8080/`` or on an intranet name); any other private, loopback or link-local
    address is refused, so a redirect or a DNS answer cannot turn the crawler against the
    machine it runs on or its network.
    """

    origins: frozenset[Origin]
    named: frozenset[IPAddress]

    def refusal(self, url: str, address: IPAddress | None) -> str | None:
        """Why ``url`` (whose host resolved to ``address``) must not be fetched; None if fine."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            return f"not fetched: {parts.scheme or 'relative'} URL"
        origin = origin_of(url)
        if origin not in self.origins:
            where = f"{origin[1]}:{origin[2]}" if origin else parts.netloc or "no host"
            return f"not fetched: {where} is not one of the outlet's hosts and ports"
        host = origin[1]
        if address is not None and not is_public(address) and address not in self.named:
            return f"not fetched: {host} resolves to a non-public address ({address})"
        return None


class OutletHostsMiddleware:
    """Refuses every request, redirects and robots.txt included, that leaves its outlet's
    origins: another port of the outlet's own host is another site.

    The spider only queues candidates on the outlet's hosts, but a redirect, a sitemap or a DNS
    answer can still point elsewhere; Scrapy's own offsite filter lets requests marked
    ``dont_filter`` (feeds, sitemaps, listing pages) and their redirects through, and ignores
    addresses. Registered before robots.txt, so not even the robots.txt of a refused host is
    fetched.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.outlets = CrawlContext.from_crawler(crawler).outlets
        self._policies: dict[str | None, HostPolicy] | None = None
        self._resolved: dict[str, IPAddress | None] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> OutletHostsMiddleware:
        return cls(crawler)

    async def process_request(self, request: Request) -> None:
        policies = await self._load_policies()
        policy = policies.get(request.meta.get("outlet")) or policies[None]
        host = urlparse_cached(request).hostname or ""
        reason = policy.refusal(request.url, await self._resolve(host) if host else None)
        if reason is not None:
            raise IgnoreRequest(reason)

    async def _load_policies(self) -> dict[str | None, HostPolicy]:
        if self._policies is None:
            outlets = self.outlets
            configured = {
                host
                for outlet in outlets.values()
                for url in (*outlet.feeds, *outlet.sitemaps, *outlet.listing_pages)
                if (host := urlsplit(url).hostname)
            }
            # All at once and bounded: a dead outlet's DNS must not hold up the others' crawl.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    asyncio.gather(*(self._resolve(host) for host in configured)),
                    NAMED_ADDRESS_LOOKUP_SECONDS,
                )
            named = frozenset(
                address
                for host in configured
                if (address := self._resolved.get(host)) is not None and not is_public(address)
            )
            policies: dict[str | None, HostPolicy] = {
                key: HostPolicy(outlet.origins, named) for key, outlet in outlets.items()
            }
            # Requests of no outlet (robots.txt) may go to any outlet's origins.
            every_origin = frozenset(o for outlet in outlets.values() for o in outlet.origins)
            policies[None] = HostPolicy(every_origin, named)
            self._policies = policies
        return self._policies

    async def _resolve(self, host: str) -> IPAddress | None:
        """The address Scrapy will connect to (same caching resolver); None if unresolvable."""
        if host in self._resolved:
            return self._resolved[host]
        address = parse_address(host)
        if address is None:
            try:
                answer = await maybe_deferred_to_future(reactor_resolve(host))
            except Exception:  # unresolvable: the download fails and is reported on its own
                answer = ""
            address = parse_address(answer)
        self._resolved[host] = address
        return address


def reactor_resolve(host: str) -> Deferred[str]:
    from twisted.internet import reactor

    return reactor.resolve(host)  # type: ignore[arg-type]  # why: Twisted declares interface methods without self, so mypy takes host for the timeout argument


class RedirectLoopMiddleware:
    """Reports a redirect or a meta refresh back to a URL already visited on the way (the page
    itself included) as that page's error, instead of losing it.

    Scrapy's duplicate filter drops the looping request silently (no error reaches the spider),
    so a page stuck in a loop, or refreshing to itself, would vanish from the outlet's report and
    be fetched again on every run as if it were new. Registered after RedirectMiddleware and
    MetaRefreshMiddleware (a higher number), so it sees the response first.
    """

    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        self.meta_refresh = settings.getbool("METAREFRESH_ENABLED")
        self.ignore_tags = settings.getlist("METAREFRESH_IGNORE_TAGS")
        self.max_delay = settings.getfloat("METAREFRESH_MAXDELAY")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RedirectLoopMiddleware:
        return cls(crawler)

    def process_response(self, request: Request, response: Response) -> Response:
        target, kind = self._next_hop(request, response)
        if target is None or request.meta.get("dont_redirect"):
            return response
        way = (*request.meta.get("redirect_urls", ()), request.url)
        visited = {urldefrag(url)[0] for url in way}
        if urldefrag(target)[0] in visited:
            raise IgnoreRequest(f"{kind} loop: {target} leads back to itself")
        return response

    def _next_hop(self, request: Request, response: Response) -> tuple[str | None, str]:
        """Where the response sends the client next (a 3xx Location, or a meta refresh Scrapy
        would follow), and which of the two it is."""
        location = response.headers.get("Location")
        if response.status in REDIRECT_STATUSES and location:
            return urljoin(request.url, safe_url_string(location)), "redirect"
        if self.meta_refresh and isinstance(response, HtmlResponse):
            delay, url = get_meta_refresh(response, ignore_tags=self.ignore_tags)
            if url and delay is not None and delay < self.max_delay:
                return url, "meta refresh"
        return None, ""


class RetryAfterMiddleware(RetryMiddleware):
    """Scrapy's retries, except when the server asked for more time than a retry would give.

    A 503 or 429 with ``Retry-After: 3600`` is answered by coming back on a later run, not by
    asking again at once (which is what the stock middleware does, whatever the header says).
    """

    max_wait_seconds = 10.0

    def process_response(
        self, request: Request, response: Response, spider: Any = None
    ) -> Request | Response:
        wait = retry_after_seconds(response.headers.get("Retry-After"))
        if wait is not None and wait > self.max_wait_seconds:
            return response
        return super().process_response(request, response)


def retry_after_seconds(value: bytes | None, now: datetime | None = None) -> float | None:
    """Seconds a Retry-After header asks for (a number or an HTTP date); None if absent/bad."""
    if not value:
        return None
    text = value.decode("latin-1").strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())
