"""End to end: `newsradar run-once` crawls local outlets and alerts through a local Bot API server.

Everything is real: the installed command in its own process, Scrapy over HTTP, trafilatura, a
SQLite file, and python-telegram-bot talking HTTP to the Bot API server.
"""

from __future__ import annotations

import sqlite3
from datetime import timedelta

from newsradar.demo.content import SampleArticle
from newsradar.demo.server import SampleOutlets
from tests.support.botapi import FakeBotApi
from tests.support.sample_watchlists import (
    GROUP,
    IRAQ_ALERTS,
    PRIVATE,
    UKRAINE_READER,
    WATCHLISTS,
    WP_ONLY,
)
from tests.support.sample_watchlists import alert_titles as _titles
from tests.support.workspace import Workspace

BACK_CATALOGUE = {
    "Can Escalation be Prevented in Iraq?",
    "Water scarcity and stability in southern Iraq",
}


def _setup(workspace: Workspace, outlets: SampleOutlets) -> None:
    workspace.write_config(outlets.outlets_config(), WATCHLISTS)


def test_first_run_alerts_new_matches_once_and_nothing_from_back_catalogue(
    workspace: Workspace, sample_outlets: SampleOutlets, bot_api: FakeBotApi, telegram_env
) -> None:
    _setup(workspace, sample_outlets)

    result = workspace.run("run-once", **telegram_env)

    assert result.returncode == 0, result.stderr
    for chat in (PRIVATE, GROUP):
        titles = _titles(bot_api, chat)
        assert sorted(titles) == sorted(IRAQ_ALERTS), f"chat {chat}: {titles}"
        assert not BACK_CATALOGUE & set(titles)
    assert _titles(bot_api, UKRAINE_READER) == [
        "Biden's landmine reversal for Ukraine: big risk, little reward"
    ]
    # A watchlist limited to one outlet alerts only that outlet's articles.
    assert _titles(bot_api, WP_ONLY) == ["The attack on US troops in Iraq, explained"]

    # The alert format: escaped title as a link, outlet, watchlist, terms, bold snippet.
    message = next(m["text"] for m in bot_api.messages_to(PRIVATE) if "Militias" in m["text"])
    assert "Militias &lt;and&gt; the &quot;A&amp;B&quot; of Iraq strikes</a>" in message
    assert "<a href=" in message
    assert "Responsible Statecraft (sample)" in message
    assert "US-Iraq escalation" in message
    assert "<b>" in message
    assert all(m["parse_mode"] == "HTML" for m in bot_api.messages_to(PRIVATE))

    # The same article under a second URL was fetched, recognised and stored once.
    requests = sample_outlets.requests("statecraft")
    assert any(path.startswith("/qiosk/") for path in requests), requests
    db = sqlite3.connect(workspace.root / "newsradar.db")
    (stored,) = db.execute(
        "select count(*) from articles where title like 'US strikes in Iraq show risk%'"
    ).fetchone()
    assert stored == 1
    (undelivered,) = db.execute("select count(*) from outbox where status != 'sent'").fetchone()
    assert undelivered == 0


def test_second_run_sends_nothing_and_a_new_article_alerts_once(
    workspace: Workspace, sample_outlets: SampleOutlets, bot_api: FakeBotApi, telegram_env
) -> None:
    _setup(workspace, sample_outlets)
    assert workspace.run("run-once", **telegram_env).returncode == 0
    first = len(bot_api.sent)
    article_requests = sum(sample_outlets.requests("wp").values())

    again = workspace.run("run-once", **telegram_env)

    assert again.returncode == 0, again.stderr
    assert len(bot_api.sent) == first
    # Known article URLs are not fetched again: only robots.txt and discovery were asked for.
    wp_paths = [p for p in sample_outlets.requests("wp") if p.startswith("/20")]
    assert all(sample_outlets.requests("wp")[p] == 1 for p in wp_paths)
    assert sum(sample_outlets.requests("wp").values()) > article_requests  # discovery ran

    sample_outlets.publish(
        SampleArticle(
            outlet="wp",
            slug="militia-drone-strike-erbil",
            title="A militia drone strike near Erbil, explained",
            dek="What the latest attack on US forces in Iraq means.",
            author="Ellen Ioanes",
            age=timedelta(minutes=10),
            paragraphs=(
                "A drone launched by an Iraqi militia struck a base near Erbil on Sunday, the "
                "latest in a string of attacks on US forces in Iraq since the autumn.",
                "Officials said nobody was hurt, but the strike shows how quickly the conflict "
                "could widen if Washington answers with force of its own.",
                "The militia behind it has claimed several earlier attacks on coalition bases.",
            ),
        )
    )
    third = workspace.run("run-once", **telegram_env)

    assert third.returncode == 0, third.stderr
    new = bot_api.sent[first:]
    assert sorted(m["chat_id"] for m in new) == sorted([PRIVATE, GROUP, WP_ONLY])
    assert all("A militia drone strike near Erbil" in m["text"] for m in new)


