"""The alert stage (notifier/alert_queue.py) over the real SQLite store (match_store.py)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from newsradar.database import Article, OutboxRow, utcnow
from newsradar.database.match_store import MatchStore
from newsradar.database.outbox_store import migrate_chat
from notifier.alert_payload import AlertPayload
from notifier.alert_queue import AlertQueue
from notifier.notify_ports import MatchingBatch, MatchRecord
from tests.support.newsroom import Newsroom

PRIVATE, OTHER, OLD_GROUP, NEW_GROUP = 11, 12, -21, -1002100


def watchlist(wid: str, query: str, chats: list[int], **extra: Any) -> dict[str, Any]:
    return {"id": wid, "title": wid.title(), "query": query, "chats": chats, **extra}


def payloads(room: Newsroom) -> dict[tuple[int, int], AlertPayload]:
    with room.db.session() as session:
        return {
            (row.article_id, row.chat_id): AlertPayload.from_json(row.payload)
            for row in session.query(OutboxRow)
        }


def test_one_alert_per_chat_naming_every_watchlist_that_matched(tmp_path: Path) -> None:
    room = Newsroom.create(
        tmp_path,
        [watchlist("iraq", "Iraq", [PRIVATE, OTHER]), watchlist("militia", "militia*", [PRIVATE])],
    )
    article = room.add_article("Iraq militias regroup", "In Iraq, militias regroup.")

    report = AlertQueue(MatchStore(room.db), room.config.watchlists).process_pending()

    assert (report.articles, report.matches, report.alerts_queued) == (1, 2, 2)
    alerts = payloads(room)
    assert alerts[(article, PRIVATE)].watchlists == (("iraq", "Iraq"), ("militia", "Militia"))
    assert alerts[(article, PRIVATE)].terms == ("Iraq", "militia*")
    assert alerts[(article, PRIVATE)].hit == (3, 7)  # "Iraq" in the text
    assert alerts[(article, OTHER)].watchlists == (("iraq", "Iraq"),)
    assert sorted(room.query("select watchlist_id from matches")) == [("iraq",), ("militia",)]
    assert room.match() == 0  # matched once: nothing more to do


def test_the_stored_language_reaches_lang_in_queries(tmp_path: Path) -> None:
    room = Newsroom.create(
        tmp_path,
        [watchlist("en", "Iraq lang:en", [PRIVATE]), watchlist("not-fr", "Iraq -lang:fr", [OTHER])],
    )
    english = room.add_article("Iraq votes", language="en")
    french = room.add_article("Iraq vote", language="fr")
    unknown = room.add_article("Iraq counts", language=None)

    AlertQueue(MatchStore(room.db), room.config.watchlists).process_pending()

    assert sorted(payloads(room)) == [
        (english, PRIVATE),
        (english, OTHER),
        (unknown, OTHER),
    ]
    assert french not in {article for article, _ in payloads(room)}


def test_silent_articles_are_done_without_alerting(tmp_path: Path) -> None:
    room = Newsroom.create(tmp_path, [watchlist("iraq", "Iraq", [PRIVATE])])
    article = room.add_article("Old story on Iraq", age=timedelta(days=30))
    with room.db.session() as session, session.begin():
        session.get(Article, article).alertable = False

    report = AlertQueue(MatchStore(room.db), room.config.watchlists).process_pending()

    assert (report.articles, report.alerts_queued) == (1, 0)
    assert room.query("select count(*) from articles where matched_at is null") == [(0,)]
    assert room.query("select count(*) from outbox") == [(0,)]


def test_who_gets_it_paused_muted_moved_subscribed_and_personal(tmp_path: Path) -> None:
    room = Newsroom.create(
        tmp_path,
        [watchlist("iraq", "Iraq", [PRIVATE, OLD_GROUP], open=True), watchlist("x", "Iraq", [])],
    )
    backend = room.backend()
    asyncio.run(backend.subscribe(OTHER, "iraq"))
    asyncio.run(backend.set_paused(PRIVATE, True))
    asyncio.run(backend.mute(OTHER, "iraq", utcnow() + timedelta(days=1)))
    watch = asyncio.run(backend.add_watch(PRIVATE + 100, "Iraq   strikes", 10))
    assert watch is not None
    migrate_chat(room.db, OLD_GROUP, NEW_GROUP)
    article = room.add_article("Iraq strikes")

    assert room.match() == 2

    alerts = payloads(room)
    assert set(alerts) == {(article, NEW_GROUP), (article, PRIVATE + 100)}
    assert alerts[(article, PRIVATE + 100)].watchlists == (
        (f"#{watch.id}", "your watch: Iraq strikes"),
    )
    # Personal watchlists live in the outbox only; operator matches are recorded for all.
    assert sorted(room.query("select watchlist_id from matches")) == [("iraq",), ("x",)]


def test_an_existing_row_for_the_article_and_chat_is_not_doubled(tmp_path: Path) -> None:
    room = Newsroom.create(tmp_path, [watchlist("iraq", "Iraq", [PRIVATE])])
    article = room.add_article("Story on Iraq")
    with room.db.session() as session, session.begin():
        session.add(OutboxRow(kind="alert", article_id=article, chat_id=PRIVATE, payload={}))

    assert room.match() == 0
    assert room.query("select count(*) from outbox") == [(1,)]


class _FailingStore(MatchStore):
    """The real store, whose batch fails while recording its second article."""

    @contextmanager
    def claim_pending(self, limit: int) -> Iterator[MatchingBatch]:
        with super().claim_pending(limit) as batch:
            yield _FailSecond(batch)


class _FailSecond:
    def __init__(self, batch: MatchingBatch) -> None:
        self.batch, self.articles, self.recorded = batch, batch.articles, 0

    def personal_watches(self) -> Any:
        return self.batch.personal_watches()

    def chats_by_watchlist(self, listed: Any, owners: Any) -> dict[str, set[int]]:
        return self.batch.chats_by_watchlist(listed, owners)

    def record(
        self, article_id: int, matches: Sequence[MatchRecord], alerts: Mapping[int, AlertPayload]
    ) -> int:
        self.recorded += 1
        if self.recorded == 2:
            raise RuntimeError("the process dies here")
        return self.batch.record(article_id, matches, alerts)


def test_a_batch_that_fails_leaves_nothing_behind(tmp_path: Path) -> None:
    room = Newsroom.create(tmp_path, [watchlist("iraq", "Iraq", [PRIVATE])])
    room.add_article("Story 1 on Iraq")
    room.add_article("Story 2 on Iraq")

    with pytest.raises(RuntimeError):
        AlertQueue(_FailingStore(room.db), room.config.watchlists).process_pending()

    # The first article's match, alert and "matched" mark went with the batch.
    assert room.query("select count(*) from outbox") == [(0,)]
    assert room.query("select count(*) from matches") == [(0,)]
    assert room.query("select count(*) from articles where matched_at is null") == [(2,)]
    assert room.match() == 2  # the next round queues both, once
