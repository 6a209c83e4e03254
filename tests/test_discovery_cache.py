"""What discovery keeps between crawls (newsradar/database/discovery_cache.py): validators that
count only once the article pages their read led to are known."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from crawler.crawl_context import Validators
from newsradar.database import Database
from newsradar.database.article_store import ArticleStore, BackfillPolicy
from newsradar.database.discovery_cache import load_validators, save_validators
from tests.support import SEEDS
from tests.support.article_items import article_item

FEED = "https://rs.example/feed"
PAGES = ("https://rs.example/a/", "https://rs.example/b/", "https://rs.example/video/")


def test_validators_count_once_every_page_their_read_led_to_is_known(tmp_path: Path) -> None:
    """A worker read the feed (ETag "v1") and queued three new pages for any worker to fetch.
    Until each is stored (or noted as without text), the feed is read in full, so a page whose
    fetch failed is listed, and fetched, again; then it is asked conditionally."""
    db = Database(f"sqlite:///{tmp_path / 'd.db'}")
    store = ArticleStore(db, BackfillPolicy({"rs": timedelta(hours=24)}, frozenset()))
    save_validators(db, [Validators(FEED, "rs", etag='"v1"', pending=PAGES)])
    seeds = [path.read_text(encoding="utf-8") for path in sorted(SEEDS.glob("*.txt"))]
    now = datetime.now(UTC)

    assert load_validators(db, ["rs"]) == {}
    store.add(article_item(PAGES[0], seeds[0], now))
    store.add(article_item(PAGES[1], seeds[1], now))
    assert load_validators(db, ["rs"]) == {}  # the video page is not dealt with yet
    store.note_textless("rs", [(PAGES[2], PAGES[2])])
    (kept,) = load_validators(db, ["rs"]).values()
    assert (kept.url, kept.etag) == (FEED, '"v1"')

    save_validators(db, [Validators(FEED, "rs", etag='"v2"')])  # one process: nothing pending
    assert load_validators(db, ["rs"])[FEED].etag == '"v2"'
    db.close()
