"""Delivery from the outbox through the real bot client to the local Bot API server.

What is checked is what arrived at the server (its log of accepted messages, with arrival times)
against what the database says was sent: every alert once, in order per chat, at Telegram's pace,
whatever faults the server injects.
"""

from __future__ import annotations

import asyncio
import io
import itertools
import re
from collections import Counter, defaultdict
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from newsradar.database import Chat, OutboxRow, utcnow
from newsradar.database.outbox_store import OutboxStore
from notifier.delivery import DeliveryReport, deliver_pending
from notifier.delivery_plan import CLAIM_TIMEOUT
from notifier.render import DigestItem, DigestSection, render_digest, utf16_length
from notifier.sender import StdoutSender, TelegramSender
from tests.support.botapi import FakeBotApi
from tests.support.newsroom import Newsroom

FLOOD_WARNING = "ignore:.*retry_after.*:telegram.warnings.PTBDeprecationWarning"
PRIVATE, GROUP, BLOCKED, OLD_GROUP, NEW_SUPERGROUP = 901, -5001, 902, -5002, -1005555555555
# Telegram's limits scaled up tenfold so the test takes seconds: 1/s per chat -> 10/s,
# 20/min per group -> 200/min, 30/s overall -> 300/s. The sender takes them as parameters.
FAST_LIMITS: dict[str, Any] = {
    "per_chat_interval": 0.1,
    "group_per_minute": 200,
    "overall_per_second": 300,
    "timeout": 2.0,
    "retry_backoff": 0.05,
}
TITLE = re.compile(r"Story (\d+)")


def iraq_watchlist(chats: list[int]) -> dict[str, Any]:
    return {"id": "iraq", "title": "Iraq", "query": "Iraq", "chats": chats}


def stories(room: Newsroom, first: int, count: int) -> list[int]:
    """Store `count` matching articles, newest last; returns their ids."""
    return [
        room.add_article(f"Story {n} on Iraq", age=timedelta(minutes=600 - n))
        for n in range(first, first + count)
    ]


async def deliver(server: FakeBotApi, room: Newsroom, **options: Any) -> DeliveryReport:
    limits = {**FAST_LIMITS, **options.pop("limits", {})}
    async with TelegramSender(server.token, server.url, **limits) as sender:
        return await deliver_pending(
            OutboxStore(room.db), sender, outlet_names=outlet_names(room), **options
        )


def outlet_names(room: Newsroom) -> dict[str, str]:
    return {o.id: o.name for o in room.config.outlets}


def upgrade_to_supergroup(server: FakeBotApi) -> None:
    """The next message to OLD_GROUP is refused: it became NEW_SUPERGROUP."""
    server.fail_next(
        "sendMessage",
        status=400,
        description="Bad Request: group chat was upgraded to a supergroup chat",
        migrate_to_chat_id=NEW_SUPERGROUP,
        chat_id=OLD_GROUP,
    )


def story_numbers(messages: list[dict]) -> list[int]:
    """The stories each message names (an alert names its story in title and snippet)."""
    return [int(n) for m in messages for n in dict.fromkeys(TITLE.findall(m["plain_text"]))]


def statuses(room: Newsroom) -> Counter[str]:
    return Counter(status for (status,) in room.query("select status from outbox"))


# ----- pace --------------------------------------------------------------------------------------
def test_300_alerts_to_30_chats_complete_in_order_and_within_limits(
    bot_api: FakeBotApi, tmp_path: Path
) -> None:
    privates = list(range(1, 21))
    groups = [-(100 + i) for i in range(10)]
    room = Newsroom.create(tmp_path, [iraq_watchlist(privates + groups)])
    stories(room, 1, 10)
    assert room.match() == 300

    report = asyncio.run(deliver(bot_api, room))

    assert report.sent == 300 and report.bursts == 0
    assert statuses(room) == {"sent": 300}
    arrivals = sorted(m["time"] for m in bot_api.sent)
    for chat in privates + groups:
        received = bot_api.messages_to(chat)
        assert story_numbers(received) == list(range(1, 11)), chat  # all, once, in order
        gaps = [b["time"] - a["time"] for a, b in itertools.pairwise(received)]
        least = 60 / FAST_LIMITS["group_per_minute"] if chat < 0 else 0.1
        assert min(gaps) >= least * 0.95, (chat, min(gaps))
    # Overall: no one-second window holds more than the overall rate; 5% allows for the
    # network jitter between leaving the sender and arriving at the server.
    for i, start in enumerate(arrivals):
        in_window = sum(1 for t in arrivals[i:] if t - start < 1.0)
        assert in_window <= FAST_LIMITS["overall_per_second"] * 1.05
    assert arrivals[-1] - arrivals[0] >= (300 - 1) / 300 * 0.95


