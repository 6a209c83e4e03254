"""Store stage of the item pipelines: extracted articles go to the article store in batches."""

from __future__ import annotations

import asyncio
import logging

from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from crawler.crawl_context import CrawlContext
from crawler.crawl_ports import ArticleStore
from crawler.items import ArticleItem

log = logging.getLogger(__name__)


class StorePipeline:
    """Hands extracted articles to the crawl's article store (`crawler.crawl_ports.ArticleStore`).

    Articles are stored `NEWSRADAR_STORE_BATCH` at a time, in one transaction, or once the first
    of them has waited `NEWSRADAR_STORE_WAIT` seconds, and what is left when the crawl ends:
    stored right after its page's extraction, each article ran the store's code with the
    processor's caches cold, at about twice the CPU, while a polite crawl that finds one article
    a second should not hold it back from its alert. A worker on the shared frontier stores each
    at once (batch 1), because the frontier counts a page done when its item leaves the
    pipelines. The store runs in a thread, so a database waiting on a lock never stalls the
    event loop.

    With `NEWSRADAR_STORE_HOLD` (a worker on the shared frontier, which counts a page done when
    its item leaves the pipelines) each article waits in the pipeline until its batch is
    stored, and a failure to store it is that item's error, so batches keep that guarantee.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.context = CrawlContext.from_crawler(crawler)
        if self.context.store is None:
            raise NotConfigured("this crawl stores nothing: its context has no article store")
        self.store: ArticleStore = self.context.store
        self.batch = max(1, crawler.settings.getint("NEWSRADAR_STORE_BATCH", 1))
        self.wait = crawler.settings.getfloat("NEWSRADAR_STORE_WAIT", 0.0)
        self.hold = crawler.settings.getbool("NEWSRADAR_STORE_HOLD", False)
        self._waiting: list[ArticleItem] = []
        # Held items: what storing each came to (None, or the error that kept it out).
        self._outcomes: dict[int, asyncio.Future[BaseException | None]] = {}
        self._timer: asyncio.TimerHandle | None = None
        self._flushing: set[asyncio.Future[None]] = set()
        # Stores run in a thread, one at a time: each checks for copies among what the ones
        # before it stored, which a second store running alongside would not yet see.
        self._one_at_a_time = asyncio.Lock()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StorePipeline:
        return cls(crawler)

    async def process_item(self, item: ArticleItem) -> ArticleItem:
        self.context.runs[item.outlet_id].text_chars.append(len(item.text))
        self._waiting.append(item)
        outcome: asyncio.Future[BaseException | None] | None = None
        if self.hold:
            outcome = asyncio.get_running_loop().create_future()
            self._outcomes[id(item)] = outcome
        if len(self._waiting) >= self.batch:
            await self.flush(raise_errors=self.batch == 1)
        elif self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(self.wait, self._flush_later)
        if outcome is not None:
            error = await outcome
            if error is not None:  # Scrapy reports it as that item's error
                raise error
        return item

    async def close_spider(self) -> None:
        await self.flush()
        await asyncio.gather(*self._flushing)

    def _flush_later(self) -> None:
        self._timer = None
        task = asyncio.ensure_future(self.flush())
        self._flushing.add(task)
        task.add_done_callback(self._flushing.discard)

    async def flush(self, raise_errors: bool = False) -> None:
        """Store what is waiting."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        items, self._waiting = self._waiting, []
        if items:
            async with self._one_at_a_time:
                await self._store(items, raise_errors)

    async def _store(self, items: list[ArticleItem], raise_errors: bool) -> None:
        """A failure is reported with the article's outlet, whose sources are then read in full
        next time; in a batch, the others are stored each on its own."""
        try:
            stored = await asyncio.to_thread(self.store.add_many, items)
        except Exception as exc:
            if len(items) > 1:
                for item in items:
                    await self._store([item], raise_errors=False)
                return
            item = items[0]
            self.context.runs[item.outlet_id].page_errors.append(
                f"{item.url}: not stored: {type(exc).__name__}"
            )
            if self._settle(item, exc):
                return
            if raise_errors:  # stored as it came: Scrapy reports it as that item's error
                raise
            log.exception("%s: not stored", item.url)
            return
        for item, article in zip(items, stored, strict=True):
            self._settle(item, None)
            run = self.context.runs[item.outlet_id]
            if article is None:
                run.duplicates += 1
            else:
                run.articles += 1

    def _settle(self, item: ArticleItem, error: BaseException | None) -> bool:
        """Tell a held item how storing it went; False when it is not held."""
        outcome = self._outcomes.pop(id(item), None)
        if outcome is None:
            return False
        if not outcome.done():
            outcome.set_result(error)
        return True
