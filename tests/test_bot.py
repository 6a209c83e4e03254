"""The bot's conversations, through the real bot client long-polling the local Bot API server.

Every test starts the bot the way the service does (`build_bot`, start, start_polling), talks to it
as a user in a private chat or a group, and checks both the replies and what the database keeps.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from notifier.bot import OPERATOR_COMMANDS, SUBSCRIBER_COMMANDS, Limits, build_bot
from notifier.bot.buttons import callback_data, parse_callback
from tests.support.botapi import FakeBotApi
from tests.support.newsroom import (
    Newsroom,
    ask,
    converse,
    deliver_queued,
    wait_for,
)

PRIVATE, OTHER, GROUP, OPERATOR, LISTED = 501, 502, -4001, 777, 601
BOT = "newsradar_test_bot"
WATCHLISTS: list[dict[str, Any]] = [
    {
        "id": "iraq",
        "title": "US-Iraq escalation",
        "query": '"Al Asad" OR (Iraq militia*)',
        "open": True,
        "chats": [LISTED],
    },
    {"id": "ukraine", "title": "Landmines in Ukraine", "query": "Ukraine landmine*", "open": True},
    {"id": "staff-only", "title": "Internal", "query": "budget", "chats": [OPERATOR]},
]


@pytest.fixture
def room(tmp_path: Path) -> Newsroom:
    return Newsroom.create(tmp_path, WATCHLISTS)


# ----- registration, welcome, help --------------------------------------------------------
def test_commands_are_registered_with_operator_commands_only_in_operator_chats(
    bot_api: FakeBotApi, room: Newsroom
) -> None:
    converse(bot_api, room, lambda: asyncio.sleep(0), [OPERATOR])

    by_scope = {
        call["scope"].get("chat_id", "default"): [c["command"] for c in call["commands"]]
        for call in bot_api.calls("setMyCommands")
    }
    subscriber = [name for name, _ in SUBSCRIBER_COMMANDS]
    assert by_scope["default"] == subscriber
    assert "status" not in by_scope["default"]
    assert by_scope[OPERATOR] == subscriber + [name for name, _ in OPERATOR_COMMANDS]


@pytest.mark.parametrize(("chat", "command"), [(PRIVATE, "/start"), (GROUP, f"/start@{BOT}")])
def test_start_welcomes_and_remembers_the_chat(
    bot_api: FakeBotApi, room: Newsroom, chat: int, command: str
) -> None:
    async def scenario() -> None:
        reply = await ask(bot_api, chat, command)
        assert "/list" in reply and "/subscribe ID" in reply and "/watch QUERY" in reply
        assert ("this group" in reply) == (chat < 0)

    converse(bot_api, room, scenario, [OPERATOR])
    kind = "private" if chat > 0 else "group"
    assert room.query("select kind, paused, gone from chats where chat_id = ?", chat) == [
        (kind, 0, 0)
    ]


def test_help_shows_operator_commands_only_to_operators(
    bot_api: FakeBotApi, room: Newsroom
) -> None:
    async def scenario() -> None:
        subscriber = await ask(bot_api, PRIVATE, "/help")
        operator = await ask(bot_api, OPERATOR, "/help")
        group = await ask(bot_api, GROUP, f"/help@{BOT}")
        for reply in (subscriber, operator, group):
            assert "/watch QUERY" in reply and "prefix*" in reply
        assert "/status" not in subscriber and "/status" not in group
        assert "/status" in operator and "/outlets" in operator

    converse(bot_api, room, scenario, [OPERATOR])


def test_commands_for_other_bots_are_ignored_and_unknown_ones_answered(
    bot_api: FakeBotApi, room: Newsroom
) -> None:
    async def scenario() -> None:
        bot_api.push_message(GROUP, "/start@some_other_bot")
        bot_api.push_message(GROUP, "/frobnicate")
        assert "/help" in await ask(bot_api, PRIVATE, "/frobnicate")
        assert "/help" in await ask(bot_api, GROUP, f"/frobnicate@{BOT}")

    converse(bot_api, room, scenario, [OPERATOR])
    assert len(bot_api.messages_to(GROUP)) == 1


# ----- operator watchlists ----------------------------------------------------------------------
@pytest.mark.parametrize(("chat", "suffix"), [(PRIVATE, ""), (GROUP, f"@{BOT}")])
def test_list_subscribe_mine_unsubscribe(
    bot_api: FakeBotApi, room: Newsroom, chat: int, suffix: str
) -> None:
    async def scenario() -> None:
        listed = await ask(bot_api, chat, f"/list{suffix}")
        assert "iraq — US-Iraq escalation" in listed and "ukraine" in listed
        assert "staff-only" not in listed  # closed watchlists are not advertised
        assert "al asad" in listed.lower()  # what it watches

        assert "Subscribed to iraq" in await ask(bot_api, chat, f"/subscribe{suffix} iraq")
        assert "already receives" in await ask(bot_api, chat, f"/subscribe{suffix} iraq")
        mine = await ask(bot_api, chat, f"/mine{suffix}")
        assert "iraq — US-Iraq escalation" in mine and "ukraine" not in mine
        assert "✅ iraq" in await ask(bot_api, chat, f"/list{suffix}")

        assert "Unsubscribed from iraq" in await ask(bot_api, chat, f"/unsubscribe{suffix} iraq")
        assert "not subscribed" in await ask(bot_api, chat, f"/unsubscribe{suffix} iraq")
        assert "No watchlists yet" in await ask(bot_api, chat, f"/mine{suffix}")

    converse(bot_api, room, scenario, [OPERATOR])
    assert room.query("select * from subscriptions") == []


def test_refusals_closed_unknown_and_missing_ids(bot_api: FakeBotApi, room: Newsroom) -> None:
    async def scenario() -> None:
        closed = await ask(bot_api, PRIVATE, "/subscribe staff-only")
        assert "not open for subscription" in closed
        assert "no watchlist nope" in await ask(bot_api, PRIVATE, "/subscribe nope")
        assert "no watchlist nope" in await ask(bot_api, PRIVATE, "/unsubscribe nope")
        assert "Which one?" in await ask(bot_api, PRIVATE, "/subscribe")
        assert "Which one?" in await ask(bot_api, GROUP, f"/unsubscribe@{BOT}")

    converse(bot_api, room, scenario, [OPERATOR])
    assert room.query("select * from subscriptions") == []


def test_operator_listed_chat_can_opt_out_and_back_in(bot_api: FakeBotApi, room: Newsroom) -> None:
    async def scenario() -> None:
        assert "iraq" in await ask(bot_api, LISTED, "/mine")
        assert "already receives" in await ask(bot_api, LISTED, "/subscribe iraq")
        assert "Unsubscribed from iraq" in await ask(bot_api, LISTED, "/unsubscribe iraq")
        assert "No watchlists yet" in await ask(bot_api, LISTED, "/mine")
        room.add_article("Iraq militias fire on Al Asad")
        assert room.match() == 0  # the opt-out holds although the YAML still lists the chat
        assert "Subscribed to iraq" in await ask(bot_api, LISTED, "/subscribe iraq")

    converse(bot_api, room, scenario, [OPERATOR])
    room.add_article("Iraq militias again near Al Asad")
    assert room.match() == 1


def test_pause_resume_and_digest_settings(bot_api: FakeBotApi, room: Newsroom) -> None:
    async def scenario() -> None:
        assert "Paused" in await ask(bot_api, GROUP, f"/pause@{BOT}")
        assert "paused" in await ask(bot_api, GROUP, f"/mine@{BOT}")
        assert "Resumed" in await ask(bot_api, GROUP, f"/resume@{BOT}")
        assert "one message per hour" in await ask(bot_api, PRIVATE, "/digest hourly")
        assert "Digest is hourly" in await ask(bot_api, PRIVATE, "/digest weekly")
        assert "one message per day" in await ask(bot_api, PRIVATE, "/digest DAILY")

    converse(bot_api, room, scenario, [OPERATOR])
    assert room.query("select chat_id, paused, digest from chats order by chat_id") == [
        (GROUP, 0, "off"),
        (PRIVATE, 0, "daily"),
    ]


# ----- personal watchlists ----------------------------------------------------------------------
@pytest.mark.parametrize(("chat", "suffix"), [(PRIVATE, ""), (GROUP, f"@{BOT}")])
def test_watch_watches_unwatch(bot_api: FakeBotApi, room: Newsroom, chat: int, suffix: str) -> None:
    async def scenario() -> None:
        saved = await ask(bot_api, chat, f'/watch{suffix} "Red Sea" shipping -insurance')
        assert 'Watching "Red Sea" shipping -insurance as #1' in saved
        listed = await ask(bot_api, chat, f"/watches{suffix}")
        assert '#1 — "Red Sea" shipping -insurance' in listed and "(1/10)" in listed
        assert "You have no watchlist #2" in await ask(bot_api, chat, f"/unwatch{suffix} 2")
        assert "Removed #1" in await ask(bot_api, chat, f"/unwatch{suffix} #1")
        assert "No watchlists of your own" in await ask(bot_api, chat, f"/watches{suffix}")

    converse(bot_api, room, scenario, [OPERATOR])
    assert room.query("select * from chat_watchlists") == []


def test_bad_queries_show_the_parser_column_and_hint(bot_api: FakeBotApi, room: Newsroom) -> None:
    async def scenario() -> None:
        unclosed = await ask(bot_api, PRIVATE, "/watch Iraq AND (militia OR")
        assert "column" in unclosed and "^" in unclosed
        only_excluded = await ask(bot_api, GROUP, f"/watch@{BOT} -sports")
        assert "only excludes words" in only_excluded and "e.g. Iraq -sports" in only_excluded
        assert "Write the query" in await ask(bot_api, PRIVATE, "/watch")
        assert "column" in await ask(bot_api, PRIVATE, '/try "Al Asad')

    converse(bot_api, room, scenario, [OPERATOR])
    assert room.query("select * from chat_watchlists") == []


def test_limits_on_number_and_length_of_personal_watchlists(
    bot_api: FakeBotApi, room: Newsroom
) -> None:
    async def main() -> None:
        app = build_bot(
            bot_api.token,
            bot_api.url,
            room.backend(),
            limits=Limits(max_watches=2, max_query_chars=40),
        )
        async with app:
            await app.start()
            await app.updater.start_polling(poll_interval=0.0, timeout=1)
            assert "#1" in await ask(bot_api, PRIVATE, "/watch Iraq")
            assert "#2" in await ask(bot_api, PRIVATE, "/watch Syria")
            full = await ask(bot_api, PRIVATE, "/watch Yemen")
            assert "already has 2 watchlists" in full and "/unwatch" in full
            assert "#3" in await ask(bot_api, OTHER, "/watch Yemen")  # limits are per chat
            long = await ask(bot_api, OTHER, "/watch " + "word " * 20)
            assert "the most allowed is 40" in long
            await app.updater.stop()
            await app.stop()

    asyncio.run(main())
    assert room.query("select chat_id, count(*) from chat_watchlists group by chat_id") == [
        (PRIVATE, 2),
        (OTHER, 1),
    ]


def test_a_chat_cannot_remove_another_chats_watchlist(bot_api: FakeBotApi, room: Newsroom) -> None:
    async def scenario() -> None:
        assert "#1" in await ask(bot_api, PRIVATE, "/watch Iraq")
        assert "no watchlist #1" in await ask(bot_api, OTHER, "/unwatch 1")

    converse(bot_api, room, scenario, [OPERATOR])
    assert room.query("select id, chat_id from chat_watchlists") == [(1, PRIVATE)]


def test_try_shows_what_matched_in_the_last_seven_days(bot_api: FakeBotApi, room: Newsroom) -> None:
    room.add_article("Militias in Iraq <regroup>", age=timedelta(days=2))
    room.add_article("Iraq militia news from last month", age=timedelta(days=10))
    room.add_article("Ukraine landmines", age=timedelta(days=1))

    async def scenario() -> None:
        reply = await ask(bot_api, PRIVATE, "/try Iraq militia*")
        assert "matched 1 article in the last 7 days" in reply
        assert "Militias in Iraq <regroup>" in reply and "last month" not in reply
        assert "Responsible Statecraft" in reply
        assert "matched nothing" in await ask(bot_api, PRIVATE, "/try Yemen")

    converse(bot_api, room, scenario, [OPERATOR])
    assert room.query("select * from chat_watchlists") == []  # trying saves nothing


def test_personal_watchlist_alerts_only_its_own_chat(bot_api: FakeBotApi, room: Newsroom) -> None:
    async def scenario() -> None:
        await ask(bot_api, PRIVATE, '/watch "Red Sea" shipping')
        await ask(bot_api, OTHER, "/watch Greenland")

    converse(bot_api, room, scenario, [OPERATOR])
    room.add_article("Houthis again target Red Sea shipping", "Shipping in the Red Sea is hit.")
    room.add_article("Nothing about the sea", "Quiet day.")
    assert room.match() == 1
    report = asyncio.run(deliver_queued(bot_api, room))

    assert report.sent == 1
    [alert] = bot_api.messages_to(PRIVATE)[-1:]
    assert "Houthis again target Red Sea shipping" in alert["plain_text"]
    assert "#1" in alert["plain_text"]
    assert [m for m in bot_api.sent if m["chat_id"] not in (PRIVATE, OTHER)] == []
    assert all("Houthis" not in m["plain_text"] for m in bot_api.messages_to(OTHER))


# ----- operators --------------------------------------------------------------------------------
def test_operator_commands_are_refused_elsewhere_without_leaking(
    bot_api: FakeBotApi, room: Newsroom
) -> None:
    async def scenario() -> None:
        for chat, command in ((PRIVATE, "/status"), (GROUP, f"/outlets@{BOT}")):
            reply = await ask(bot_api, chat, command)
            assert reply == "Sorry, that command is only for the operators of this bot."

    converse(bot_api, room, scenario, [OPERATOR])


def test_operator_status_and_outlets(bot_api: FakeBotApi, room: Newsroom) -> None:
    room.add_article("Fresh article", age=timedelta(hours=2))
    room.add_article("Old article", age=timedelta(days=3))
    with room.db.engine.begin() as connection:
        connection.exec_driver_sql(
            "insert into outlet_health (outlet_id, last_success_at, last_error_at, last_error, "
            "consecutive_failures, articles_last_run, articles_total, pages_without_text_last_run,"
            " pages_fetched_last_run, extraction_failures_total, failing_alerted, layout_alerted)"
            " values ('statecraft', '2026-01-02 03:04:00', '2026-01-03 05:06:00', "
            "'HTTP 503 <Service Unavailable>', 2, 0, 5, 0, 0, 0, 0, 0)"
        )

    async def scenario() -> None:
        status = await ask(bot_api, OPERATOR, "/status")
        assert "statecraft — last success 2026-01-02 03:04 UTC, 1 article in the last day" in status
        assert "2 failure(s) in a row" in status
        assert "HTTP 503 <Service Unavailable>" in status
        assert "warontherocks — last success never" in status
        outlets = await ask(bot_api, OPERATOR, "/outlets")
        assert "statecraft — Responsible Statecraft" in outlets
        assert "warontherocks — War on the Rocks (disabled)" in outlets

    converse(bot_api, room, scenario, [OPERATOR])


# ----- the buttons under an alert ---------------------------------------------------------------
def _press(server: FakeBotApi, chat: int, button: int) -> tuple[dict, dict]:
    message = server.messages_to(chat)[-1]
    data = message["reply_markup"]["inline_keyboard"][0][button]["callback_data"]
    server.push_callback_query(chat, data, message_id=message["message_id"])
    return message, {"data": data}


@pytest.mark.parametrize("chat", [PRIVATE, GROUP])
def test_mute_button_silences_the_watchlist_for_a_day(
    bot_api: FakeBotApi, room: Newsroom, chat: int
) -> None:
    async def scenario() -> None:
        await ask(bot_api, chat, f"/subscribe@{BOT} iraq")
        room.add_article("Iraq militias near Al Asad")
        room.match()
        await deliver_queued(bot_api, room)
        message, _ = _press(bot_api, chat, 0)
        await wait_for(lambda: bot_api.calls("editMessageReplyMarkup"))
        [answer] = bot_api.calls("answerCallbackQuery")
        assert answer["text"].startswith("Muted iraq until")
        [edit] = bot_api.calls("editMessageReplyMarkup")
        assert edit["message_id"] == message["message_id"]
        [[undo]] = edit["reply_markup"]["inline_keyboard"]  # the buttons give way to an undo
        assert undo["text"] == "↩️ Undo mute"

    converse(bot_api, room, scenario, [OPERATOR])
    [(until,)] = room.query(
        "select until from mutes where chat_id = ? and watchlist_id = 'iraq'", chat
    )
    until_at = datetime.fromisoformat(until).replace(tzinfo=UTC)
    assert timedelta(hours=23) < until_at - datetime.now(UTC) <= timedelta(hours=24)
    again = room.add_article("Iraq militias strike Al Asad again")
    assert room.match() == 1  # for the chat the operator listed, not for the muted one
    assert room.query("select chat_id from outbox where article_id = ?", again) == [(LISTED,)]


def test_unsubscribe_button_leaves_the_watchlist(bot_api: FakeBotApi, room: Newsroom) -> None:
    async def scenario() -> None:
        await ask(bot_api, PRIVATE, "/subscribe iraq")
        await ask(bot_api, PRIVATE, "/watch Greenland")
        room.add_article("Iraq militias near Al Asad")
        room.add_article("Greenland ice sheet")
        room.match()
        await deliver_queued(bot_api, room)
        operator_alert, personal_alert = bot_api.messages_to(PRIVATE)[-2:]
        for message in (operator_alert, personal_alert):
            keyboard = message["reply_markup"]["inline_keyboard"][0]
            bot_api.push_callback_query(
                PRIVATE, keyboard[1]["callback_data"], message_id=message["message_id"]
            )
        await wait_for(lambda: len(bot_api.calls("answerCallbackQuery")) == 2)
        answers = [a["text"] for a in bot_api.calls("answerCallbackQuery")]
        assert answers == ["Unsubscribed from iraq.", "Removed your watchlist #1."]

    converse(bot_api, room, scenario, [OPERATOR])
    assert room.query("select * from subscriptions") == []
    assert room.query("select * from chat_watchlists") == []


def test_long_watchlist_ids_fit_in_callback_data() -> None:
    long_id = "a" * 100
    data = callback_data("m", long_id)
    assert len(data.encode()) <= 64
    press = parse_callback(data)
    assert press is not None and press.resolve(["other", long_id]) == long_id
    assert parse_callback(callback_data("u", "iraq")).resolve([]) == "iraq"  # type: ignore[union-attr]
    assert parse_callback("garbage") is None


def test_token_stays_out_of_logs_while_the_bot_runs(
    bot_api: FakeBotApi, room: Newsroom, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG")

    async def scenario() -> None:
        await ask(bot_api, PRIVATE, "/start")
        bot_api.fail_next("sendMessage", status=500, description="Internal Server Error")
        bot_api.push_message(PRIVATE, "/help")
        await wait_for(lambda: len(bot_api.calls("sendMessage")) >= 2)
        await asyncio.sleep(0.2)

    converse(bot_api, room, scenario, [OPERATOR])
    secret = bot_api.token.split(":", 1)[1]
    assert caplog.records
    assert all(secret not in record.getMessage() for record in caplog.records)
    assert secret not in caplog.text


def test_a_chat_that_blocked_the_bot_and_talks_again_gets_its_held_alerts(
    bot_api: FakeBotApi, room: Newsroom
) -> None:
    room.add_article("Iraq militias near Al Asad")
    room.match()
    bot_api.fail_next(
        "sendMessage", status=403, description="Forbidden: bot was blocked by the user"
    )
    asyncio.run(deliver_queued(bot_api, room))
    assert room.query("select gone from chats where chat_id = ?", LISTED) == [(1,)]
    assert room.query("select status from outbox") == [("held",)]

    async def scenario() -> None:
        await ask(bot_api, LISTED, "/mine")

    converse(bot_api, room, scenario, [OPERATOR])
    assert room.query("select gone from chats where chat_id = ?", LISTED) == [(0,)]
    asyncio.run(deliver_queued(bot_api, room))
    assert "Iraq militias near Al Asad" in bot_api.messages_to(LISTED)[-1]["plain_text"]
    assert room.query("select status from outbox") == [("sent",)]


def test_in_a_group_only_admins_change_what_it_receives(
    bot_api: FakeBotApi, room: Newsroom
) -> None:
    admin, member = 9001, 9002
    bot_api.admins[GROUP] = {admin}

    async def scenario() -> None:
        for command in (
            f"/subscribe@{BOT} iraq",
            f"/pause@{BOT}",
            f"/digest@{BOT} daily",
            f"/watch@{BOT} Greenland",
        ):
            assert "Only this group's admins" in await ask(
                bot_api, GROUP, command, user_id=member
            ), command
        # Reading is for everyone.
        assert "iraq" in await ask(bot_api, GROUP, f"/list@{BOT}", user_id=member)
        assert "Subscribed to iraq" in await ask(
            bot_api, GROUP, f"/subscribe@{BOT} iraq", user_id=admin
        )
        room.add_article("Iraq militias near Al Asad")
        room.match()
        await deliver_queued(bot_api, room)
        alert = bot_api.messages_to(GROUP)[-1]
        mute = alert["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
        bot_api.push_callback_query(GROUP, mute, message_id=alert["message_id"], user_id=member)
        await wait_for(lambda: bot_api.calls("answerCallbackQuery"))
        [refused] = bot_api.calls("answerCallbackQuery")
        assert refused["text"].startswith("Only this group's admins")

    converse(bot_api, room, scenario, [OPERATOR])
    assert room.query("select watchlist_id from subscriptions where chat_id = ?", GROUP) == [
        ("iraq",)
    ]
    assert room.query("select * from mutes where chat_id = ?", GROUP) == []
    assert room.query("select paused, digest from chats where chat_id = ?", GROUP) == [(0, "off")]
    assert room.query("select * from chat_watchlists") == []
