"""What the crawler needs from the rest of the service, as Protocols.

The crawler never imports the database; the application implements these (as it implements
`notifier.bot.backend.BotBackend` for the bot) and hands them over in the crawl's context
(`crawler.crawl_context.CrawlContext`)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Protocol

from scrapy import Request

from crawler.items import ArticleItem


class ArticleStore(Protocol):
    """Where extracted articles go, and what it already holds."""

    def known_urls(self, urls: Collection[str]) -> set[str]:
        """Which of these canonical URLs need no fetch (stored, or waiting to be tried again)."""
        ...

    def add_many(self, items: Sequence[ArticleItem]) -> Sequence[object | None]:
        """Store the articles in one transaction; None for each one already stored."""
        ...

    def note_textless(self, outlet_id: str, pages: Collection[tuple[str, str]]) -> None:
        """These pages (requested and final URL) had no article text: fetch them again later."""
        ...


class Frontier(Protocol):
    """A shared frontier, told when each request it handed out is done."""

    def done(self, request: Request, *, retry_later: bool = False) -> None: ...
