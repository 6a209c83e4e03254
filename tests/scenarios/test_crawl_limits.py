"""Limits that keep one hostile outlet to itself: robots.txt read up to 500 KiB and obeyed even
when it is huge or broken, redirect and meta-refresh loops reported as the page's error, stored
text capped, and no page body in the log.

All hostile outlets share one `run-once -v` (each on its own loopback address); the crawl's
maximum page size is 1 MB, so a 2 MB robots.txt is larger than any page the crawl reads.
"""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Iterator

import pytest

from newsradar.database.article_store import MAX_TEXT_CHARS, TRUNCATION_MARK
from tests.support import hostile
from tests.support.hostile import (
    Behaviour,
    HostileRun,
    HostileSite,
    article_html,
    listing_html,
    page,
)
from tests.support.workspace import Workspace

WORDS = [
    "Iraq",
    "militia",
    "border",
    "coalition",
    "talks",
    "Baghdad",
    "diplomats",
    "strike",
    "drone",
    "council",
    "tribal",
    "road",
    "checkpoint",
    "convoy",
    "ministry",
    "parliament",
    "budget",
    "oil",
    "refinery",
    "pipeline",
    "election",
    "envoy",
    "patrol",
    "river",
    "dam",
    "province",
    "governor",
    "army",
    "brigade",
    "ceasefire",
    "sanctions",
    "embassy",
]


def story(tag: str) -> list[str]:
    """Paragraphs of its own for each page, so that no two pages are the same article."""
    rng = random.Random(tag)
    return [" ".join(rng.choice(WORDS) for _ in range(40)) + "." for _ in range(3)]


def article(title: str) -> Behaviour:
    return page(article_html(title, story(title)))


RULES = "User-agent: *\nDisallow: /news/private\n"
# A robots.txt of 2 MB: its rules first, then comments (with and without a length).
HUGE_ROBOTS = RULES + "# padding padding padding padding padding padding padding\n" * 36_000
BODY_MARK = "PAGEBODYMARK"


def refresh_to(target: str) -> Behaviour:
    """An article page that also asks, at once, to be loaded from ``target``."""
    html = article_html(f"Iraq refreshed {target}", story(target)).replace(
        "<head>", f'<head><meta http-equiv="refresh" content="0; url={target}">'
    )
    return page(html)


def robots_outlet(robots: Behaviour, tag: str) -> dict[str, Behaviour]:
    return {
        "/robots.txt": robots,
        "/": page(listing_html(["/news/private-story", "/news/open-story"])),
        "/news/private-story": article(f"Iraq private {tag}"),
        "/news/open-story": article(f"Iraq open {tag}"),
    }


def endless_robots(handler: hostile.HostileHandler) -> None:
    """The huge robots.txt again, without a Content-Length."""
    handler.send_response(200)
    handler.send_header("Content-Type", "text/plain")
    handler.send_header("Connection", "close")
    handler.end_headers()
    handler.wfile.write(HUGE_ROBOTS.encode())


def long_text() -> str:
    """About 700,000 characters of text, in paragraphs that all differ."""
    lead = "Militia commanders met tribal leaders in Sinjar to discuss the checkpoints."
    rng = random.Random(7)
    paragraphs = [" ".join(rng.choice(WORDS) for _ in range(250)) for _ in range(400)]
    return article_html("Iraq at length", [lead, *paragraphs])


OUTLETS: dict[str, dict[str, Behaviour]] = {
    "robots-huge": robots_outlet(page(HUGE_ROBOTS, "text/plain"), "robots-huge"),
    "robots-endless": robots_outlet(endless_robots, "robots-endless"),
    "robots-500": robots_outlet(page("oops", "text/plain", status=500), "robots-500"),
    "robots-reset": robots_outlet(hostile.reset, "robots-reset"),
    "robots-binary": robots_outlet(
        page(hostile.random_bytes(4_000), "text/plain"), "robots-binary"
    ),
    "robots-missing": robots_outlet(hostile.not_found, "robots-missing"),
    "refresh-self": {
        "/": page(listing_html(["/news/self"])),
        "/news/self": refresh_to("/news/self"),
    },
    "refresh-pair": {
        "/": page(listing_html(["/news/a"])),
        "/news/a": refresh_to("/news/b"),
        "/news/b": refresh_to("/news/a"),
    },
    "long-text": {
        "/": page(listing_html(["/news/long", "/news/empty"])),
        "/news/long": page(long_text()),
        "/news/empty": page(f"<html><head><script>x='{BODY_MARK * 2000}'</script></head></html>"),
    },
}