def test_the_slowest_queue_starts_first_so_it_does_not_set_a_tail(
    bot_api: FakeBotApi, tmp_path: Path
) -> None:
    # At 1 message a second the group's 2 alerts need 1 s; the 18 messages need 0.9 s at 20/s.
    limits = {"overall_per_second": 20, "group_per_minute": 60}
    privates = list(range(1, 9))
    room = Newsroom.create(tmp_path, [iraq_watchlist([*privates, GROUP])])  # the group last
    stories(room, 1, 2)
    assert room.match() == 18

    asyncio.run(deliver(bot_api, room, limits=limits))

    arrivals = sorted(bot_api.sent, key=lambda m: m["time"])
    assert arrivals[0]["chat_id"] == GROUP
    # Started behind the 8 private chats, the group alone would run 0.4 s past the 1 s it needs.
    assert arrivals[-1]["time"] - arrivals[0]["time"] < 1.2


# ----- faults ------------------------------------------------------------------------------------
@pytest.mark.filterwarnings(FLOOD_WARNING)
def test_faults_lose_nothing_and_send_nothing_twice(bot_api: FakeBotApi, tmp_path: Path) -> None:
    room = Newsroom.create(tmp_path, [iraq_watchlist([PRIVATE, GROUP, BLOCKED, OLD_GROUP])])
    stories(room, 1, 5)
    assert room.match() == 20
    bot_api.fail_next("sendMessage", status=429, description="Too Many Requests", retry_after=1)
    bot_api.fail_next("sendMessage", status=500, description="Internal Server Error", times=2)
    bot_api.delay_next("sendMessage", 3.0)  # longer than the client waits: never processed
    bot_api.fail_next(
        "sendMessage", status=403, description="Forbidden: bot was blocked", chat_id=BLOCKED
    )
    upgrade_to_supergroup(bot_api)

    # The send whose answer never came goes once more, here with no pause before it.
    first = asyncio.run(deliver(bot_api, room, resend_pause=timedelta(0)))
    second = asyncio.run(deliver(bot_api, room))  # whatever had to wait goes now

    for chat in (PRIVATE, GROUP, NEW_SUPERGROUP):
        assert story_numbers(bot_api.messages_to(chat)) == [1, 2, 3, 4, 5], chat
    assert bot_api.messages_to(BLOCKED) == [] and bot_api.messages_to(OLD_GROUP) == []
    assert first.sent + second.sent == 15 and first.chats_gone == 1
    assert statuses(room) == {"sent": 15, "held": 5}
    assert room.query("select gone from chats where chat_id = ?", BLOCKED) == [(1,)]
    assert room.query("select count(*) from outbox where chat_id = ?", NEW_SUPERGROUP) == [(5,)]
    # The blocked chat comes back: its held alerts go out after all, once.
    asyncio.run(room.backend().register_chat(BLOCKED, "private"))
    asyncio.run(deliver(bot_api, room))
    assert story_numbers(bot_api.messages_to(BLOCKED)) == [1, 2, 3, 4, 5]
    assert statuses(room) == {"sent": 20}


