"""Outlets that fail in every way a real one can, crawled by the real `newsradar run-once` next to
the three sample outlets: each fault is reported against its outlet and skipped, and the sample
outlets' articles are stored and alerted exactly as in a run without the hostile ones.

All hostile outlets share one run (each on its own loopback address, with one fault each) so the
suite pays for the slowest fault once; the crawl time-out is 3 s.
"""

from __future__ import annotations

import html
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from newsradar.demo.server import SampleOutlets
from tests.support import hostile
from tests.support.hostile import HostileRun, HostileSite, article_html, listing_html, page
from tests.support.sample_watchlists import IRAQ_ALERTS, WATCHLISTS
from tests.support.workspace import Workspace

GOOD_OUTLETS = ("statecraft", "wp", "wix")
CRAWL = {"timeout": "3s", "max_page_mb": 8}
STORY = [
    "Iraq\u2019s government said on Monday that militia attacks on coalition bases had "
    "fallen since the spring, though officials in Baghdad warned the lull might not last.",
    "Analysts said the militias were regrouping and that a new strike on US forces could "
    "come at any time, dragging Washington deeper into the conflict.",
    "The caf\u00e9 owners of Karrada told reporters they had heard the drones overhead.",
]


@dataclass
class Fault:
    """One hostile outlet: what it serves and what its report must say."""

    outlet_id: str
    routes: dict[str, hostile.Behaviour]
    expect: tuple[str, ...]  # all of these in the outlet's report line (case-insensitive)
    sources: tuple[str, ...] = ("listing",)  # which of listing page, feed, sitemap it has
    site: HostileSite | None = field(default=None, repr=False)


def article_fault(outlet_id: str, behaviour: hostile.Behaviour, *expect: str) -> Fault:
    """An outlet whose listing page is fine but whose one article is hostile."""
    return Fault(
        outlet_id,
        {"/": page(listing_html(["/news/the-story"])), "/news/the-story": behaviour},
        expect,
    )


def faults() -> list[Fault]:
    latin1 = article_html("Iraq militias regroup", STORY).encode("cp1252")
    other = [
        STORY[0],
        "A second report from Basra said the militias had moved heavy weapons south, and that "
        "local councils feared being drawn into a fight that was not theirs.",
    ]
    unlabelled = article_html("Iraq militias move south", other).encode("cp1252")
    return [
        article_fault("timeout", hostile.stall(30), "timed out"),
        article_fault("reset", hostile.reset, "connection"),
        article_fault("http500", page("oops", status=500), "HTTP 500"),
        article_fault(
            "http503",
            page("busy", status=503, headers={"Retry-After": "3600"}),
            "HTTP 503",
        ),
        article_fault("redirect-loop", hostile.redirect("/news/the-story"), "redirect loop"),
        article_fault(
            "redirect-away", hostile.redirect("http://127.0.0.99:9/x"), "not one of the outlet's"
        ),
        article_fault("huge", hostile.endless(60), "cancelled"),
        article_fault(
            "gzip-bomb",
            page(
                hostile.gzip_bomb(200),
                headers={"Content-Encoding": "gzip"},
            ),
            "exceeded download_maxsize",
        ),
        article_fault("truncated", hostile.truncated, "dataloss"),
        article_fault(
            "pdf",
            page(b"%PDF-1.7\n" + hostile.random_bytes(50_000), "application/pdf"),
            "not an html page",
        ),
        article_fault("random-bytes", page(hostile.random_bytes(300_000)), "1 pages without text"),
        article_fault("empty", page(b""), "1 pages without text"),
        # Not faults to skip but pages to read: the story is stored whatever the label says.
        article_fault("wrong-charset", page(latin1, "text/html; charset=utf-8")),
        article_fault("no-charset", page(unlabelled, "text/html")),
        Fault(
            "not-xml-feed",
            {"/feed.xml": page(hostile.random_bytes(20_000), "application/rss+xml")},
            ("failed", "not a readable feed"),
            sources=("feed",),
        ),
        Fault(
            "sitemap-gzip-bomb",
            {"/sitemap.xml": page(hostile.gzip_bomb(200), "application/x-gzip")},
            ("failed", "bad gzip"),
            sources=("sitemap",),
        ),
        Fault(
            "malformed-links",
            {
                "/feed.xml": page(feed_with_links(BAD_LINKS), "application/rss+xml"),
                "/sitemap.xml": page(hostile.sitemap(BAD_LINKS), "application/xml"),
                "/": page(listing_html([*BAD_LINKS, "/news/the-story"])),
                "/news/the-story": page(article_html("Iraq militias and bad links", LINKS_STORY)),
            },
            (),  # the unusable links are dropped; the good one is read
            sources=("feed", "sitemap", "listing"),
        ),
    ]


