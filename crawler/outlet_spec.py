"""What the crawler needs to know about one outlet, independent of how it was configured."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from urllib.parse import urlsplit

from crawler.url_pattern import UrlPattern, compile_url_pattern


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

    @cached_property
    def hosts(self) -> frozenset[str]:
        """Hosts the outlet's articles may live on: those of its configured URLs (www. or not)."""
        hosts = set(self.extra_hosts)
        for url in (*self.feeds, *self.sitemaps, *self.listing_pages):
            host = (urlsplit(url).hostname or "").lower()
            if host:
                hosts.add(host)
                hosts.add(host.removeprefix("www.") if host.startswith("www.") else f"www.{host}")
        return frozenset(hosts)

    @cached_property
    def _pattern(self) -> UrlPattern | None:
        """Compiled for RE2: a hostile link costs time linear in its length, never a stall."""
        if not self.article_url_pattern:
            return None
        return compile_url_pattern(self.article_url_pattern)

    def owns(self, url: str) -> bool:
        return (urlsplit(url).hostname or "").lower() in self.hosts

    def is_article_url(self, url: str) -> bool:
        """On the outlet's hosts and, when a pattern is configured, matching it."""
        if not self.owns(url):
            return False
        return self._pattern is None or self._pattern.search(url) is not None
