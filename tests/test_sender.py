"""The Telegram sender against the local Bot API server, through the real bot client."""

from __future__ import annotations

import asyncio
import io
import itertools
import logging
import socket
import time
from collections.abc import Awaitable
from typing import Any, TypeVar

import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from notifier.redaction import redact
from notifier.sender import (
    Outcome,
    Outgoing,
    SendResult,
    StdoutSender,
    TelegramSender,
)
from tests.support.botapi import FakeBotApi

# The bot client itself warns whenever it builds a flood-control error, unless the process opted
# in to its future timedelta API (PTB_TIMEDELTA); the sender copes with both forms.
FLOOD_WARNING = "ignore:.*retry_after.*:telegram.warnings.PTBDeprecationWarning"

T = TypeVar("T")
CHAT = 4242
QUICK: dict[str, Any] = {"per_chat_interval": 0.0, "retry_backoff": 0.05, "timeout": 2.0}


def run(awaitable: Awaitable[T]) -> T:
    async def wrapper() -> T:
        return await awaitable

    return asyncio.run(wrapper())


async def send_one(server: FakeBotApi, message: Outgoing, **options: Any) -> SendResult:
    async with TelegramSender(server.token, server.url, **{**QUICK, **options}) as sender:
        return await sender.send(message)


def test_sent_with_message_id_html_and_no_link_preview(bot_api: FakeBotApi) -> None:
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Unsubscribe", callback_data="u:w1")]])
    result = run(send_one(bot_api, Outgoing(CHAT, "<b>Alert</b> &amp; more", keyboard)))

    [delivered] = bot_api.messages_to(CHAT)
    assert result == SendResult(Outcome.SENT, message_id=delivered["message_id"])
    assert delivered["plain_text"] == "Alert & more"
    assert delivered["parse_mode"] == "HTML"
    assert delivered["link_preview_options"] == {"is_disabled": True}
    assert delivered["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "u:w1"


def test_message_ids_increase_per_chat(bot_api: FakeBotApi) -> None:
    async def scenario() -> list[int | None]:
        async with TelegramSender(bot_api.token, bot_api.url, **QUICK) as sender:
            results = [await sender.send(Outgoing(CHAT, f"m{i}")) for i in range(3)]
            results.append(await sender.send(Outgoing(CHAT + 1, "other")))
        return [r.message_id for r in results]

    assert run(scenario()) == [1, 2, 3, 1]


@pytest.mark.filterwarnings(FLOOD_WARNING)
def test_flood_control_retry_after_is_honoured(bot_api: FakeBotApi) -> None:
    bot_api.fail_next(
        "sendMessage", status=429, description="Too Many Requests: retry after 1", retry_after=1
    )
    started = time.monotonic()
    result = run(send_one(bot_api, Outgoing(CHAT, "hello")))
    elapsed = time.monotonic() - started

    assert result.outcome is Outcome.SENT
    attempts = bot_api.calls("sendMessage")
    assert len(attempts) == 2 and len(bot_api.messages_to(CHAT)) == 1
    assert 0.95 <= elapsed < 3
    [delivered] = bot_api.messages_to(CHAT)
    assert delivered["time"] - started >= 0.95  # the retry itself waited, not just the caller


@pytest.mark.filterwarnings(FLOOD_WARNING)
def test_retry_after_longer_than_allowed_returns_retry_later(bot_api: FakeBotApi) -> None:
    bot_api.fail_next("sendMessage", status=429, description="Too Many Requests", retry_after=120)
    started = time.monotonic()
    result = run(send_one(bot_api, Outgoing(CHAT, "hello"), max_retry_after=5))
    assert result.outcome is Outcome.RETRY_LATER and result.retry_after == 120
    assert time.monotonic() - started < 2
    assert bot_api.messages_to(CHAT) == []


def test_server_errors_are_retried_then_sent(bot_api: FakeBotApi) -> None:
    bot_api.fail_next("sendMessage", status=500, description="Internal Server Error", times=2)
    result = run(send_one(bot_api, Outgoing(CHAT, "hello")))
    assert result.outcome is Outcome.SENT
    assert len(bot_api.calls("sendMessage")) == 3


def test_persistent_server_errors_give_retry_later(bot_api: FakeBotApi) -> None:
    bot_api.fail_next("sendMessage", status=502, description="Bad Gateway", times=10)
    result = run(send_one(bot_api, Outgoing(CHAT, "hello"), max_attempts=3))
    assert result.outcome is Outcome.RETRY_LATER
    assert result.message_id is None and "Bad Gateway" in (result.error or "")
    assert len(bot_api.calls("sendMessage")) == 3
    assert bot_api.messages_to(CHAT) == []


def test_slow_answer_beyond_timeout_is_uncertain_not_retried(bot_api: FakeBotApi) -> None:
    """The client cannot tell a request Telegram dropped from one whose answer was late."""
    bot_api.delay_next("sendMessage", 1.5)
    result = run(send_one(bot_api, Outgoing(CHAT, "hello"), timeout=0.3))
    assert result.outcome is Outcome.UNCERTAIN
    assert len(bot_api.calls("sendMessage")) == 1


@pytest.mark.parametrize("hang", [None, 3.0], ids=["accept-then-reset", "accept-then-hang"])
def test_a_lost_answer_is_uncertain_and_the_message_is_not_sent_again(
    bot_api: FakeBotApi, hang: float | None
) -> None:
    """Telegram delivered the message and its answer was lost (the connection reset, or the
    answer later than the time-out): the sender says so and does not send a second copy."""
    bot_api.lose_answer_next("sendMessage", times=10, hang=hang)
    result = run(send_one(bot_api, Outgoing(CHAT, "hello"), timeout=0.5))
    assert result.outcome is Outcome.UNCERTAIN
    assert result.message_id is None and result.error
    assert len(bot_api.messages_to(CHAT)) == 1


def test_a_refused_token_is_unauthorized_not_retry_later(bot_api: FakeBotApi) -> None:
    bot_api.token_refused = True
    result = run(send_one(bot_api, Outgoing(CHAT, "hello")))
    assert result.outcome is Outcome.UNAUTHORIZED
    assert len(bot_api.calls("sendMessage")) == 0  # refused before any method ran
    assert bot_api.token not in (result.error or "")


def test_an_error_echoing_the_path_keeps_the_token_out_whatever_its_case(
    bot_api: FakeBotApi, caplog: pytest.LogCaptureFixture
) -> None:
    """The client capitalises "Bad Request: ..." texts, which lower-cases an echoed token."""
    caplog.set_level(logging.DEBUG)
    bot_api.fail_next("sendMessage", status=400, description="Bad Request: wrong path {path}")
    result = run(send_one(bot_api, Outgoing(CHAT, "hello")))
    assert result.outcome is Outcome.REJECTED
    assert "/sendmessage" in (result.error or "").lower()  # the path was echoed
    _, secret = bot_api.token.split(":")
    for text in (result.error or "", caplog.text):
        assert secret.lower() not in text.lower()


def test_unreachable_api_gives_retry_later() -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    result = run(send_one_to(url, "123456:TEST-token", Outgoing(CHAT, "hello"), max_attempts=2))
    assert result.outcome is Outcome.RETRY_LATER and result.error


async def send_one_to(url: str, token: str, message: Outgoing, **options: Any) -> SendResult:
    async with TelegramSender(token, url, **{**QUICK, **options}) as sender:
        return await sender.send(message)


@pytest.mark.parametrize(
    ("status", "description"),
    [
        (403, "Forbidden: bot was blocked by the user"),
        (403, "Forbidden: bot was kicked from the group chat"),
        (400, "Bad Request: chat not found"),
    ],
)
def test_unreachable_chats_are_gone(bot_api: FakeBotApi, status: int, description: str) -> None:
    bot_api.fail_next("sendMessage", status=status, description=description, chat_id=CHAT)
    result = run(send_one(bot_api, Outgoing(CHAT, "hello")))
    assert result.outcome is Outcome.CHAT_GONE
    assert len(bot_api.calls("sendMessage")) == 1  # never retried


def test_group_migration_reports_new_chat_id(bot_api: FakeBotApi) -> None:
    bot_api.fail_next(
        "sendMessage",
        status=400,
        description="Bad Request: group chat was upgraded to a supergroup chat",
        migrate_to_chat_id=-1001234567890,
    )
    result = run(send_one(bot_api, Outgoing(-4321, "hello")))
    assert result.outcome is Outcome.MIGRATED
    assert result.new_chat_id == -1001234567890


@pytest.mark.parametrize(
    "text",
    ["<b>unclosed", "<script>alert(1)</script>", "AT&T", "x" * 4097],
)
def test_malformed_messages_are_rejected_without_retry(bot_api: FakeBotApi, text: str) -> None:
    result = run(send_one(bot_api, Outgoing(CHAT, text)))
    assert result.outcome is Outcome.REJECTED
    assert result.error and "BadRequest" in result.error
    assert len(bot_api.calls("sendMessage")) == 1
    assert bot_api.messages_to(CHAT) == []


def test_one_chat_is_paced_but_different_chats_are_not(bot_api: FakeBotApi) -> None:
    interval = 0.5

    async def burst(chat_ids: list[int]) -> float:
        async with TelegramSender(
            bot_api.token, bot_api.url, per_chat_interval=interval, timeout=2.0
        ) as sender:
            started = time.monotonic()
            results = await asyncio.gather(
                *(sender.send(Outgoing(c, f"n{i}")) for i, c in enumerate(chat_ids))
            )
            assert all(r.outcome is Outcome.SENT for r in results)
            return time.monotonic() - started

    assert run(burst([CHAT, CHAT, CHAT])) >= 2 * interval - 0.05
    times = [m["time"] for m in bot_api.messages_to(CHAT)]
    assert [m["plain_text"] for m in bot_api.messages_to(CHAT)] == ["n0", "n1", "n2"]
    assert all(b - a >= interval - 0.05 for a, b in itertools.pairwise(times))

    assert run(burst([1, 2, 3])) < interval


def test_groups_are_held_to_their_per_minute_rate(bot_api: FakeBotApi) -> None:
    async def two_to_group() -> float:
        async with TelegramSender(
            bot_api.token, bot_api.url, per_chat_interval=0.0, group_per_minute=120
        ) as sender:
            started = time.monotonic()
            await asyncio.gather(*(sender.send(Outgoing(-555, "g")) for _ in range(2)))
            return time.monotonic() - started

    assert run(two_to_group()) >= 0.45  # 120 per minute: one every 0.5 s


def test_overall_rate_limit_spaces_all_chats(bot_api: FakeBotApi) -> None:
    async def three_chats() -> float:
        async with TelegramSender(
            bot_api.token, bot_api.url, per_chat_interval=0.0, overall_per_second=5
        ) as sender:
            started = time.monotonic()
            await asyncio.gather(*(sender.send(Outgoing(c, "x")) for c in (1, 2, 3)))
            return time.monotonic() - started

    assert run(three_chats()) >= 0.35  # 5 per second: 0.2 s between sends


def test_token_never_reaches_logs_or_errors(
    bot_api: FakeBotApi, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    for name in ("httpx", "httpcore", "telegram"):
        caplog.set_level(logging.DEBUG, logger=name)
    secret_token = "987654:SECRET-never-log-this-token"
    other = CHAT + 1
    bot_api.fail_next("sendMessage", status=500, description="Internal Server Error", chat_id=other)
    bot_api.fail_next(
        "sendMessage", status=403, description="Forbidden: bot blocked", chat_id=other
    )

    async def scenario() -> list[SendResult]:
        results = []
        # Right server, wrong token: the server answers 401.
        async with TelegramSender(secret_token, bot_api.url, **QUICK) as sender:
            results.append(await sender.send(Outgoing(CHAT, "x")))
        async with TelegramSender(bot_api.token, bot_api.url, **QUICK) as sender:
            results.append(await sender.send(Outgoing(CHAT, "<b>broken")))
            results.append(await sender.send(Outgoing(other, "x")))
        async with TelegramSender(secret_token, "http://127.0.0.1:9", **QUICK) as sender:
            results.append(await sender.send(Outgoing(CHAT, "x")))
        return results

    results = run(scenario())
    assert [r.outcome for r in results] == [
        Outcome.UNAUTHORIZED,
        Outcome.REJECTED,
        Outcome.CHAT_GONE,
        Outcome.RETRY_LATER,
    ]
    secrets = (secret_token, bot_api.token, "SECRET-never-log-this-token", "TEST-token")
    for result in results:
        assert result.error
        assert not any(s in result.error for s in secrets)
    # Debug logging really was captured (the client logs its API URL, token included, at DEBUG).
    assert any(r.name == "telegram.Bot" for r in caplog.records)
    assert "[token]" in caplog.text
    assert not any(s in caplog.text for s in secrets)


def test_redact_removes_token_in_all_forms() -> None:
    token = "123456:ABCdef-ghiJKL"
    text = f"GET /bot{token}/x and /bot123456%3AABCdef-ghiJKL/y and ABCdef-ghiJKL"
    cleaned = redact(text, token)
    assert "ABCdef-ghiJKL" not in cleaned and cleaned.count("[token]") == 3
    assert redact("nothing here", token) == "nothing here"


def test_redact_ignores_case_and_any_url_encoding() -> None:
    token = "123456:ABCdef-ghiJKL"
    encoded = "".join(f"%{ord(char):02X}" for char in token)
    forms = [token.lower(), token.upper(), token.capitalize(), encoded, encoded.lower()]
    forms += ["123456%253AABCdef-ghiJKL", "abcdef-ghijkl"]
    for form in forms:
        assert redact(f"/bot{form}/sendMessage", token) == "/bot[token]/sendMessage", form


def test_stdout_sender_prints_and_reports_printed_not_sent() -> None:
    stream = io.StringIO()

    async def scenario() -> list[SendResult]:
        async with StdoutSender(stream) as sender:
            return [await sender.send(Outgoing(7, "Title\nhttps://x")) for _ in range(2)]

    results = run(scenario())
    assert [r.outcome for r in results] == [Outcome.PRINTED, Outcome.PRINTED]
    assert results[0].message_id != results[1].message_id
    assert stream.getvalue().count("Title\nhttps://x") == 2