def test_telegram_errors_delay_but_never_lose_alerts(
    workspace: Workspace, sample_outlets: SampleOutlets, bot_api: FakeBotApi, telegram_env
) -> None:
    _setup(workspace, sample_outlets)
    bot_api.fail_next("sendMessage", status=429, description="Too Many Requests", retry_after=1)
    bot_api.fail_next(
        "sendMessage",
        status=403,
        description="Forbidden: bot was blocked by the user",
        chat_id=UKRAINE_READER,
    )
    bot_api.fail_next("sendMessage", status=502, description="Bad Gateway", times=2)

    result = workspace.run("run-once", **telegram_env)

    assert result.returncode == 0, result.stderr
    for chat in (PRIVATE, GROUP):
        assert sorted(_titles(bot_api, chat)) == sorted(IRAQ_ALERTS)
    assert _titles(bot_api, UKRAINE_READER) == []
    db = sqlite3.connect(workspace.root / "newsradar.db")
    assert db.execute("select gone from chats where chat_id = ?", (UKRAINE_READER,)).fetchone() == (
        1,
    )
    assert db.execute(
        "select status from outbox where chat_id = ?", (UKRAINE_READER,)
    ).fetchall() == [("held",)]


def test_alerts_wait_in_the_outbox_while_telegram_is_down(
    workspace: Workspace, sample_outlets: SampleOutlets, bot_api: FakeBotApi, telegram_env
) -> None:
    _setup(workspace, sample_outlets)
    down = {**telegram_env, "NEWSRADAR_TELEGRAM_API_URL": "http://127.0.0.1:9"}

    result = workspace.run("run-once", **down)

    assert result.returncode == 0, result.stderr
    assert telegram_env["NEWSRADAR_TELEGRAM_TOKEN"] not in result.stderr + result.stdout
    db = sqlite3.connect(workspace.root / "newsradar.db")
    (pending,) = db.execute("select count(*) from outbox where status = 'pending'").fetchone()
    assert pending == len(IRAQ_ALERTS) * 2 + 2

    recovered = workspace.run("run-once", **telegram_env)

    assert recovered.returncode == 0, recovered.stderr
    assert sorted(_titles(bot_api, PRIVATE)) == sorted(IRAQ_ALERTS)
    assert len(bot_api.sent) == pending


def test_without_a_token_alerts_are_printed(
    workspace: Workspace, sample_outlets: SampleOutlets
) -> None:
    _setup(workspace, sample_outlets)

    result = workspace.run("run-once")

    assert result.returncode == 0, result.stderr
    for title in IRAQ_ALERTS:
        assert title in result.stdout
    assert result.stdout.count("Cornered in Iraq\n") == 2  # two chats on the watchlist
    for title in BACK_CATALOGUE:
        assert title not in result.stdout


def test_a_broken_outlet_is_reported_and_the_others_go_on(
    workspace: Workspace, sample_outlets: SampleOutlets
) -> None:
    outlets = sample_outlets.outlets_config()
    outlets.append(
        {
            "id": "gone",
            "name": "Gone Outlet",
            "feeds": ["http://127.0.0.1:9/feed.xml"],
            "listing_pages": ["http://127.0.0.1:9/"],
        }
    )
    workspace.write_config(outlets, WATCHLISTS, crawl={"timeout": "3s"})

    result = workspace.run("run-once")

    assert result.returncode == 0, result.stderr
    assert "gone" in result.stderr and "failed" in result.stderr.lower()
    assert "Cornered in Iraq" in result.stdout
    status = workspace.run("status")
    assert status.returncode == 0
    gone = next(line for line in status.stdout.splitlines() if line.startswith("gone"))
    assert "never" not in gone and gone.split()[-1] == "1"  # one consecutive failure


def test_invalid_config_exits_2_and_names_the_line(workspace: Workspace) -> None:
    workspace.write_config(
        [{"id": "x", "name": "X", "feeds": ["http://127.0.0.1:9/feed"]}],
        [{"id": "w", "title": "W", "query": '"unbalanced', "chats": [1]}],
    )

    result = workspace.run("run-once")

    assert result.returncode == 2
    assert "watchlists.yaml:" in result.stderr
    assert "quote" in result.stderr.lower()