LINKS_STORY = [
    "Militia commanders in northern Iraq met tribal leaders in Sinjar on Tuesday to discuss "
    "who should hold the checkpoints on the road to the Syrian border.",
    "Residents said the talks ended without agreement and that patrols by rival groups had "
    "doubled since the weekend.",
]
BAD_LINKS = [
    "http://[/news/x",
    "http://127.0.0.1:99999/news/x",
    "javascript:alert(1)",
    "mailto:news@example.org",
    "data:text/html,<p>news</p>",
]


def feed_with_links(links: list[str]) -> bytes:
    """An RSS feed whose newest items are unusable links, listed before the good one."""
    items = "".join(
        f"<item><title>Bad {i}</title><link>{html.escape(link)}</link>"
        f"<pubDate>Mon, 0{i + 1} Jan 2035 10:00:00 GMT</pubDate></item>"
        for i, link in enumerate(links)
    )
    good = "<item><title>Good</title><link>/news/the-story</link></item>"
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>{items}{good}'
        "</channel></rss>"
    ).encode()


def huge_discovery_faults() -> list[Fault]:
    many = [f"/news/{i}" for i in range(100_000)]
    return [
        Fault("big-sitemap", {}, ("200 new urls",), sources=("sitemap",)),
        Fault(
            "big-listing",
            {"/": page(listing_html(many[:10_000]))},
            ("200 new urls",),
        ),
    ]


def outlet_config(fault: Fault, site: HostileSite) -> dict[str, object]:
    sources: dict[str, list[str]] = {"feeds": [], "sitemaps": [], "listing_pages": []}
    for source in fault.sources:
        key = {"listing": "listing_pages", "feed": "feeds", "sitemap": "sitemaps"}[source]
        path = {"listing": "/", "feed": "/feed.xml", "sitemap": "/sitemap.xml"}[source]
        sources[key] = [site.url(path)]
    return {
        "id": fault.outlet_id,
        "name": f"Hostile {fault.outlet_id}",
        **sources,
        "article_url_pattern": "/news/",
    }


def run(workspace: Workspace, outlets: SampleOutlets, all_faults: list[Fault]) -> HostileRun:
    sites = {}
    try:
        for number, fault in enumerate(all_faults, start=20):
            sites[fault.outlet_id] = HostileSite(f"127.0.0.{number}", fault.routes).start()
        for outlet_id in ("big-sitemap", "big-listing"):
            if outlet_id in sites:  # quick empty pages: the crawl's pace is not on trial here
                sites[outlet_id].fallback = page(b"<html><body></body></html>")
        if "big-sitemap" in sites:
            site = sites["big-sitemap"]
            urls = [site.url(f"/news/{i}") for i in range(100_000)]
            site.routes["/sitemap.xml"] = page(hostile.sitemap(urls), "application/xml")
        config = outlets.outlets_config()
        config += [outlet_config(f, sites[f.outlet_id]) for f in all_faults]
        workspace.write_config(config, WATCHLISTS, crawl=CRAWL)
        started = time.monotonic()
        result = workspace.run("run-once", "-v", timeout=240)
        seconds = time.monotonic() - started
    finally:
        for site in sites.values():
            site.stop()
    assert result.returncode == 0, result.stderr
    return HostileRun(result.stderr, result.stdout, workspace.root / "newsradar.db", sites, seconds)