def test_migrated_group_keeps_its_subscriptions_settings_and_watchlists(
    bot_api: FakeBotApi, tmp_path: Path
) -> None:
    room = Newsroom.create(tmp_path, [{**iraq_watchlist([]), "open": True}])
    backend = room.backend()
    asyncio.run(backend.subscribe(OLD_GROUP, "iraq"))
    asyncio.run(backend.add_watch(OLD_GROUP, "Syria", 10))
    asyncio.run(backend.set_paused(OLD_GROUP, False))
    stories(room, 1, 2)
    room.match()
    upgrade_to_supergroup(bot_api)

    asyncio.run(deliver(bot_api, room))

    assert story_numbers(bot_api.messages_to(NEW_SUPERGROUP)) == [1, 2]
    assert room.query("select chat_id, watchlist_id from subscriptions") == [
        (NEW_SUPERGROUP, "iraq")
    ]
    assert room.query("select chat_id from chat_watchlists") == [(NEW_SUPERGROUP,)]
    assert room.query("select kind from chats where chat_id = ?", NEW_SUPERGROUP) == [
        ("supergroup",)
    ]


def test_a_group_the_yaml_lists_is_followed_to_its_supergroup_whose_pause_holds(
    bot_api: FakeBotApi, tmp_path: Path
) -> None:
    """The operator's watchlist still names the old group: later alerts go straight to the
    supergroup, and the supergroup's own settings (a pause) apply to them."""
    room = Newsroom.create(tmp_path, [iraq_watchlist([OLD_GROUP])])
    stories(room, 1, 1)
    room.match()
    upgrade_to_supergroup(bot_api)
    asyncio.run(deliver(bot_api, room))

    stories(room, 2, 1)
    room.match()
    asyncio.run(deliver(bot_api, room))
    assert story_numbers(bot_api.messages_to(NEW_SUPERGROUP)) == [1, 2]
    asked_old = [c for c in bot_api.calls("sendMessage") if int(c["chat_id"]) == OLD_GROUP]
    assert len(asked_old) == 1  # only the call that learned of the move

    asyncio.run(room.backend().set_paused(NEW_SUPERGROUP, True))
    stories(room, 3, 1)
    room.match()
    asyncio.run(deliver(bot_api, room))
    assert story_numbers(bot_api.messages_to(NEW_SUPERGROUP)) == [1, 2]
    assert statuses(room) == {"sent": 2}


def test_a_message_telegram_refuses_is_not_retried_in_a_loop(
    bot_api: FakeBotApi, tmp_path: Path
) -> None:
    room = Newsroom.create(tmp_path, [iraq_watchlist([PRIVATE])])
    stories(room, 1, 2)
    room.match()
    bot_api.fail_next("sendMessage", status=400, description="Bad Request: can't parse entities")

    asyncio.run(deliver(bot_api, room))
    asyncio.run(deliver(bot_api, room))

    assert statuses(room) == {"failed": 1, "sent": 1}
    assert story_numbers(bot_api.messages_to(PRIVATE)) == [2]
    assert len(bot_api.calls("sendMessage")) == 2


def test_overlapping_deliveries_send_each_alert_once(bot_api: FakeBotApi, tmp_path: Path) -> None:
    room = Newsroom.create(tmp_path, [iraq_watchlist([PRIVATE, GROUP])])
    stories(room, 1, 10)
    room.match()

    async def two_at_once() -> list[DeliveryReport]:
        return list(await asyncio.gather(deliver(bot_api, room), deliver(bot_api, room)))

    reports = asyncio.run(two_at_once())

    assert sum(r.sent for r in reports) == 20
    for chat in (PRIVATE, GROUP):
        assert story_numbers(bot_api.messages_to(chat)) == list(range(1, 11))


def test_a_crashed_senders_claim_is_taken_over_only_when_stale(
    bot_api: FakeBotApi, tmp_path: Path
) -> None:
    room = Newsroom.create(tmp_path, [iraq_watchlist([PRIVATE, GROUP])])
    stories(room, 1, 1)
    room.match()
    with room.db.session() as session, session.begin():
        for row in session.query(OutboxRow):
            row.claimed_by = "crashed-host:123"
            fresh = row.chat_id == PRIVATE
            row.claimed_at = utcnow() - (timedelta(seconds=5) if fresh else CLAIM_TIMEOUT * 2)

    asyncio.run(deliver(bot_api, room))

    assert bot_api.messages_to(PRIVATE) == []  # possibly still on the wire elsewhere
    assert story_numbers(bot_api.messages_to(GROUP)) == [1]


