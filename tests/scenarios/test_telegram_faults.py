"""Telegram misbehaving during real `newsradar run-once` runs: a message refused with 400, a flood
of 429s, a Bot API that accepts connections and never answers.

Single failures of each kind, against the sender alone, are in test_sender.py; these check what a
whole run does with them: nothing lost, nothing sent twice, nothing retried in a loop, and the run
ends in bounded time.
"""

from __future__ import annotations

import asyncio
import json
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
from tests.support.serve_process import eventually, outlets_every, serving, stop
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


def test_a_bot_api_that_never_answers_gives_uncertain_in_bounded_time(
    black_hole: str,
) -> None:
    """The request was written and no answer came: the message may have arrived, so it is
    uncertain (sent once more after a pause), not retried at once."""

    async def scenario() -> tuple[Outcome, float]:
        started = time.monotonic()
        async with TelegramSender(
            "123456:TEST-token", black_hole, timeout=0.3, max_attempts=3, retry_backoff=0.05
        ) as sender:
            result = await sender.send(Outgoing(READER, "hello"))
        return result.outcome, time.monotonic() - started

    outcome, elapsed = asyncio.run(scenario())
    assert outcome is Outcome.UNCERTAIN
    assert elapsed < 10  # the default time-outs would take close to a minute


# ----- answers lost, tokens refused, alerts printed (issue 18) ------------------------------------
def copies(api: FakeBotApi, chat: int) -> dict[str, int]:
    """How many times each text reached the chat."""
    counts: dict[str, int] = {}
    for message in api.messages_to(chat):
        counts[message["text"]] = counts.get(message["text"], 0) + 1
    return counts


def pause_over(workspace: Workspace) -> None:
    """Time passes: every send whose answer was lost may go out again."""
    with sqlite3.connect(workspace.root / "newsradar.db") as db:
        db.execute("update outbox set resend_after = '2000-01-01 00:00:00.000000'")


def test_answers_lost_to_resets_bring_each_alert_to_a_chat_at_most_twice(
    workspace: Workspace, sample_outlets: SampleOutlets, bot_api: FakeBotApi, telegram_env
) -> None:
    """Every answer lost (accepted, then the connection reset) for two runs: a chat gets its
    first alert once per run, never a copy within a run; afterwards everything arrives once,
    save that first alert, which arrived twice and is never sent a third time."""
    setup(workspace, sample_outlets)
    bot_api.lose_answer_next("sendMessage", times=1000)
    lossy = {**telegram_env, "NEWSRADAR_RESEND_PAUSE": "0"}

    first = workspace.run("run-once", **lossy)

    assert first.returncode == 0, first.stderr
    assert {chat: len(bot_api.messages_to(chat)) for chat in CHATS} == dict.fromkeys(CHATS, 1)
    assert [row[2] for row in outbox(workspace)].count("uncertain") == len(CHATS)
    assert "answer lost" in first.stderr

    second = workspace.run("run-once", **lossy)  # sent once more, and lost again
    assert second.returncode == 0, second.stderr
    assert [row[2] for row in outbox(workspace)].count("unconfirmed") == len(CHATS)
    bot_api.lose_answer_next("sendMessage", times=0)
    with FakeBotApi(bot_api.token) as calm_api:
        calm_env = {**telegram_env, "NEWSRADAR_TELEGRAM_API_URL": calm_api.url}
        for _ in range(2):
            assert workspace.run("run-once", **calm_env).returncode == 0
        for chat in CHATS:
            both = copies(bot_api, chat)
            for text, count in copies(calm_api, chat).items():
                both[text] = both.get(text, 0) + count
            assert len(both) == len(IRAQ_ALERTS), chat
            assert sorted(both.values()) == [1] * (len(IRAQ_ALERTS) - 1) + [2], chat
    statuses = [row[2] for row in outbox(workspace)]
    assert set(statuses) == {"sent", "unconfirmed"}
    status = workspace.run("status")
    assert f"{len(CHATS)} unconfirmed" in status.stdout, status.stdout


def test_an_answer_later_than_the_time_out_is_sent_once_more_after_the_pause(
    workspace: Workspace, sample_outlets: SampleOutlets, bot_api: FakeBotApi, telegram_env
) -> None:
    """The first message to each chat is accepted and its answer held past the client's 10 s
    time-out: not sent again in that run, nor in the next one before the pause is over; then
    once, and never after."""
    setup(workspace, sample_outlets)
    bot_api.lose_answer_next("sendMessage", times=len(CHATS), hang=20)

    slow = workspace.run("run-once", timeout=90, **telegram_env)

    assert slow.returncode == 0, slow.stderr
    assert all(len(bot_api.messages_to(chat)) == 1 for chat in CHATS)
    assert workspace.run("status").stdout.count(f"{len(CHATS)} uncertain") == 1
    soon = workspace.run("run-once", **telegram_env)  # within the pause
    assert soon.returncode == 0, soon.stderr
    for chat in CHATS:
        assert sorted(copies(bot_api, chat).values()) == [1] * len(IRAQ_ALERTS), chat
    pause_over(workspace)
    for _ in range(2):
        assert workspace.run("run-once", **telegram_env).returncode == 0
    for chat in CHATS:
        assert sorted(copies(bot_api, chat).values()) == [1] * (len(IRAQ_ALERTS) - 1) + [2]
    assert {row[2] for row in outbox(workspace)} == {"sent"}


