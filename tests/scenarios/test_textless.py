"""Pages without article text (a video page in the feed, an error page served with 200), crawled
by the real `newsradar run-once`: fetched again only when due, so they lose nothing, and no longer
re-read on every run together with their outlet's whole feed.
"""

from __future__ import annotations

import hashlib
import html
import random
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from newsradar.database.article_store import TEXTLESS_RETRY
from tests.support.hostile import HostileHandler, HostileSite, article_html, page
from tests.support.sample_watchlists import WATCHLISTS as ALL_WATCHLISTS
from tests.support.workspace import Workspace

WATCHLISTS = [w for w in ALL_WATCHLISTS if "outlets" not in w]
WORDS = (
    "parliament", "budget", "oil", "revenue", "session", "deputies", "region", "speaker", "vote",
    "delay", "ministry", "council", "province", "border", "trade", "tariff", "election", "court",
    "ruling", "governor", "protest", "strike", "union", "harbour", "grain", "drought", "river",
    "dam", "power", "grid", "outage", "contract", "tender", "audit", "bank", "currency", "reserve",
    "loan", "bond", "inflation", "wage", "pension", "hospital", "school", "road", "bridge",
)  # fmt: skip
VIDEO_PAGE = (
    "<!DOCTYPE html><html><head><title>Watch: the Baghdad briefing</title></head><body>"
    '<main><h1>Watch: the Baghdad briefing</h1><video src="/clip.mp4" controls></video>'
    "<p>Video, 3 min.</p></main></body></html>"
)
CLIP = "/news/watch-the-briefing"


def story(number: int) -> str:
    """An article page whose text shares nothing with any other number's (no near duplicates)."""
    rng = random.Random(number)
    paragraphs = [" ".join(rng.choices(WORDS, k=45)).capitalize() + "." for _ in range(3)]
    return article_html(f"Report {number}: {' '.join(rng.choices(WORDS, k=5))}", paragraphs)


class Outlet:
    """One outlet with a feed that answers 304 to its own ETag; its items can change."""

    def __init__(self) -> None:
        self.links = ["/news/story-1", CLIP]
        self.site = HostileSite(
            "127.0.0.70",
            {
                "/feed.xml": self.feed,
                "/news/story-1": page(story(1)),
                CLIP: page(VIDEO_PAGE),
            },
        )

    def feed(self, handler: HostileHandler) -> None:
        items = "".join(
            f"<item><title>Item {i}</title><link>{html.escape(self.site.url(link))}</link></item>"
            for i, link in enumerate(self.links)
        )
        body = f'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>{items}'
        body += "</channel></rss>"
        etag = '"' + hashlib.sha1(body.encode()).hexdigest()[:12] + '"'
        if handler.headers.get("If-None-Match") == etag:
            handler.reply(304, content_type=None, headers={"ETag": etag})
        else:
            handler.reply(200, body.encode(), "application/rss+xml", {"ETag": etag})

    def publish(self, number: int) -> None:
        path = f"/news/story-{number}"
        self.site.routes[path] = page(story(number))
        self.links.insert(0, path)

    def config(self) -> list[dict[str, object]]:
        return [
            {
                "id": "ministry",
                "name": "Ministry news",
                "feeds": [self.site.url("/feed.xml")],
                "article_url_pattern": "/news/",
            }
        ]


@pytest.fixture
def outlet() -> Iterator[Outlet]:
    made = Outlet()
    with made.site:
        yield made


def run_once(workspace: Workspace) -> str:
    result = workspace.run("run-once", "-v", timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stderr


def rows(database: Path, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(database) as connection:
        return connection.execute(sql).fetchall()


def make_due(database: Path) -> None:
    """As if the wait before the next fetch were over."""
    past = (datetime.now(UTC) - timedelta(minutes=1)).strftime("%Y-%m-%d %H:%M:%S.%f")
    with sqlite3.connect(database) as connection:
        connection.execute("UPDATE textless_pages SET retry_after = ?", (past,))


def test_a_page_without_text_is_fetched_again_only_when_due(
    workspace: Workspace, outlet: Outlet
) -> None:
    workspace.write_config(outlet.config(), WATCHLISTS)
    database = workspace.root / "newsradar.db"

    report = run_once(workspace)
    assert "1 pages without text" in report
    assert outlet.site.requests()[CLIP] == 1
    ((attempts, retry_after),) = rows(database, "SELECT attempts, retry_after FROM textless_pages")
    assert attempts == 1
    due = datetime.fromisoformat(retry_after).replace(tzinfo=UTC) - datetime.now(UTC)
    assert TEXTLESS_RETRY[0] - timedelta(minutes=5) < due <= TEXTLESS_RETRY[0]

    # Every new page was dealt with, so the feed is asked with its validators: a 304, no pages.
    before = outlet.site.requests()
    run_once(workspace)
    fetched = outlet.site.requests() - before
    assert fetched == {"/feed.xml": 1}

    # The feed changes: the new story is read, the page without text is not due yet.
    outlet.publish(2)
    before = outlet.site.requests()
    run_once(workspace)
    fetched = outlet.site.requests() - before
    assert fetched == {"/feed.xml": 1, "/news/story-2": 1}

    # Due, listed again, and by now the page has its text: nothing was lost.
    make_due(database)
    outlet.site.routes[CLIP] = page(story(9))
    outlet.publish(3)
    run_once(workspace)
    assert outlet.site.requests()[CLIP] == 2
    stored = {url.rsplit("/", 1)[1] for (url,) in rows(database, "SELECT url FROM articles")}
    assert stored == {"story-1", "story-2", "story-3", "watch-the-briefing"}


def test_a_page_that_never_has_text_counts_as_seen_after_its_last_try(
    workspace: Workspace, outlet: Outlet
) -> None:
    workspace.write_config(outlet.config(), WATCHLISTS)
    database = workspace.root / "newsradar.db"
    run_once(workspace)
    for number in range(2, 2 + len(TEXTLESS_RETRY)):
        make_due(database)
        outlet.publish(number)  # the feed changes, so the page is listed again
        run_once(workspace)
    assert outlet.site.requests()[CLIP] == 1 + len(TEXTLESS_RETRY)
    assert rows(database, "SELECT url FROM textless_pages") == []
    seen = rows(database, "SELECT article_id FROM seen_urls WHERE url LIKE '%watch-the-briefing'")
    assert seen == [(None,)]

    outlet.publish(10)
    run_once(workspace)
    assert outlet.site.requests()[CLIP] == 1 + len(TEXTLESS_RETRY)
    assert rows(database, "SELECT count(*) FROM articles") == [(1 + len(TEXTLESS_RETRY) + 1,)]