# ----- buttons, notices, paused chats ------------------------------------------------------------
def test_alerts_carry_compact_buttons_and_notices_go_out_plain(
    bot_api: FakeBotApi, tmp_path: Path
) -> None:
    room = Newsroom.create(tmp_path, [iraq_watchlist([PRIVATE])])
    stories(room, 1, 1)
    room.match()
    with room.db.session() as session, session.begin():
        session.add(Chat(chat_id=GROUP, paused=True, gone=False, digest="daily"))
        notice = "<b>Outlet statecraft</b> (Responsible Statecraft) is failing: HTTP 503"
        for chat in (GROUP, PRIVATE):
            session.add(
                OutboxRow(kind="notice", article_id=None, chat_id=chat, payload={"text": notice})
            )

    asyncio.run(deliver(bot_api, room))

    alert, notice_message = bot_api.messages_to(PRIVATE)
    buttons = alert["reply_markup"]["inline_keyboard"][0]
    assert [b["callback_data"] for b in buttons] == ["m:iraq", "u:iraq"]
    assert notice_message["plain_text"].startswith("Outlet statecraft (Responsible Statecraft)")
    assert notice_message["reply_markup"] is None
    [group_notice] = bot_api.messages_to(GROUP)  # paused and on digest: notices still go out
    assert "is failing" in group_notice["plain_text"]


def test_paused_chat_keeps_queued_alerts_until_resumed(bot_api: FakeBotApi, tmp_path: Path) -> None:
    room = Newsroom.create(tmp_path, [iraq_watchlist([PRIVATE])])
    stories(room, 1, 2)
    room.match()
    backend = room.backend()
    asyncio.run(backend.set_paused(PRIVATE, True))
    stories(room, 3, 1)
    assert room.match() == 0  # found while paused: not saved up

    asyncio.run(deliver(bot_api, room))
    assert bot_api.messages_to(PRIVATE) == []

    asyncio.run(backend.set_paused(PRIVATE, False))
    asyncio.run(deliver(bot_api, room))
    assert story_numbers(bot_api.messages_to(PRIVATE)) == [1, 2]


# ----- digests and bursts ------------------------------------------------------------------------
def test_digest_boundary_items_arriving_during_a_send_go_in_the_next_digest(
    bot_api: FakeBotApi, tmp_path: Path
) -> None:
    room = Newsroom.create(tmp_path, [iraq_watchlist([PRIVATE])])
    asyncio.run(room.backend().set_digest(PRIVATE, "hourly"))
    stories(room, 1, 3)
    room.match()
    start = utcnow() + timedelta(hours=1, minutes=1)
    bot_api.delay_next("sendMessage", 0.5)  # the digest is on the wire for a while

    async def digest_with_arrival() -> DeliveryReport:
        sending = asyncio.create_task(deliver(bot_api, room, now=start))
        while not bot_api.calls("sendMessage"):
            await asyncio.sleep(0.01)
        stories(room, 4, 1)  # a new match while the digest is being sent
        assert room.match() == 1
        return await sending

    report = asyncio.run(digest_with_arrival())

    assert report.digests == 1
    [digest] = bot_api.messages_to(PRIVATE)
    assert digest["plain_text"].startswith("Your hourly digest: 3 articles")
    assert story_numbers([digest]) == [3, 2, 1]  # newest first
    assert digest["reply_markup"] is None
    assert statuses(room) == {"sent": 3, "pending": 1}

    asyncio.run(deliver(bot_api, room, now=start + timedelta(minutes=30)))
    assert len(bot_api.messages_to(PRIVATE)) == 1  # not due yet

    asyncio.run(deliver(bot_api, room, now=start + timedelta(hours=1)))
    assert story_numbers(bot_api.messages_to(PRIVATE)[1:]) == [4]
    assert statuses(room) == {"sent": 4}


