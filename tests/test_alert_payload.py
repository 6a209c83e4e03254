"""The alert payload's one serialiser pair, against rows as earlier versions stored them."""

from __future__ import annotations

from pathlib import Path

from newsradar.database import OutboxRow
from newsradar.database.outbox_store import OutboxStore, claim
from notifier.alert_payload import AlertPayload
from tests.support.newsroom import Newsroom

# Exactly what the alert stage wrote before the payload was a dataclass.
OLD_ROW = {
    "watchlists": [["iraq", "US-Iraq escalation"], ["#3", "your watch: militia*"]],
    "terms": ["Iraq", "militia*"],
    "hit": [12, 16],
}


def test_an_old_row_reads_and_writes_back_unchanged() -> None:
    payload = AlertPayload.from_json(OLD_ROW)

    assert payload.watchlists == (("iraq", "US-Iraq escalation"), ("#3", "your watch: militia*"))
    assert payload.terms == ("Iraq", "militia*")
    assert payload.hit == (12, 16)
    assert payload.first_watchlist == ("iraq", "US-Iraq escalation")
    assert payload.to_json() == OLD_ROW


def test_no_hit_and_missing_keys_read_as_empty() -> None:
    assert AlertPayload.from_json({**OLD_ROW, "hit": None}).hit is None
    empty = AlertPayload.from_json({})
    assert (empty.watchlists, empty.terms, empty.hit, empty.first_watchlist) == ((), (), None, None)
    assert empty.to_json() == {"watchlists": [], "terms": [], "hit": None}


def test_a_stored_old_row_reaches_the_delivery_stage_as_a_payload(tmp_path: Path) -> None:
    room = Newsroom.create(tmp_path, [])
    article = room.add_article("Story on Iraq")
    with room.db.session() as session, session.begin():
        session.add(OutboxRow(kind="alert", article_id=article, chat_id=7, payload=OLD_ROW))

    claim(room.db, "me")
    [row] = OutboxStore(room.db).claimed("me")

    assert row.article is not None and row.article.id == article
    assert AlertPayload.from_json(row.payload) == AlertPayload.from_json(OLD_ROW)
