"""What the crawler needs to know about one outlet, independent of how it was configured."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from urllib.parse import urlsplit

from crawler.url_pattern import UrlPattern, compile_url_pattern

DEFAULT_PORTS = {"http": 80, "https": 443}
Origin = tuple[str, str, int]  # scheme, host, port


def origin_of(url: str) -> Origin | None:
    """(scheme, host, port) of an http(s) URL, the port made explicit; None for anything else."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.hostname:
        return None
    try:
        port = parts.port
    except ValueError:  # a port out of range or not a number
        return None
    return scheme, parts.hostname.lower(), port or DEFAULT_PORTS[scheme]


def _www_alias(host: str) -> str:
    return host.removeprefix("www.") if host.startswith("www.") else f"www.{host}"


@dataclass(frozen=True)
class Budget:
    """What one outlet may spend in one run (see `crawler/outlet_budget.py`): far above what a
    normal outlet needs, so that only a hostile or broken one reaches it."""

    requests: int = 1000  # discovery included: every sitemap child, redirect hop and retry
    bytes: int = 200 * 1024 * 1024
    seconds: float = 20 * 60.0


@dataclass(frozen=True)
class OutletSpec:
    id: str
    name: str
    feeds: tuple[str, ...] = ()
    sitemaps: tuple[str, ...] = ()
    listing_pages: tuple[str, ...] = ()
    article_url_pattern: str | None = None
    content_xpath: str | None = None
    remove_xpath: tuple[str, ...] = ()
    extra_hosts: tuple[str, ...] = field(default=())
    budget: Budget = field(default_factory=Budget)

    @cached_property
    def origins(self) -> frozenset[Origin]:
        """Where the outlet's pages may live: the origins (scheme, host, port) of its configured
        URLs, each with or without `www.`. Another port of the same host is another site (it may
        be a local service), so it counts only when configured. A configured origin on its
        scheme's standard port also admits the other scheme on its standard port, as outlets
        move between http and https on 80 and 443."""
        origins = {(s, h, p) for h in self.extra_hosts for s, p in DEFAULT_PORTS.items()}
        for url in (*self.feeds, *self.sitemaps, *self.listing_pages):
            origin = origin_of(url)
            if origin is None:
                continue
            scheme, host, port = origin
            standard = port == DEFAULT_PORTS[scheme]
            endpoints = DEFAULT_PORTS.items() if standard else [(scheme, port)]
            origins.update((s, h, p) for h in (host, _www_alias(host)) for s, p in endpoints)
        return frozenset(origins)

    @cached_property
    def hosts(self) -> frozenset[str]:
        """The host names of the outlet's origins (what a per-host setting is keyed by)."""
        return frozenset(host for _, host, _ in self.origins)

    @cached_property
    def _pattern(self) -> UrlPattern | None:
        """Compiled for RE2: a hostile link costs time linear in its length, never a stall."""
        if not self.article_url_pattern:
            return None
        return compile_url_pattern(self.article_url_pattern)

    def owns(self, url: str) -> bool:
        """On one of the outlet's origins (host and port, not only the host name)."""
        return origin_of(url) in self.origins

    def is_article_url(self, url: str) -> bool:
        """On the outlet's origins and, when a pattern is configured, matching it."""
        if not self.owns(url):
            return False
        return self._pattern is None or self._pattern.search(url) is not None