def test_an_error_echoing_the_path_keeps_the_token_out_of_the_log_and_the_outbox(
    workspace: Workspace, sample_outlets: SampleOutlets, bot_api: FakeBotApi, telegram_env
) -> None:
    """The client capitalises "Bad Request: ..." texts, which lower-cases the echoed token."""
    setup(workspace, sample_outlets)
    bot_api.fail_next(
        "sendMessage", status=400, description="Bad Request: wrong path {path}", chat_id=READER
    )

    result = workspace.run("run-once", "-v", **telegram_env)

    assert result.returncode == 0, result.stderr
    [(_a, _c, _s, _n, error)] = [row for row in outbox(workspace) if row[2] == "failed"]
    assert error and "/sendmessage" in error.lower()  # the path was echoed, and stored
    _, secret = bot_api.token.split(":")
    for text in (error, result.stderr, result.stdout):
        assert secret.lower() not in text.lower()


EXIT_TOKEN_REFUSED = 78


def test_a_refused_token_is_named_exits_78_and_keeps_every_alert_for_later(
    workspace: Workspace, sample_outlets: SampleOutlets, bot_api: FakeBotApi, telegram_env
) -> None:
    setup(workspace, sample_outlets)
    bot_api.token_refused = True

    refused = workspace.run("run-once", **telegram_env)

    assert refused.returncode == EXIT_TOKEN_REFUSED, refused.stderr
    lines = [line for line in refused.stderr.splitlines() if "refused the bot token" in line]
    assert len(lines) == 1, refused.stderr
    assert "TEST-token".lower() not in refused.stderr.lower()
    assert len(bot_api.calls("sendMessage")) == 0
    rows = outbox(workspace)
    assert len(rows) == len(CHATS) * len(IRAQ_ALERTS)  # crawled, stored and matched
    assert {row[2] for row in rows} == {"pending"}

    bot_api.token_refused = False  # the operator fixed the token
    fixed = workspace.run("run-once", **telegram_env)
    assert fixed.returncode == 0, fixed.stderr
    for chat in CHATS:
        assert sorted(copies(bot_api, chat).values()) == [1] * len(IRAQ_ALERTS)


def test_alerts_printed_without_a_token_are_sent_when_one_is_set_if_still_new(
    workspace: Workspace, sample_outlets: SampleOutlets, bot_api: FakeBotApi, telegram_env
) -> None:
    setup(workspace, sample_outlets)

    printed = workspace.run("run-once")  # no token: printed on the terminal

    assert printed.returncode == 0, printed.stderr
    assert "printed, not delivered" in printed.stderr
    assert {row[2] for row in outbox(workspace)} == {"printed"}
    with sqlite3.connect(workspace.root / "newsradar.db") as db:  # one article is now old
        [(old_id, old_title)] = db.execute(
            "select id, title from articles where id in (select article_id from outbox) "
            "order by id limit 1"
        ).fetchall()
        db.execute(
            "update articles set published = '2000-01-01 00:00:00.000000' where id = ?", (old_id,)
        )

    sent = workspace.run("run-once", **telegram_env)

    assert sent.returncode == 0, sent.stderr
    line = next(line for line in sent.stderr.splitlines() if "printed earlier" in line)
    new = len(IRAQ_ALERTS) - 1
    assert (
        f"{new * len(CHATS)} sent now" in line and f"{len(CHATS)} printed earlier, not sent" in line
    )
    for chat in CHATS:
        titles = [m["plain_text"] for m in bot_api.messages_to(chat)]
        assert len(titles) == new and not any(old_title in t for t in titles)
    statuses = [row[2] for row in outbox(workspace)]
    assert statuses.count("printed_earlier") == len(CHATS) and statuses.count("sent") == new * 3
    again = workspace.run("run-once", **telegram_env)
    assert again.returncode == 0 and "printed earlier" not in again.stderr
    assert len(bot_api.sent) == new * len(CHATS)


def test_serve_names_a_refused_token_once_keeps_crawling_and_counts_lost_answers(
    workspace: Workspace, sample_outlets: SampleOutlets, bot_api: FakeBotApi, telegram_env
) -> None:
    workspace.write_config(outlets_every(sample_outlets, "3s"), WATCHLISTS)
    bot_api.token_refused = True

    with serving(workspace, **telegram_env, NEWSRADAR_RESEND_PAUSE="1") as service:

        def telegram() -> str:
            return str(json.loads(service.get("/healthz")[1]).get("telegram"))

        eventually(lambda: telegram() == "unauthorized", 60, "/healthz to name the refused token")
        eventually(
            lambda: all(
                service.metric("newsradar_crawls_total", outlet=o, result="ok") >= 3
                for o in ("statecraft", "wp", "wix")
            ),
            60,
            "crawls to go on",
        )
        log = service.stderr()
        assert log.count("refused the bot token") == 1, log
        assert "retrying in" not in log and "test-token" not in log.lower()
        assert bot_api.sent == []

        # The token is fixed; the first answer to each chat is lost on the way back.
        bot_api.lose_answer_next("sendMessage", times=len(CHATS))
        bot_api.token_refused = False
        eventually(
            lambda: all(len(bot_api.messages_to(c)) == len(IRAQ_ALERTS) + 1 for c in CHATS),
            60,
            "every alert, the one whose answer was lost twice",
        )
        eventually(lambda: telegram() == "ok", 30, "/healthz to say Telegram is ok")
        assert service.metric("newsradar_alerts_uncertain_total") == len(CHATS)
        time.sleep(3)  # a few more rounds: nothing is sent a third time
        stop(service)
    for chat in CHATS:
        assert sorted(copies(bot_api, chat).values()) == [1] * (len(IRAQ_ALERTS) - 1) + [2]
