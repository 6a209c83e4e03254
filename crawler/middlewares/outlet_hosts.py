"""Where the crawler may go: each outlet's own origins, and no private address nobody named."""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.exceptions import IgnoreRequest
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.defer import Deferred

from crawler.crawl_context import CrawlContext
from crawler.outlet_spec import Origin, origin_of

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
NAMED_ADDRESS_LOOKUP_SECONDS = 5.0


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
