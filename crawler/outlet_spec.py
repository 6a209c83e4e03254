"""What the crawler needs to know about one outlet, independent of how it was configured."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from urllib.parse import urlsplit


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
    def _pattern(self) -> re.Pattern[str] | None:
        return re.compile(self.article_url_pattern) if self.article_url_pattern else None

    def owns(self, url: str) -> bool:
        return (urlsplit(url).hostname or "").lower() in self.hosts

    def is_article_url(self, url: str) -> bool:
        """On the outlet's hosts and, when a pattern is configured, matching it."""
        if not self.owns(url):
            return False
        return self._pattern is None or self._pattern.search(url) is not None
