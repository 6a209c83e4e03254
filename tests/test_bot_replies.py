"""The bot says what it did and what it saw: queries as written, ids in any case, an undo for
mute, the accepted values, broad queries, and "already" for a repeated /pause or /resume.

Driven like tests/test_bot.py: the real bot client long-polling the local Bot API server.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.support.botapi import FakeBotApi
from tests.support.newsroom import (
    Newsroom,
    ask,
    converse,
    deliver_queued,
    wait_for,
)
from tests.support.query_cases import NEAR_REFUSED

PRIVATE, GROUP = 501, -4001
BOT = "newsradar_test_bot"
AS_WRITTEN = '"Al Asad" OR (Iraq AND (militia* OR strike*)) -sports'
WATCHLISTS: list[dict[str, Any]] = [
    {"id": "iraq-escalation", "title": "US-Iraq escalation", "query": AS_WRITTEN, "open": True},
    {"id": "mines", "title": "Landmines", "keywords": ["Land mine", "UXO"], "open": True},
]


@pytest.fixture
def room(tmp_path: Path) -> Newsroom:
    return Newsroom.create(tmp_path, WATCHLISTS)


def test_list_shows_each_query_exactly_as_written(bot_api: FakeBotApi, room: Newsroom) -> None:
    async def scenario() -> None:
        listed = await ask(bot_api, PRIVATE, "/list")
        assert f"watches: {AS_WRITTEN}" in listed
        assert 'watches: "Land mine" OR UXO' in listed

    converse(bot_api, room, scenario)


def test_ids_are_case_insensitive_in_every_command(bot_api: FakeBotApi, room: Newsroom) -> None:
    async def scenario() -> None:
        joined = await ask(bot_api, PRIVATE, "/subscribe Iraq-Escalation")
        assert "Subscribed to iraq-escalation" in joined
        assert "already receives" in await ask(bot_api, PRIVATE, "/subscribe IRAQ-ESCALATION")
        assert "is not muted" in await ask(bot_api, PRIVATE, "/unmute Iraq-Escalation")
        left = await ask(bot_api, GROUP, f"/unsubscribe@{BOT} MINES")
        assert "not subscribed to mines" in left
        assert "Unsubscribed from iraq-escalation" in await ask(
            bot_api, PRIVATE, "/unsubscribe Iraq-Escalation"
        )

    converse(bot_api, room, scenario)
    assert room.query("select * from subscriptions") == []


def test_mute_offers_an_undo_and_unmute_lifts_it(bot_api: FakeBotApi, room: Newsroom) -> None:
    def mutes() -> list[tuple]:
        return room.query("select watchlist_id from mutes where chat_id = ?", PRIVATE)

    def press_last_button(index: int) -> dict:
        message = bot_api.messages_to(PRIVATE)[-1]
        keyboard = bot_api.calls("editMessageReplyMarkup")
        markup = keyboard[-1]["reply_markup"] if keyboard else message["reply_markup"]
        button = markup["inline_keyboard"][0][index]
        bot_api.push_callback_query(
            PRIVATE, button["callback_data"], message_id=message["message_id"]
        )
        return dict(button)

    async def scenario() -> None:
        await ask(bot_api, PRIVATE, "/subscribe iraq-escalation")
        room.add_article("Iraq militias strike near Al Asad")
        room.match()
        await deliver_queued(bot_api, room)

        assert press_last_button(0)["text"].startswith("🔕 Mute")
        await wait_for(lambda: len(bot_api.calls("editMessageReplyMarkup")) == 1)
        answer = bot_api.calls("answerCallbackQuery")[-1]["text"]
        assert answer.startswith("Muted iraq-escalation until") and "/unmute" in answer
        assert mutes() == [("iraq-escalation",)]

        assert press_last_button(0)["text"] == "↩️ Undo mute"
        await wait_for(lambda: len(bot_api.calls("editMessageReplyMarkup")) == 2)
        assert bot_api.calls("answerCallbackQuery")[-1]["text"] == "iraq-escalation is unmuted."
        assert mutes() == []
        restored = bot_api.calls("editMessageReplyMarkup")[-1]["reply_markup"]
        assert [b["text"] for b in restored["inline_keyboard"][0]] == [
            "🔕 Mute for a day",
            "Unsubscribe",
        ]

        press_last_button(0)  # muted again, then lifted by the command
        await wait_for(lambda: len(bot_api.calls("editMessageReplyMarkup")) == 3)
        assert "iraq-escalation" in await ask(bot_api, PRIVATE, "/unmute")  # which one?
        assert "Unmuted iraq-escalation" in await ask(bot_api, PRIVATE, "/unmute iraq-escalation")
        assert "is not muted" in await ask(bot_api, PRIVATE, "/unmute iraq-escalation")

    converse(bot_api, room, scenario)
    assert mutes() == []


def test_an_unknown_digest_value_gets_the_accepted_values(
    bot_api: FakeBotApi, room: Newsroom
) -> None:
    async def scenario() -> None:
        reply = await ask(bot_api, PRIVATE, "/digest weekly")
        assert "weekly is not an option" in reply
        assert "/digest off" in reply and "/digest hourly" in reply and "/digest daily" in reply
        plain = await ask(bot_api, PRIVATE, "/digest")
        assert "not an option" not in plain and "Digest is off" in plain

    converse(bot_api, room, scenario)
    assert room.query("select digest from chats where chat_id = ?", PRIVATE) == [("off",)]


def test_watch_and_try_warn_about_a_query_matching_much_of_the_week(
    bot_api: FakeBotApi, room: Newsroom
) -> None:
    for number in range(11):
        room.add_article(f"A day in the news, part {number}", "A quiet day.")
    room.add_article("Greenland ice sheet", "Melting.")

    async def scenario() -> None:
        tried = await ask(bot_api, PRIVATE, "/try a")
        assert "matched 11 of the 12 articles of the last 7 days, more than a tenth" in tried
        watched = await ask(bot_api, PRIVATE, "/watch a")
        assert "as #1" in watched and "more than a tenth" in watched
        assert "more than a tenth" not in await ask(bot_api, PRIVATE, "/try Greenland")
        assert "more than a tenth" not in await ask(bot_api, PRIVATE, "/watch Greenland")

    converse(bot_api, room, scenario)


def test_a_repeated_pause_or_resume_says_it_already_is(bot_api: FakeBotApi, room: Newsroom) -> None:
    async def scenario() -> None:
        assert "Paused" in await ask(bot_api, GROUP, f"/pause@{BOT}")
        assert "already paused" in await ask(bot_api, GROUP, f"/pause@{BOT}")
        assert "Resumed" in await ask(bot_api, GROUP, f"/resume@{BOT}")
        assert "already on" in await ask(bot_api, GROUP, f"/resume@{BOT}")

    converse(bot_api, room, scenario)
    assert room.query("select paused from chats where chat_id = ?", GROUP) == [(0,)]


def test_watch_and_try_refuse_a_bad_near_as_check_config_does(
    bot_api: FakeBotApi, room: Newsroom
) -> None:
    async def scenario() -> None:
        for query, column, message in NEAR_REFUSED:
            for command in ("/watch", "/try"):
                reply = await ask(bot_api, PRIVATE, f"{command} {query}")
                assert f"{message} (column {column})" in reply, reply
                assert "e.g. Kataib NEAR/5 strike*" in reply

    converse(bot_api, room, scenario)
    assert room.query("select * from chat_watchlists") == []
