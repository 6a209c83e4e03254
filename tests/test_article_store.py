"""The article store (newsradar/database/article_store.py): backfill, one article under several
URLs, seen-URL lookups, and two workers storing one story at once."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from crawler.dedupe import canonical_url, fingerprint
from newsradar.database import Article, Database, SeenUrl, utcnow
from newsradar.database.article_store import (
    MAX_TEXT_CHARS,
    TRUNCATION_MARK,
    ArticleStore,
    BackfillPolicy,
    _lock_fingerprints,
)
from tests.support import SEEDS
from tests.support.article_items import article_item as _item

NOW = datetime.now(UTC)


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


def test_one_story_stored_by_two_workers_at_once_under_two_urls_is_stored_once(
    pg_url: str,
) -> None:
    """A worker stores a story and has not committed yet; another stores the same story found
    under a second URL. The second waits for the first and recognises its copy."""
    text_ = (SEEDS / "001_f0e448838c8e65df.txt").read_text(encoding="utf-8")
    first = _item("https://rs.example/story/", text_, utcnow())
    second = _item("https://rs.example/?p=123", text_, utcnow())
    db = Database(pg_url)
    store = ArticleStore(db, BackfillPolicy({"rs": timedelta(days=1)}, frozenset()))
    try:
        with db.session() as session, session.begin():
            _lock_fingerprints(session, [fingerprint(first.text)])
            store._add(session, first, fingerprint(first.text), {first.url}, utcnow())
            results: list[object] = []
            worker = threading.Thread(target=lambda: results.extend(store.add_many([second])))
            worker.start()
            time.sleep(0.5)  # the other worker checks for a copy now, unless it has to wait
        worker.join(timeout=10)
        assert results == [None]
        with db.session() as session:
            assert session.scalar(select(func.count()).select_from(Article)) == 1
    finally:
        db.close()


def test_stored_text_is_capped_and_the_cut_marked(tmp_path: Path) -> None:
    store = _store(tmp_path)
    seed = (SEEDS / "000_c4b162fda6885b4b.txt").read_text()
    long = "\n\n".join([seed] * (MAX_TEXT_CHARS // len(seed) + 5))
    article = store.add(_item("https://rs.example/long/", long, NOW))
    assert article is not None
    assert len(article.text) <= MAX_TEXT_CHARS + len(TRUNCATION_MARK)
    assert article.text.endswith(TRUNCATION_MARK)
    assert article.text.startswith(seed[:200])
    kept = article.text.removesuffix(TRUNCATION_MARK)
    assert long.startswith(kept) and long[len(kept)] in " \n"  # cut where a word ends
    short = store.add(_item("https://rs.example/short/", "A short story about Iraq.", NOW))
    assert short is not None and short.text == "A short story about Iraq."
