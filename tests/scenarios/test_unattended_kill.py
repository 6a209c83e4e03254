"""`run-once` under cron: overlapping runs, and `kill -9` at any moment.

Real processes: the installed command started with Popen against the sample outlets and the local
Bot API server, killed with SIGKILL at chosen points (mid-crawl, mid-match, mid-delivery), then run
again to completion.
"""

from __future__ import annotations

import collections
import html
import sqlite3
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from newsradar.demo.content import SAMPLE_ARTICLES
from newsradar.demo.server import Response, SampleOutlets, SampleSite
from newsradar.processes.run_lock import EXIT_BUSY
from tests.support.botapi import FakeBotApi
from tests.support.sample_articles import new_article as _new_article
from tests.support.sample_watchlists import (
    GROUP,
    IRAQ_ALERTS,
    PRIVATE,
    UKRAINE_READER,
    WATCHLISTS,
    WP_ONLY,
)
from tests.support.workspace import NEWSRADAR, Workspace

EXPECTED = {(chat, title) for chat in (PRIVATE, GROUP) for title in IRAQ_ALERTS} | {
    (UKRAINE_READER, "Biden's landmine reversal for Ukraine: big risk, little reward"),
    (WP_ONLY, "The attack on US troops in Iraq, explained"),
}


_LOGS: dict[int, Path] = {}


def _start(workspace: Workspace, *args: str, **env: str) -> subprocess.Popen[str]:
    """Start `newsradar` as cron would; its output goes to a file (a pipe could fill up)."""
    path = workspace.root / f"run-{time.monotonic_ns()}.log"
    with path.open("w") as log:
        process = subprocess.Popen(
            [str(NEWSRADAR), *args],
            env=workspace.env(**env),
            cwd=workspace.root,
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
        )
    _LOGS[process.pid] = path
    return process


def _output(process: subprocess.Popen[str]) -> str:
    return _LOGS[process.pid].read_text()


def _kill_when(
    process: subprocess.Popen[str], point: Callable[[], bool], timeout: float = 90
) -> None:
    """SIGKILL the process as soon as `point()` holds; fail if it ended or never got there."""
    deadline = time.monotonic() + timeout
    while not point():
        assert process.poll() is None, f"the run ended before the kill point:\n{_output(process)}"
        assert time.monotonic() < deadline, "the kill point never came"
        time.sleep(0.01)
    process.kill()
    assert process.wait(timeout=30) == -9


