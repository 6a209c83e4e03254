"""A crawler carrying a crawl context, for testing one component on its own."""

from __future__ import annotations

from typing import Any

from scrapy import Spider
from scrapy.crawler import Crawler
from scrapy.utils.test import get_crawler

from crawler.crawl_context import CONTEXT_SETTING, CrawlContext


def crawler_with(
    context: CrawlContext, spidercls: type[Spider], settings: dict[str, Any] | None = None
) -> Crawler:
    """Scrapy's test crawler, with the context installed as a crawl's process installs it.

    The context goes in after the crawler is made: a crawler copies (deeply) the settings it is
    made with, and the context must stay the one object every component shares."""
    crawler = get_crawler(spidercls, settings)
    crawler.settings.frozen = False
    context.install(crawler)
    crawler.settings.freeze()
    assert crawler.settings.get(CONTEXT_SETTING) is context
    return crawler
