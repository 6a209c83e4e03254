"""Schema migrations and the article store (dedupe, backfill)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import func, inspect, select

from crawler.crawl_context import CrawlContext, by_id
from crawler.dedupe import canonical_url
from crawler.items import ArticleItem
from crawler.outlet_spec import OutletSpec
from crawler.spiders.outlet_spider import OutletSpider
from crawler.store_pipeline import StorePipeline
from newsradar.database import Article, Database, SeenUrl
from newsradar.database.article_store import ArticleStore, BackfillPolicy
from newsradar.database.models import Base
from tests.support import SEEDS
from tests.support.component_crawler import crawler_with

NOW = datetime.now(UTC)


def test_migrations_create_exactly_the_models_schema(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'a.db'}")
    with db.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diff == []
    assert {
        "articles",
        "seen_urls",
        "matches",
        "outbox",
        "subscriptions",
        "chats",
        "outlet_health",
    } <= set(inspect(db.engine).get_table_names())
    Database(f"sqlite:///{tmp_path / 'a.db'}").close()  # migrating again is a no-op


def _item(url: str, text: str, published: datetime | None, outlet: str = "rs") -> ArticleItem:
    return ArticleItem(
        outlet_id=outlet,
        url=url,
        requested_url=url,
        html=None,
        canonical_url=url,
        title="T",
        published=published,
        text=text,
    )


def _store(tmp_path: Path, first_crawl: frozenset[str] = frozenset()) -> ArticleStore:
    db = Database(f"sqlite:///{tmp_path / 's.db'}")
    return ArticleStore(db, BackfillPolicy({"rs": timedelta(hours=24)}, first_crawl))


def test_backfill_window_decides_what_may_alert(tmp_path: Path) -> None:
    store = _store(tmp_path, first_crawl=frozenset({"rs"}))
    seed = (SEEDS / "001_f0e448838c8e65df.txt").read_text().split("\n\n")
    fresh = store.add(_item("https://rs.example/new/", seed[4], NOW - timedelta(hours=2)))
    old = store.add(_item("https://rs.example/old/", seed[5], NOW - timedelta(days=3)))
    undated = store.add(_item("https://rs.example/undated/", seed[6], None))
    future = store.add(_item("https://rs.example/future/", seed[7], NOW + timedelta(days=2)))
    assert fresh and fresh.alertable
    assert old and not old.alertable
    assert undated and not undated.alertable  # first crawl: an undated page may be years old
    assert future and future.alertable and future.published <= datetime.now(UTC)

    later = ArticleStore(store.db, BackfillPolicy({"rs": timedelta(hours=24)}, frozenset()))
    undated_later = later.add(_item("https://rs.example/undated-2/", seed[8], None))
    assert undated_later and undated_later.alertable


def test_same_article_under_another_url_is_stored_once(tmp_path: Path) -> None:
    store = _store(tmp_path)
    text = (SEEDS / "000_c4b162fda6885b4b.txt").read_text()
    assert store.add(_item("https://rs.example/a/", text, NOW)) is not None
    assert store.add(_item("https://rs.example/a/?utm_source=x", text, NOW)) is None
    assert store.add(_item("https://rs.example/qiosk/a/", text + "\n\nUpdated.", NOW)) is None
    with store.db.session() as session:
        assert session.scalar(select(func.count()).select_from(Article)) == 1
        assert session.get(SeenUrl, "https://rs.example/qiosk/a/") is not None
    listed = {
        canonical_url(u)
        for u in ("https://rs.example/qiosk/a/?utm_campaign=y", "https://rs.example/b/")
    }
    assert store.known_urls(listed) == {"https://rs.example/qiosk/a/"}


def test_a_long_listing_is_looked_up_in_batches(tmp_path: Path) -> None:
    store = _store(tmp_path)
    seed = (SEEDS / "001_f0e448838c8e65df.txt").read_text().split("\n\n")
    stored = [f"https://rs.example/{n}/" for n in (3, 777, 1499)]
    for url, text in zip(stored, seed[4:], strict=False):
        assert store.add(_item(url, text, NOW)) is not None
    listing = {f"https://rs.example/{n}/" for n in range(1500)}  # three IN (...) lists
    assert store.known_urls(listing) == set(stored)
    assert store.refresh_seen() == 3  # what the listing named again is kept from expiring


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
