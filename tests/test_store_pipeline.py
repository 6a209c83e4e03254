"""The store pipeline (crawler/store_pipeline.py): batches, where each article still counts."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from crawler.crawl_context import CrawlContext, by_id
from crawler.outlet_spec import OutletSpec
from crawler.spiders.outlet_spider import OutletSpider
from crawler.store_pipeline import StorePipeline
from newsradar.database import Article, Database
from newsradar.database.article_store import ArticleStore, BackfillPolicy
from tests.support import SEEDS
from tests.support.article_items import article_item as _item
from tests.support.component_crawler import crawler_with

NOW = datetime.now(UTC)


def _store(tmp_path: Path, first_crawl: frozenset[str] = frozenset()) -> ArticleStore:
    db = Database(f"sqlite:///{tmp_path / 's.db'}")
    return ArticleStore(db, BackfillPolicy({"rs": timedelta(hours=24)}, first_crawl))


def test_the_store_pipeline_stores_in_batches_where_each_article_still_counts(
    tmp_path: Path,
) -> None:
    """A copy later in the same batch is still recognised; an article the database refuses fails
    alone, reported with its outlet; one that waited long enough is stored without the rest of
    its batch; what is left is stored when the crawl ends; each store that added an article is
    told to whoever matches them."""
    seed = [path.read_text(encoding="utf-8") for path in sorted(SEEDS.glob("*.txt"))]
    told: list[int] = []
    store = _store(tmp_path)
    spec = OutletSpec(id="rs", name="RS", feeds=("https://rs.example/feed",))
    context = CrawlContext(by_id([spec]), store=store)
    crawler = crawler_with(
        context, OutletSpider, {"NEWSRADAR_STORE_BATCH": 4, "NEWSRADAR_STORE_WAIT": 0.3}
    )
    pipeline = StorePipeline.from_crawler(crawler)
    refused = _item("https://rs.example/refused/", seed[2], NOW)
    refused.title = ["not", "text"]  # type: ignore[assignment]  # no database stores a list
    batch = [
        _item("https://rs.example/a/", seed[0], NOW),
        _item("https://rs.example/copy-of-a/", seed[0], NOW),
        refused,
        _item("https://rs.example/b/", seed[1], NOW),
    ]
    run = context.runs["rs"]

    def stored() -> set[str]:
        with store.db.session() as session:
            return set(session.scalars(select(Article.url)))

    async def crawl() -> None:
        store.on_stored = lambda: told.append(len(stored()))
        for item in batch[:3]:
            await pipeline.process_item(item)
        assert stored() == set()  # waiting for the batch to fill
        await pipeline.process_item(batch[3])
        assert stored() == {"https://rs.example/a/", "https://rs.example/b/"}
        assert (run.articles, run.duplicates) == (2, 1)
        assert len(run.page_errors) == 1 and "https://rs.example/refused/" in run.page_errors[0]
        assert told == [1, 2]  # the batch was stored one by one after the refusal

        await pipeline.process_item(_item("https://rs.example/c/", seed[3], NOW))
        await asyncio.sleep(0.1)
        assert "https://rs.example/c/" not in stored()
        await asyncio.sleep(0.4)
        assert "https://rs.example/c/" in stored()  # it waited long enough for the others
        assert told == [1, 2, 3]

        await pipeline.process_item(_item("https://rs.example/d/", seed[4], NOW))
        await pipeline.close_spider()
        assert "https://rs.example/d/" in stored()
        assert run.articles == 4
        assert told == [1, 2, 3, 4]
        await asyncio.sleep(0.4)  # the ended crawl's wait was called off: nothing is stored twice
        assert run.articles == 4

    asyncio.run(crawl())


def test_a_held_article_leaves_the_pipeline_only_once_its_batch_is_stored(tmp_path: Path) -> None:
    """A worker on the shared frontier counts a page done when its item leaves the pipelines:
    with NEWSRADAR_STORE_HOLD the articles of one batch share one transaction, yet each leaves
    only once stored, and one the database refuses leaves with its own error, alone."""
    seed = [path.read_text(encoding="utf-8") for path in sorted(SEEDS.glob("*.txt"))]
    store = _store(tmp_path)
    spec = OutletSpec(id="rs", name="RS", feeds=("https://rs.example/feed",))
    context = CrawlContext(by_id([spec]), store=store)
    settings = {"NEWSRADAR_STORE_BATCH": 3, "NEWSRADAR_STORE_WAIT": 5.0, "NEWSRADAR_STORE_HOLD": 1}
    pipeline = StorePipeline.from_crawler(crawler_with(context, OutletSpider, settings))
    refused = _item("https://rs.example/refused/", seed[2], NOW)
    refused.title = ["not", "text"]  # type: ignore[assignment]  # no database stores a list
    transactions: list[int] = []
    add_many = store.add_many

    def counted(items):  # type: ignore[no-untyped-def]  # why: wraps the store's own method
        transactions.append(len(items))
        return add_many(items)

    store.add_many = counted  # type: ignore[method-assign]  # why: counts transactions only

    def stored() -> set[str]:
        with store.db.session() as session:
            return set(session.scalars(select(Article.url)))

    async def crawl() -> None:
        first = asyncio.ensure_future(
            pipeline.process_item(_item("https://rs.example/a/", seed[0], NOW))
        )
        second = asyncio.ensure_future(
            pipeline.process_item(_item("https://rs.example/b/", seed[1], NOW))
        )
        await asyncio.sleep(0.2)
        assert not first.done() and not second.done()  # held: not stored yet
        assert stored() == set()
        results = await asyncio.gather(
            first, second, pipeline.process_item(refused), return_exceptions=True
        )
        assert [r.url for r in results[:2]] == ["https://rs.example/a/", "https://rs.example/b/"]
        assert isinstance(results[2], Exception)  # that item's own error
        assert stored() == {"https://rs.example/a/", "https://rs.example/b/"}
        assert transactions[0] == 3  # one batch first, then each alone after the refusal

    asyncio.run(crawl())