@pytest.fixture(scope="module")
def outcome(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HostileRun]:
    workspace = Workspace(tmp_path_factory.mktemp("limits"))
    sites = {
        outlet_id: HostileSite(f"127.0.0.{number}", routes).start()
        for number, (outlet_id, routes) in enumerate(OUTLETS.items(), start=40)
    }
    try:
        workspace.write_config(
            [
                {
                    "id": outlet_id,
                    "name": f"Hostile {outlet_id}",
                    "listing_pages": [site.url("/")],
                    "article_url_pattern": "/news/",
                }
                for outlet_id, site in sites.items()
            ],
            [{"id": "iraq", "title": "Iraq", "query": "Iraq", "chats": [1]}],
            crawl={"timeout": "3s", "max_page_mb": 1},
        )
        result = workspace.run("run-once", "-v", timeout=120)
    finally:
        for site in sites.values():
            site.stop()
    assert result.returncode == 0, result.stderr
    yield HostileRun(result.stderr, result.stdout, workspace.root / "newsradar.db", sites)


@pytest.mark.parametrize("outlet_id", ["robots-huge", "robots-endless"])
def test_a_huge_robots_txt_is_read_up_to_500_kib_and_obeyed(
    outcome: HostileRun, outlet_id: str
) -> None:
    fetched = outcome.sites[outlet_id].requests()
    assert fetched["/news/private-story"] == 0, fetched
    assert fetched["/news/open-story"] == 1, fetched
    assert outcome.titles(outlet_id) == {f"Iraq open {outlet_id}"}


@pytest.mark.parametrize(
    ("outlet_id", "reason"),
    [("robots-500", "HTTP 500"), ("robots-reset", "robots.txt"), ("robots-binary", "robots.txt")],
)
def test_an_unreadable_robots_txt_is_reported_and_nothing_is_fetched(
    outcome: HostileRun, outlet_id: str, reason: str
) -> None:
    fetched = outcome.sites[outlet_id].requests()
    assert not any(path.startswith("/news/") for path in fetched), fetched
    line = outcome.report(outlet_id)
    assert "FAILED" in line and "robots.txt unreadable" in line and reason in line, line


def test_a_missing_robots_txt_allows_everything(outcome: HostileRun) -> None:
    assert outcome.titles("robots-missing") == {
        "Iraq open robots-missing",
        "Iraq private robots-missing",
    }


@pytest.mark.parametrize("outlet_id", ["refresh-self", "refresh-pair"])
def test_a_meta_refresh_loop_is_the_pages_error(outcome: HostileRun, outlet_id: str) -> None:
    line = outcome.report(outlet_id)
    assert "FAILED" in line and "meta refresh loop" in line, line
    assert outcome.titles(outlet_id) == set()


def test_stored_text_is_capped_and_marked(outcome: HostileRun) -> None:
    with sqlite3.connect(outcome.db) as db:
        (text,) = db.execute("select text from articles where outlet_id = 'long-text'").fetchone()
    assert len(text) <= MAX_TEXT_CHARS + len(TRUNCATION_MARK)
    assert text.endswith(TRUNCATION_MARK)
    assert text.startswith("Militia commanders met tribal leaders")


def test_no_page_body_in_the_log(outcome: HostileRun) -> None:
    assert "1 pages without text" in outcome.report("long-text")
    assert BODY_MARK not in outcome.stderr
    assert "Militia commanders met" not in outcome.stderr