def test_digest_groups_by_watchlist_and_splits_cleanly(bot_api: FakeBotApi, tmp_path: Path) -> None:
    watchlists = [
        iraq_watchlist([PRIVATE]),
        {"id": "syria", "title": "Syria <war>", "query": "Syria", "chats": [PRIVATE]},
    ]
    room = Newsroom.create(tmp_path, watchlists)
    asyncio.run(room.backend().set_digest(PRIVATE, "daily"))
    long_words = " ".join(["escalation"] * 20)
    for n in range(1, 61):
        topic = "Iraq" if n % 2 else "Syria"
        room.add_article(f"Story {n} on {topic} {long_words}", age=timedelta(minutes=600 - n))
    room.match()

    report = asyncio.run(deliver(bot_api, room, now=utcnow() + timedelta(days=1, minutes=1)))

    parts = bot_api.messages_to(PRIVATE)
    assert len(parts) >= 2 and report.digests == len(parts)
    assert all(utf16_length(p["plain_text"]) <= 4096 for p in parts)
    numbers = story_numbers(parts)
    assert sorted(numbers) == list(range(1, 61))  # each exactly once, none cut in half
    text = "\n".join(p["plain_text"] for p in parts)
    assert "Syria <war> (syria)" in text
    by_section: dict[str, list[int]] = defaultdict(list)
    section = ""
    for line in text.splitlines():
        if line.startswith(("Iraq (iraq)", "Syria <war> (syria)")):
            section = line.split(" (")[0]
        for n in TITLE.findall(line):
            by_section[section].append(int(n))
    assert by_section["Iraq"] == sorted(range(1, 61, 2), reverse=True)
    assert by_section["Syria <war>"] == sorted(range(2, 61, 2), reverse=True)
    assert statuses(room) == {"sent": 60}


def test_a_burst_is_folded_into_one_message(bot_api: FakeBotApi, tmp_path: Path) -> None:
    room = Newsroom.create(tmp_path, [iraq_watchlist([PRIVATE, GROUP])])
    stories(room, 1, 25)
    room.match()

    # At one message a second, 25 alerts would take 25 s; anything over 10 s is a burst here.
    report = asyncio.run(
        deliver(bot_api, room, burst_seconds=10, limits={"per_chat_interval": 1.0})
    )

    assert report.bursts == 2 and report.sent == 50
    for chat in (PRIVATE, GROUP):
        [message] = bot_api.messages_to(chat)
        assert message["plain_text"].startswith("25 articles arrived at once")
        assert story_numbers([message]) == list(range(25, 0, -1))
    assert statuses(room) == {"sent": 50}


def test_render_digest_never_splits_an_item_and_escapes_everything() -> None:
    items = [
        DigestItem(
            n, f"Q&A <b>{n}</b> " + "word " * 30, f"https://e.org/{n}?a=1&b=2", "Out<let>", None
        )
        for n in range(200)
    ]
    parts = render_digest("Digest", [DigestSection("x-1", "Title <i>", items)])

    assert len(parts) > 1
    assert [k for p in parts for k in p.keys] == list(range(200))
    for part in parts:
        assert utf16_length(part.text) <= 4096
        assert "<b>0</b>" not in part.text and "Q&amp;A &lt;b&gt;" in part.text
    assert "(continued)" in parts[1].text


def test_without_a_token_digests_and_notices_are_printed_as_text(tmp_path: Path) -> None:
    room = Newsroom.create(tmp_path, [iraq_watchlist([PRIVATE])])
    asyncio.run(room.backend().set_digest(PRIVATE, "daily"))
    stories(room, 1, 2)
    room.match()
    with room.db.session() as session, session.begin():
        text = {"text": "<b>Outlet statecraft</b> recovered &amp; is fine"}
        session.add(OutboxRow(kind="notice", article_id=None, chat_id=PRIVATE, payload=text))
    out = io.StringIO()

    report = asyncio.run(
        deliver_pending(
            OutboxStore(room.db),
            StdoutSender(out),
            outlet_names=outlet_names(room),
            plain=True,
            now=utcnow() + timedelta(days=2),
        )
    )

    printed = out.getvalue()
    assert report.printed == 3 and report.sent == 0  # printed, not delivered
    assert "Outlet statecraft recovered & is fine" in printed
    assert "Your daily digest: 2 articles" in printed and "https://example.org/" in printed
    assert "<b>" not in printed and "<a " not in printed
