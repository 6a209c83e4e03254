"""Telegram misbehaving during real `newsradar run-once` runs: a message refused with 400, a flood
of 429s, a Bot API that accepts connections and never answers.

Single failures of each kind, against the sender alone, are in test_sender.py; these check what a
whole run does with them: nothing lost, nothing sent twice, nothing retried in a loop, and the run
ends in bounded time.
"""

from __future__ import annotations

import asyncio
import socket
import sqlite3
import threading
import time
from collections.abc import Iterator

import pytest

from newsradar.demo.server import SampleOutlets
from notifier.sender import Outcome, Outgoing, TelegramSender
from tests.support.botapi import FakeBotApi
from tests.support.sample_watchlists import IRAQ_ALERTS
from tests.support.workspace import Workspace

READER, OTHER_READER, THIRD_READER = 2001, 2002, 2003
CHATS = (READER, OTHER_READER, THIRD_READER)
WATCHLISTS = [
    {
        "id": "iraq",
        "title": "Iraq",
        "query": "Iraq AND (militia* OR strike* OR troops)",
        "chats": list(CHATS),
    },
]


def outbox(workspace: Workspace) -> list[tuple[int, int, str, int, str | None]]:
    with sqlite3.connect(workspace.root / "newsradar.db") as db:
        return db.execute(
            "select article_id, chat_id, status, attempts, last_error from outbox order by id"
        ).fetchall()


def setup(workspace: Workspace, outlets: SampleOutlets) -> None:
    workspace.write_config(outlets.outlets_config(), WATCHLISTS)


def test_a_refused_message_is_logged_with_its_article_and_never_retried(
    workspace: Workspace, sample_outlets: SampleOutlets, bot_api: FakeBotApi, telegram_env
) -> None:
    setup(workspace, sample_outlets)
    refusal = "Bad Request: can't parse entities: unsupported start tag at byte offset 12"
    bot_api.fail_next("sendMessage", status=400, description=refusal, chat_id=READER)

    first = workspace.run("run-once", **telegram_env)

    assert first.returncode == 0, first.stderr
    rows = outbox(workspace)
    [failed] = [row for row in rows if row[2] == "failed"]
    article_id, chat_id, _status, attempts, error = failed
    assert chat_id == READER and attempts == 1
    assert error and "can't parse entities" in error.lower()
    # The operator can tell which article and chat it was, and why.
    log_line = next(line for line in first.stderr.splitlines() if "refused" in line.lower())
    assert f"article {article_id}" in log_line and str(READER) in log_line, log_line
    assert "can't parse entities" in log_line.lower()
    # One refusal does not hold up the chat's other alerts, nor anyone else's.
    assert len(bot_api.messages_to(READER)) == len(IRAQ_ALERTS) - 1
    assert len(bot_api.messages_to(OTHER_READER)) == len(IRAQ_ALERTS)
    calls = len(bot_api.calls("sendMessage"))

    second = workspace.run("run-once", **telegram_env)

    assert second.returncode == 0, second.stderr
    assert len(bot_api.calls("sendMessage")) == calls  # not retried, not in a loop
    assert [r for r in outbox(workspace) if r[2] == "failed"] == [failed]


def test_a_flood_control_storm_ends_the_run_and_loses_nothing(
    workspace: Workspace, sample_outlets: SampleOutlets, bot_api: FakeBotApi, telegram_env
) -> None:
    """Every send answered 429 "retry after an hour": the run gives up on each chat at once,
    and the next run, once the storm is over, delivers every alert exactly once."""
    setup(workspace, sample_outlets)
    bot_api.fail_next(
        "sendMessage", status=429, description="Too Many Requests", retry_after=3600, times=1000
    )

    started = time.monotonic()
    stormy = workspace.run("run-once", timeout=90, **telegram_env)
    elapsed = time.monotonic() - started

    assert stormy.returncode == 0, stormy.stderr
    assert bot_api.sent == []
    assert len(bot_api.calls("sendMessage")) <= len(CHATS)  # one try per chat, no loop
    assert {status for _a, _c, status, _n, _e in outbox(workspace)} == {"pending"}
    assert elapsed < 60, f"the run waited out the flood control ({elapsed:.0f}s)"

    with FakeBotApi(bot_api.token) as calm_api:
        calm = workspace.run(
            "run-once", **{**telegram_env, "NEWSRADAR_TELEGRAM_API_URL": calm_api.url}
        )

        assert calm.returncode == 0, calm.stderr
        for chat in CHATS:
            assert len(calm_api.messages_to(chat)) == len(IRAQ_ALERTS)
        texts = [(m["chat_id"], m["text"]) for m in calm_api.sent]
        assert len(texts) == len(set(texts))
    assert {status for _a, _c, status, _n, _e in outbox(workspace)} == {"sent"}


@pytest.fixture
def black_hole() -> Iterator[str]:
    """A Bot API address that accepts connections and never says a word."""
    server = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                connection, _ = server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            accepted.append(connection)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}"
    stop.set()
    thread.join(5)
    for connection in accepted:
        connection.close()
    server.close()


def test_a_bot_api_that_never_answers_gives_retry_later_in_bounded_time(
    black_hole: str,
) -> None:
    async def scenario() -> tuple[Outcome, float]:
        started = time.monotonic()
        async with TelegramSender(
            "123456:TEST-token", black_hole, timeout=0.3, max_attempts=3, retry_backoff=0.05
        ) as sender:
            result = await sender.send(Outgoing(READER, "hello"))
        return result.outcome, time.monotonic() - started

    outcome, elapsed = asyncio.run(scenario())
    assert outcome is Outcome.RETRY_LATER
    assert elapsed < 10  # the default time-outs would take close to a minute