def _wait_for(point: Callable[[], bool], timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while not point():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def _title(message: dict) -> str:
    raw = message["text"]
    link = raw.index("<a ")
    return html.unescape(raw[raw.index(">", link) + 1 : raw.index("</a>", link)])


def _delivered(bot_api: FakeBotApi) -> collections.Counter[tuple[int, str]]:
    return collections.Counter((m["chat_id"], _title(m)) for m in bot_api.sent)


def _article_answers(site: SampleSite) -> int:
    return sum(n for (path, status), n in site.statuses().items() if path.startswith("/20"))


def _slow_articles(site: SampleSite, path: str) -> Response | None:
    if path.startswith("/20"):
        time.sleep(0.4)
    return None


def test_an_overlapping_run_neither_crawls_nor_alerts_twice(
    workspace: Workspace, sample_outlets: SampleOutlets, bot_api: FakeBotApi, telegram_env
) -> None:
    workspace.write_config(sample_outlets.outlets_config(), WATCHLISTS)
    bot_api.delay_next("sendMessage", 3)  # keeps the first run busy (and holding the lock)
    first = _start(workspace, "run-once", **telegram_env)
    _wait_for(lambda: bool(bot_api.calls("sendMessage")))

    busy = workspace.run("run-once", "--wait", "0.5", **telegram_env)

    assert busy.returncode == EXIT_BUSY, busy.stderr
    assert "another run-once is still in progress" in busy.stderr
    waiting = _start(workspace, "run-once", "--wait", "120", **telegram_env)
    assert first.wait(timeout=120) == 0, _output(first)
    assert waiting.wait(timeout=120) == 0, _output(waiting)
    assert "0 alerts queued, 0 delivered" in _output(waiting)
    assert _delivered(bot_api) == collections.Counter(EXPECTED)
    # Discovery ran twice (the first run and the one that waited), not three times.
    assert sample_outlets.requests("wp")["/feed/atom/"] == 2


def test_kill_9_at_any_point_loses_nothing_and_repeats_at_most_one_message_per_kill(
    workspace: Workspace, sample_outlets: SampleOutlets, bot_api: FakeBotApi, telegram_env
) -> None:
    workspace.write_config(sample_outlets.outlets_config(), WATCHLISTS)
    wp = sample_outlets.sites["wp"]
    statecraft = sample_outlets.sites["statecraft"]
    kills = 0
    runs: list[subprocess.Popen[str]] = []

    # 1. Mid-crawl: article pages are slow; killed once two of them were answered.
    statecraft.override = _slow_articles
    run = _start(workspace, "run-once", **telegram_env)
    runs.append(run)
    _kill_when(run, lambda: _article_answers(statecraft) >= 2)
    kills += 1
    statecraft.override = None

    # 2. Mid-delivery, the message on the wire (Telegram has not accepted it yet). The lock of
    # the killed run is free at once: --wait 0.
    bot_api.delay_next("sendMessage", 5)
    calls = len(bot_api.calls("sendMessage"))
    run = _start(workspace, "run-once", "--wait", "0", **telegram_env)
    runs.append(run)
    _kill_when(run, lambda: len(bot_api.calls("sendMessage")) > calls)
    kills += 1

    # 3. Mid-delivery, right after Telegram accepted messages (the window where one may repeat).
    sent = len(bot_api.sent)
    run = _start(workspace, "run-once", "--wait", "0", **telegram_env)
    runs.append(run)
    _kill_when(run, lambda: len(bot_api.sent) >= sent + 2)
    kills += 1

    # 4. Mid-match: new articles arrive; killed just after their pages were fetched.
    new_titles = {"Strike number 1 on Iraq", "Strike number 2 on Iraq"}
    for n, title in enumerate(sorted(new_titles)):
        sample_outlets.publish(_new_article("wp", f"strike-{n}", title, body=n))
    answered = _article_answers(wp)
    run = _start(workspace, "run-once", "--wait", "0", **telegram_env)
    runs.append(run)
    _kill_when(run, lambda: _article_answers(wp) >= answered + 2)
    kills += 1

    # 5. Timed kills, a bounded number of trials, counted from the run's first request.
    for delay in (0.2, 0.8, 1.5):
        asked = sum(sample_outlets.requests("wix").values())
        run = _start(workspace, "run-once", "--wait", "0", **telegram_env)
        runs.append(run)
        _wait_for(lambda: sum(sample_outlets.requests("wix").values()) > asked)  # noqa: B023
        time.sleep(delay)
        if run.poll() is None:
            run.kill()
            run.wait(timeout=30)
            kills += 1

    final = workspace.run("run-once", "--wait", "0", **telegram_env)

    assert final.returncode == 0, final.stderr
    expected = EXPECTED | {(c, t) for c in (PRIVATE, GROUP, WP_ONLY) for t in new_titles}
    delivered = _delivered(bot_api)
    db = sqlite3.connect(workspace.root / "newsradar.db")
    state = (
        db.execute("select id, title, alertable, matched_at is not null from articles").fetchall(),
        db.execute(
            "select article_id, chat_id, status, claimed_by, last_error from outbox"
        ).fetchall(),
        db.execute("select url, etag from discovery_cache").fetchall(),
        final.stderr[-3000:],
        [_output(p)[-1500:] for p in runs],
    )
    assert set(delivered) == expected, state
    repeats = collections.Counter()
    for (chat, _), count in delivered.items():
        repeats[chat] += count - 1
    # Sends go chat by chat, one at a time per chat: a kill can repeat one message per chat.
    assert all(n <= kills for n in repeats.values()), (repeats, kills)
    assert db.execute("pragma integrity_check").fetchone() == ("ok",)
    titles = [t for (t,) in db.execute("select title from articles")]
    assert sorted(titles) == sorted({a.title for a in SAMPLE_ARTICLES} | new_titles)
    assert db.execute("select count(*) from articles where matched_at is null").fetchone() == (0,)
    statuses = db.execute("select status, count(*) from outbox group by status").fetchall()
    assert statuses == [("sent", len(expected))]
