"""Unattended `run-once`: conditional GET, a bounded seen-URL store, and outlet health alerts.

Real processes throughout: the installed command against the sample outlets over HTTP and, for
operator notices, python-telegram-bot talking to the local Bot API server.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta

from newsradar.demo.server import Response, SampleOutlets, SampleSite
from tests.support.botapi import FakeBotApi
from tests.support.sample_articles import new_article as _new_article
from tests.support.sample_watchlists import IRAQ_ALERTS, WATCHLISTS
from tests.support.workspace import Workspace

OPERATOR = 4242
DISCOVERY = {
    "statecraft": {"/", "/feeds/feed.rss", "/robots.txt"},
    "wp": {"/feed/atom/", "/sitemap_index.xml", "/post-sitemap.xml", "/news-sitemap.xml",
           "/page-sitemap.xml", "/category-sitemap.xml", "/post_tag-sitemap.xml",
           "/author-sitemap.xml", "/robots.txt"},
    "wix": {"/blog", "/robots.txt"},
}  # fmt: skip


def _db(workspace: Workspace) -> sqlite3.Connection:
    return sqlite3.connect(workspace.root / "newsradar.db")


def _stamp(when: datetime) -> str:
    """A time as SQLAlchemy stores it in SQLite."""
    return when.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def _ok(result) -> None:  # type: ignore[no-untyped-def]
    assert result.returncode == 0, result.stderr


# --- conditional GET ---------------------------------------------------------------------------
def test_an_unchanged_cycle_fetches_only_discovery_urls_and_gets_304s(
    workspace: Workspace, sample_outlets: SampleOutlets
) -> None:
    sample_outlets.sites["wix"].send_etags = False  # this one has only Last-Modified
    workspace.write_config(sample_outlets.outlets_config(), WATCHLISTS)
    _ok(workspace.run("run-once"))
    before = {o: s.statuses() for o, s in sample_outlets.sites.items()}

    again = workspace.run("run-once")

    _ok(again)
    assert "Cornered in Iraq" not in again.stdout
    for outlet_id, site in sample_outlets.sites.items():
        new = site.statuses() - before[outlet_id]
        assert {path for path, _ in new} <= DISCOVERY[outlet_id], (outlet_id, new)
        assert ("/robots.txt", 200) not in new  # kept from the first run for a day
        not_modified = {path for path, status in new if status == 304}
        # Every feed, sitemap and listing page answered 304; a sitemap index is always read,
        # since its children are what may have changed.
        expected = DISCOVERY[outlet_id] - {"/robots.txt", "/sitemap_index.xml"}
        assert not_modified == expected, (outlet_id, new)
    headers = _db(workspace).execute("select url, etag, last_modified from discovery_cache")
    cache = {url: (etag, modified) for url, etag, modified in headers}
    wix_blog = sample_outlets.sites["wix"].base_url + "/blog"
    assert cache[wix_blog][0] is None and cache[wix_blog][1]  # If-Modified-Since did it

    # Something new: the feed changes, is parsed again, and only the new article is fetched.
    article = _new_article("wp", "drone-strike-near-erbil", "A drone strike near Erbil")
    path = sample_outlets.publish(article).removeprefix(sample_outlets.sites["wp"].base_url)
    before = sample_outlets.sites["wp"].statuses()

    third = workspace.run("run-once")

    _ok(third)
    new = sample_outlets.sites["wp"].statuses() - before
    assert new[("/feed/atom/", 200)] == 1
    assert {p for p, _ in new} - DISCOVERY["wp"] == {path}
    assert third.stdout.count("A drone strike near Erbil\n") == 3  # three chats watch it

    # A day later, robots.txt is read again.
    db = _db(workspace)
    db.execute("update robots_cache set fetched_at = datetime('now', '-25 hours')")
    db.commit()
    before = sample_outlets.sites["wp"].statuses()
    _ok(workspace.run("run-once"))
    assert (sample_outlets.sites["wp"].statuses() - before)[("/robots.txt", 200)] == 1


# --- the seen-URL store ------------------------------------------------------------------------
def test_seen_urls_refresh_when_listed_expire_when_not_and_never_alert_again(
    workspace: Workspace, sample_outlets: SampleOutlets
) -> None:
    workspace.write_config(
        sample_outlets.outlets_config(), WATCHLISTS, crawl={"seen_url_ttl": "30d"}
    )
    first = workspace.run("run-once")
    _ok(first)
    assert all(title in first.stdout for title in IRAQ_ALERTS)
    db = _db(workspace)
    (articles,) = db.execute("select count(*) from articles").fetchone()
    wp_seen = {url for (url,) in db.execute("select url from seen_urls where outlet_id = 'wp'")}
    assert wp_seen and db.execute(
        "select count(*) from seen_urls where last_seen is null"
    ).fetchone() == (0,)

    # Forty days pass. wp's sources change (so they list their URLs again); the others do not.
    old = _stamp(datetime.now(UTC) - timedelta(days=40))
    with db:
        db.execute("update seen_urls set first_seen = ?, last_seen = ?", (old, old))
        db.execute("delete from discovery_cache where outlet_id = 'wp'")

    second = workspace.run("run-once")

    _ok(second)
    rows = dict(db.execute("select url, last_seen from seen_urls"))
    assert set(rows) == wp_seen  # statecraft and wix were not listed: forgotten
    assert all(last_seen > old for last_seen in rows.values())  # wp's were refreshed
    assert not any(title in second.stdout for title in IRAQ_ALERTS)

    # Statecraft lists its expired URLs again: fetched once more, recognised, no alert.
    with db:
        db.execute("delete from discovery_cache where outlet_id = 'statecraft'")
    before = sample_outlets.sites["statecraft"].requests()

    third = workspace.run("run-once")

    _ok(third)
    fetched = sample_outlets.sites["statecraft"].requests() - before
    assert any(path.startswith("/20") for path in fetched), fetched
    assert not any(title in third.stdout for title in IRAQ_ALERTS), third.stdout
    assert db.execute("select count(*) from articles").fetchone() == (articles,)
    (statecraft_seen,) = db.execute(
        "select count(*) from seen_urls where outlet_id = 'statecraft'"
    ).fetchone()
    assert statecraft_seen > 0


# --- outlet health -----------------------------------------------------------------------------
def _fail_everything(site: SampleSite, path: str) -> Response | None:
    return Response("<html><body>Internal Server Error</body></html>", status=500)


def _script_only_articles(site: SampleSite, path: str) -> Response | None:
    """A redesign that renders articles with JavaScript: the HTML holds no article text."""
    if path.startswith("/20"):
        return Response(
            "<html><head><title>Loading</title></head><body><nav><a href='/'>Home</a></nav>"
            "<div id='app'></div><script src='/app.js'></script></body></html>"
        )
    return None


def _notices(workspace: Workspace) -> list[tuple[int, str]]:
    rows = _db(workspace).execute(
        "select chat_id, payload from outbox where kind = 'notice' order by id"
    )
    return [(chat_id, json.loads(payload)["text"]) for chat_id, payload in rows]


def test_operators_hear_once_when_an_outlet_breaks_and_once_when_it_recovers(
    workspace: Workspace, sample_outlets: SampleOutlets, bot_api: FakeBotApi, telegram_env
) -> None:
    workspace.write_config(sample_outlets.outlets_config(), WATCHLISTS, crawl={"timeout": "5s"})
    env = {**telegram_env, "NEWSRADAR_OPERATOR_CHATS": str(OPERATOR)}
    wp = sample_outlets.sites["wp"]
    _ok(workspace.run("run-once", **env))
    assert _notices(workspace) == []

    wp.override = _fail_everything
    for _ in range(2):
        _ok(workspace.run("run-once", **env))
    assert _notices(workspace) == []  # two failures: not yet
    third = workspace.run("run-once", **env)
    _ok(third)
    (failing,) = _notices(workspace)
    assert failing[0] == OPERATOR
    assert "<code>wp</code>" in failing[1] and wp.name in failing[1]
    assert "3 runs in a row" in failing[1] and "HTTP 500" in failing[1]
    assert "Outlet failing" in third.stderr  # logged too, with or without operator chats
    _ok(workspace.run("run-once", **env))
    assert len(_notices(workspace)) == 1  # still failing: nothing new

    status = workspace.run("status", **env)
    wp_line = next(line for line in status.stdout.splitlines() if line.startswith("wp "))
    assert wp_line.split()[-1] == "4" and "failing" in wp_line

    # Back up, but the redesigned article pages no longer hold article text.
    wp.override = _script_only_articles
    for n in (1, 2):
        sample_outlets.publish(
            _new_article("wp", f"strike-{n}", f"Strike number {n} on Iraq", body=n - 1)
        )
    _ok(workspace.run("run-once", **env))
    texts = [text for _, text in _notices(workspace)]
    assert len(texts) == 3, texts
    assert "Outlet recovered" in texts[1] and "<code>wp</code>" in texts[1]
    assert "no article text" in texts[2] and "<code>wp</code>" in texts[2]
    _ok(workspace.run("run-once", **env))
    assert len(_notices(workspace)) == 3  # still broken: nothing new

    wp.override = None
    fixed = workspace.run("run-once", **env)
    _ok(fixed)
    texts = [text for _, text in _notices(workspace)]
    assert len(texts) == 4, texts
    assert "Article text is back" in texts[3] and "<code>wp</code>" in texts[3]
    alerts = " ".join(m["text"] for m in bot_api.sent)
    assert "Strike number 1 on Iraq" in alerts and "Strike number 2 on Iraq" in alerts
    db = _db(workspace)
    (failures,) = db.execute(
        "select extraction_failures_total from outlet_health where outlet_id = 'wp'"
    ).fetchone()
    assert failures >= 4  # two pages, two runs
    # The notices reached the operator chat, each once (delivery of kind="notice" rows).
    operator_texts = [m["text"] for m in bot_api.messages_to(OPERATOR)]
    assert operator_texts == texts
