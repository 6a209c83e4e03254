"""Delivery planning (notifier/delivery_plan.py) over the real SQLite outbox (outbox_store.py):
which rows a round takes, from which chats, and what each chat is sent."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from newsradar.database import Chat, OutboxRow, utcnow
from newsradar.database.outbox_store import OutboxStore
from notifier.alert_payload import AlertPayload
from notifier.delivery_plan import (
    BROKEN,
    CLAIM_TIMEOUT,
    ChatPlan,
    PlanItem,
    alerts_due,
    busy_chats,
    digest_heading,
    holder_gone,
    is_burst,
    longest_first,
    plan_round,
)
from notifier.notify_ports import ChatState, PendingRow
from notifier.outbox_states import DigestMode, OutboxKind
from tests.support.newsroom import Newsroom

NOW = datetime(2026, 1, 1, 12, tzinfo=UTC)
INSTANT, DIGEST, PAUSED, GONE, BUSY, ORPHANED, DUE = 1, 2, 3, 4, 5, 6, 7
NAMES = {"statecraft": "Responsible Statecraft"}


def _row(chat: int, holder: str | None, age: timedelta = timedelta(0)) -> PendingRow:
    return PendingRow(chat * 10, chat, "alert", holder, NOW - age if holder else None)


def test_busy_means_held_by_another_live_sender_with_a_fresh_claim() -> None:
    rows = [
        _row(1, "other"),
        _row(2, "other", CLAIM_TIMEOUT * 2),  # stale: its sender died
        _row(3, "me"),
        _row(4, None),
        _row(5, "dead"),
    ]

    assert busy_chats(rows, me="me", now=NOW, gone={"dead"}.__contains__) == {1}
    assert busy_chats(rows, me=None, now=NOW) == {1, 3, 5}


def test_a_holder_is_gone_only_when_it_is_a_dead_process_of_this_host() -> None:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    host = socket.gethostname()[:30]

    assert holder_gone(f"{host}:{process.pid}:abc")
    assert not holder_gone(f"another-host:{process.pid}:abc")
    assert not holder_gone(f"{host}:{os.getpid()}:abc")
    assert not holder_gone(None) and not holder_gone("no-pid-here")


def test_alerts_are_due_unless_paused_or_their_digest_is_not() -> None:
    hour_ago = NOW - timedelta(minutes=61)
    assert alerts_due(None, NOW) and alerts_due(ChatState(), NOW)
    assert not alerts_due(ChatState(paused=True), NOW)
    assert alerts_due(ChatState(digest=DigestMode.HOURLY, last_digest_at=hour_ago), NOW)
    assert not alerts_due(ChatState(digest=DigestMode.DAILY, last_digest_at=hour_ago), NOW)


def _alert(room: Newsroom, chat: int, title: str, claimed_by: str | None = None) -> int:
    article = room.add_article(title)
    payload = AlertPayload((("iraq", "Iraq"),), ("Iraq",), None).to_json()
    with room.db.session() as session, session.begin():
        row = OutboxRow(kind="alert", article_id=article, chat_id=chat, payload=payload)
        row.claimed_by, row.claimed_at = claimed_by, utcnow() if claimed_by else None
        session.add(row)
        session.flush()
        return row.id


def _notice(room: Newsroom, chat: int) -> int:
    with room.db.session() as session, session.begin():
        row = OutboxRow(kind="notice", chat_id=chat, payload={"text": "<b>Outlet</b> failing"})
        session.add(row)
        session.flush()
        return row.id


def test_a_round_takes_what_is_due_from_chats_no_one_else_holds(tmp_path: Path) -> None:
    room = Newsroom.create(tmp_path, [])
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    recently = utcnow() - timedelta(minutes=5)
    with room.db.session() as session, session.begin():
        session.add(Chat(chat_id=DIGEST, digest="hourly", last_digest_at=recently))
        session.add(Chat(chat_id=PAUSED, paused=True))
        session.add(Chat(chat_id=GONE, gone=True))
        session.add(Chat(chat_id=DUE, digest="daily", last_digest_at=utcnow() - timedelta(days=2)))
    instant = [_alert(room, INSTANT, f"Story {n} on Iraq") for n in (1, 2)]
    _alert(room, DIGEST, "Digest story on Iraq")
    digest_notice = _notice(room, DIGEST)
    _alert(room, PAUSED, "Paused story on Iraq")
    paused_notice = _notice(room, PAUSED)
    _alert(room, GONE, "Gone story on Iraq")
    _alert(room, BUSY, "Busy story on Iraq", claimed_by="other-host:1:abc")
    orphaned = _alert(
        room, ORPHANED, "Orphaned story", claimed_by=f"{socket.gethostname()[:30]}:{dead.pid}:x"
    )
    due = _alert(room, DUE, "Daily story on Iraq")
    broken = _notice(room, INSTANT)
    with room.db.session() as session, session.begin():  # an alert that lost its article
        session.get(OutboxRow, broken).kind = "alert"

    plans = plan_round(OutboxStore(room.db), "me", utcnow(), NAMES, plain=True)

    by_chat = {plan.chat_id: plan for plan in plans}
    assert set(by_chat) == {INSTANT, DIGEST, PAUSED, ORPHANED, DUE}
    assert [i.row_id for i in by_chat[INSTANT].items] == [*instant, broken]
    assert [i.kind for i in by_chat[INSTANT].items] == ["alert", "alert", BROKEN]
    first = by_chat[INSTANT].items[0]
    assert "Story 1 on Iraq" in first.text and "Responsible Statecraft" in first.text
    assert first.first_watchlist == ("iraq", "Iraq")
    assert [(i.row_id, i.text) for i in by_chat[DIGEST].items] == [
        (digest_notice, "Outlet failing")
    ]
    assert [i.row_id for i in by_chat[PAUSED].items] == [paused_notice]
    assert [i.row_id for i in by_chat[ORPHANED].items] == [orphaned]  # its sender died
    assert by_chat[DUE].digest == DigestMode.DAILY and by_chat[DIGEST].digest == DigestMode.HOURLY
    assert [i.row_id for i in by_chat[DUE].items] == [due]
    assert by_chat[INSTANT].digest == DigestMode.OFF
    held = room.query("select chat_id from outbox where claimed_by = 'me' order by id")
    assert sorted({chat for (chat,) in held}) == sorted(by_chat)


def test_a_second_round_at_once_leaves_the_chats_of_the_first(tmp_path: Path) -> None:
    room = Newsroom.create(tmp_path, [])
    _alert(room, INSTANT, "Story 1 on Iraq")
    store = OutboxStore(room.db)
    assert len(plan_round(store, "first", utcnow(), NAMES, plain=False)) == 1
    _alert(room, INSTANT, "Story 2 on Iraq")  # queued while "first" holds the chat
    _alert(room, DIGEST, "Story 3 on Iraq")

    second = plan_round(store, "second", utcnow(), NAMES, plain=False)

    assert [plan.chat_id for plan in second] == [DIGEST]


def _plan(chat_id: int, alerts: int, digest: DigestMode = DigestMode.OFF) -> ChatPlan:
    items = [PlanItem(n, OutboxKind.ALERT, "") for n in range(alerts)]
    return ChatPlan(chat_id, digest, items)


def test_slowest_queues_first_bursts_and_headings() -> None:
    group, private = _plan(-1, 3), _plan(1, 10)
    assert longest_first([private, group], lambda chat: 3.0 if chat < 0 else 1.0) == [
        private,
        group,
    ]
    assert longest_first([private, group], lambda chat: 5.0 if chat < 0 else 1.0) == [
        group,
        private,
    ]
    assert is_burst(private, interval=1.0, burst_seconds=5)
    assert not is_burst(private, interval=1.0, burst_seconds=10)
    assert not is_burst(_plan(1, 10, DigestMode.DAILY), interval=1.0, burst_seconds=5)
    assert digest_heading(DigestMode.OFF, 1) == "1 article arrived at once"
    assert digest_heading(DigestMode.DAILY, 2) == "Your daily digest: 2 articles"