@pytest.fixture(scope="module")
def sample() -> Iterator[SampleOutlets]:
    with SampleOutlets() as outlets:
        yield outlets


@pytest.fixture(scope="module")
def baseline(sample: SampleOutlets, tmp_path_factory: pytest.TempPathFactory) -> HostileRun:
    """The sample outlets alone: what a complete crawl of them stores and alerts."""
    return run(Workspace(tmp_path_factory.mktemp("baseline")), sample, [])


@pytest.fixture(scope="module")
def hostile_run(sample: SampleOutlets, tmp_path_factory: pytest.TempPathFactory) -> HostileRun:
    return run(Workspace(tmp_path_factory.mktemp("hostile")), sample, faults())


def good_part(outcome: HostileRun) -> set[tuple[str, str]]:
    return {row for row in outcome.stored() if row[0] in GOOD_OUTLETS}


def test_the_sample_outlets_are_processed_completely(
    baseline: HostileRun, hostile_run: HostileRun
) -> None:
    expected = good_part(baseline)
    assert expected and good_part(hostile_run) == expected
    for title in IRAQ_ALERTS:
        assert hostile_run.stdout.count(title) == baseline.stdout.count(title) > 0, title
    for outlet_id in GOOD_OUTLETS:
        assert "FAILED" not in hostile_run.report(outlet_id)
    # The slowest fault (a stalled page, retried) bounds the run, not the sum of all faults.
    assert hostile_run.seconds < 90


@pytest.mark.parametrize("fault", faults(), ids=lambda f: f.outlet_id)
def test_each_fault_is_reported_against_its_outlet(hostile_run: HostileRun, fault: Fault) -> None:
    line = hostile_run.report(fault.outlet_id).lower()
    for expected in fault.expect:
        assert expected.lower() in line, line
    titles = {title for outlet_id, title in hostile_run.stored() if outlet_id == fault.outlet_id}
    if fault.expect:
        assert titles == set()
    else:
        assert "error" not in line, line


def test_mislabelled_charsets_are_still_read(hostile_run: HostileRun) -> None:
    with sqlite3.connect(hostile_run.db) as db:
        rows = dict(
            db.execute(
                "select outlet_id, text from articles where outlet_id like '%charset'"
            ).fetchall()
        )
    assert set(rows) == {"wrong-charset", "no-charset"}
    for text in rows.values():
        assert "militia attacks on coalition bases" in text
    # Without a label, the page's bytes are decoded as what they are.
    assert "Iraq\u2019s government" in rows["no-charset"]
    for title in ("Iraq militias regroup", "Iraq militias move south"):
        assert hostile_run.stdout.count(title) == 2  # the watchlist's two chats


def test_bounded_work_on_a_huge_sitemap_and_listing(sample: SampleOutlets, tmp_path: Path) -> None:
    outcome = run(Workspace(tmp_path), sample, huge_discovery_faults())
    for fault in huge_discovery_faults():
        line = outcome.report(fault.outlet_id).lower()
        assert "200 new urls" in line, line
        fetched = outcome.sites[fault.outlet_id].requests()
        articles = sum(n for path, n in fetched.items() if path.startswith("/news/"))
        assert articles == 200, fetched.most_common(3)
    assert outcome.seconds < 90


def test_a_long_retry_after_is_not_hammered(hostile_run: HostileRun) -> None:
    """A 500 is retried at once; a 503 asking for an hour is left for a later run."""
    assert hostile_run.sites["http500"].requests()["/news/the-story"] == 3
    assert hostile_run.sites["http503"].requests()["/news/the-story"] == 1


def test_unusable_links_are_dropped_and_the_good_one_is_read(hostile_run: HostileRun) -> None:
    """Links that are not fetchable URLs (bad IPv6 host, port out of range, javascript:, ...)
    listed before a good one in a feed, a sitemap and a listing page cost nothing but themselves."""
    titles = {title for outlet_id, title in hostile_run.stored() if outlet_id == "malformed-links"}
    assert titles == {"Iraq militias and bad links"}
    assert "spider error" not in hostile_run.stderr.lower()
    assert "Traceback" not in hostile_run.stderr
