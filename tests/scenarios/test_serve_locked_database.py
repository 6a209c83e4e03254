"""`newsradar serve` while another process holds the SQLite database: the service keeps
answering (/healthz, the bot), and what waited on the database goes through once it is free."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from newsradar.demo.server import SampleOutlets
from tests.support.botapi import FakeBotApi
from tests.support.sample_articles import fresh_article as _fresh
from tests.support.sample_watchlists import PRIVATE
from tests.support.sample_watchlists import alert_titles as _titles
from tests.support.serve_process import Service, eventually, serving, stop
from tests.support.serve_process import outlets_every as _fast
from tests.support.workspace import Workspace

READER = 777
HOLD = 10.0  # seconds the other process keeps the database locked
STORY = "A drone strike near Erbil during the lock"

# Another process writing to the database: it takes the write lock and keeps it for a while.
LOCKER = """
import sqlite3, sys, time
connection = sqlite3.connect(sys.argv[1], timeout=5, isolation_level=None)
connection.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
connection.execute("COMMIT")
"""


@contextmanager
def database_locked(path: Path, seconds: float) -> Iterator[subprocess.Popen[str]]:
    """Another process holds the write lock of the SQLite file for `seconds` (it retries while
    serve itself is writing); killed on the way out if it is still there."""
    for _attempt in range(5):
        locker = subprocess.Popen(
            [sys.executable, "-c", LOCKER, str(path), str(seconds)],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert locker.stdout is not None
        if locker.stdout.readline().strip() == "locked":  # bounded: sqlite3's 5 s timeout
            break
        locker.wait(timeout=10)
    else:
        raise AssertionError("could not lock the database")
    try:
        yield locker
    finally:
        if locker.poll() is None:
            locker.kill()
        locker.wait(timeout=10)


def timed_health(service: Service, limit: float) -> tuple[float, dict]:
    """GET /healthz, failing when it takes longer than `limit` seconds."""
    started = time.monotonic()
    url = f"http://127.0.0.1:{service.port}/healthz"
    try:
        with urllib.request.urlopen(url, timeout=limit) as response:
            body = json.loads(response.read())
    except urllib.error.HTTPError as exc:
        body = json.loads(exc.read())
    except TimeoutError as exc:
        raise AssertionError(f"/healthz did not answer within {limit} s") from exc
    took = time.monotonic() - started
    assert took < limit, f"/healthz took {took:.1f} s"
    return took, body


def test_serve_keeps_answering_while_another_process_holds_the_database(
    workspace: Workspace, sample_outlets: SampleOutlets, bot_api: FakeBotApi, telegram_env
) -> None:
    watchlist = {"id": "lock", "title": "Lock", "query": 'title:"during the lock"'}
    workspace.write_config(
        _fast(sample_outlets, "2s"), [{**watchlist, "chats": [PRIVATE], "open": True}]
    )
    database = workspace.root / "newsradar.db"

    with serving(workspace, **telegram_env) as service:
        eventually(
            lambda: all(
                service.metric("newsradar_crawls_total", outlet=o, result="ok") >= 1
                for o in ("statecraft", "wp", "wix")
            ),
            60,
            "a first crawl of every outlet",
        )
        bot_api.push_message(READER, "/start")
        eventually(lambda: bot_api.messages_to(READER), 20, "a reply to /start")

        with database_locked(database, HOLD) as locker:
            locked = time.monotonic()
            # Crawls end meanwhile and wait to save what they did; /healthz still answers.
            slowest = 0.0
            while time.monotonic() - locked < 3:
                slowest = max(slowest, timed_health(service, 2.0)[0])
                time.sleep(0.2)
            # Published while the database is locked: it cannot be stored before it is free.
            sample_outlets.publish(_fresh("erbil-during-the-lock", STORY, 3))
            before = len(bot_api.messages_to(READER))
            bot_api.push_message(READER, "/list")
            eventually(
                lambda: len(bot_api.messages_to(READER)) > before,
                5,
                "the bot's answer while the database is locked",
            )
            assert "during the lock" not in json.dumps(bot_api.messages_to(PRIVATE))
            while locker.poll() is None:
                slowest = max(slowest, timed_health(service, 2.0)[0])
                time.sleep(0.2)
            assert time.monotonic() - locked >= HOLD - 1  # it was locked all along
        assert "Lock" in bot_api.messages_to(READER)[-1]["text"]  # /list names the watchlist

        eventually(lambda: STORY in _titles(bot_api, PRIVATE), 30, "the alert after the lock")
        _took, health = timed_health(service, 2.0)
        assert health["ok"] and health["database"] == "ok"
        stop(service)

    assert _titles(bot_api, PRIVATE).count(STORY) == 1
    assert "Traceback" not in service.stderr()
    assert slowest < 2.0
