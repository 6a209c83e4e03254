"""Hostile outlets that cost without failing: a sitemap index that never ends, headers that never
end, pages that trickle a byte at a time, a server that never answers. Each is stopped by its
budget or a response limit, reported against its outlet (in the run's summary, in `status`, and
to the operators), while the sample outlets in the same `run-once` are crawled and alerted as
usual.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from newsradar.demo.server import SampleOutlets
from tests.support import hostile
from tests.support.hostile import (
    HostileHandler,
    HostileRun,
    HostileSite,
    listing_html,
    page,
    sitemap_index,
)
from tests.support.sample_watchlists import IRAQ_ALERTS, WATCHLISTS
from tests.support.workspace import Workspace

GOOD_OUTLETS = ("statecraft", "wp", "wix")
CRAWL = {"timeout": "3s", "response_time": "4s", "alert_after_failures": 1}
OPERATOR = "4242"


def nested_index(handler: HostileHandler) -> None:
    """Every index lists 2,000 more (depth bounded by the spider; the budget bounds the rest)."""
    base = handler.site.base_url
    path = handler.path.removesuffix(".xml")
    children = [f"{base}{path}-{i}.xml" for i in range(2_000)]
    handler.reply(200, sitemap_index(children), "application/xml")


def endless_headers(handler: HostileHandler) -> None:
    """A status line, then header lines for as long as anyone reads them (bounded: 80 MB)."""
    handler.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n")
    filler = b"a" * 24
    for number in range(2_000_000):
        if handler.site.released.is_set():
            return
        handler.wfile.write(b"X-Filler-%d: %s\r\n" % (number, filler))


def trickle(handler: HostileHandler) -> None:
    """An answer that starts at once and then sends one byte every 0.2 s (for at most 2 min)."""
    handler.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nConnection: close\r\n\r\n")
    handler.wfile.write(b"<html><body><article><p>")
    for _ in range(600):
        if handler.site.released.wait(0.2):
            return
        handler.wfile.write(b"x")


TRICKLING = [f"/news/slow-{i}" for i in range(20)]


@dataclass
class Hostile:
    routes: dict[str, hostile.Behaviour]
    sources: dict[str, list[str]]  # sitemaps or listing_pages: paths on the site
    extra: dict[str, object] = field(default_factory=dict)  # more of the outlet's entry
    fallback: hostile.Behaviour = hostile.not_found


HOSTILE = {
    # A sitemap index of 2,000 children, each an index of 2,000 more: 100 requests and no more.
    "sitemap-flood": Hostile(
        {},
        {"sitemaps": ["/sitemap.xml"]},
        {"budget": {"requests": 100}},
        fallback=nested_index,
    ),
    "endless-headers": Hostile(
        {"/": page(listing_html(["/news/the-story"])), "/news/the-story": endless_headers},
        {"listing_pages": ["/"]},
    ),
    # 20 pages that trickle: the outlet's 6 s are all it gets.
    "trickle": Hostile(
        {"/": page(listing_html(TRICKLING)), **dict.fromkeys(TRICKLING, trickle)},
        {"listing_pages": ["/"]},
        {"budget": {"time": "6s"}},
    ),
    # Accepts the connection and never answers: 4 s in all, retries included (not 3 x 3 s).
    "silent": Hostile({"/": hostile.stall(120)}, {"listing_pages": ["/"]}),
}


@pytest.fixture(scope="module")
def outcome(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HostileRun]:
    workspace = Workspace(tmp_path_factory.mktemp("budgets"))
    sites: dict[str, HostileSite] = {}
    with SampleOutlets() as sample:
        try:
            config = sample.outlets_config()
            for number, (outlet_id, spec) in enumerate(HOSTILE.items(), start=60):
                site = sites[outlet_id] = HostileSite(f"127.0.0.{number}", spec.routes).start()
                site.fallback = spec.fallback
                sources = {k: [site.url(p) for p in paths] for k, paths in spec.sources.items()}
                config.append(
                    {
                        "id": outlet_id,
                        "name": f"Hostile {outlet_id}",
                        **sources,
                        **spec.extra,
                        "article_url_pattern": "/news/",
                    }
                )
            workspace.write_config(config, WATCHLISTS, crawl=CRAWL)
            started = time.monotonic()
            result = workspace.run("run-once", "-v", timeout=240, NEWSRADAR_OPERATOR_CHATS=OPERATOR)
            seconds = time.monotonic() - started
        finally:
            for site in sites.values():
                site.stop()
    assert result.returncode == 0, result.stderr
    status = workspace.run("status")
    assert status.returncode == 0, status.stderr
    yield HostileRun(
        result.stderr, result.stdout, workspace.root / "newsradar.db", sites, seconds, status.stdout
    )


def test_the_sample_outlets_do_not_notice(outcome: HostileRun) -> None:
    for outlet_id in GOOD_OUTLETS:
        assert "FAILED" not in outcome.report(outlet_id)
        assert any(row[0] == outlet_id for row in outcome.stored())
    for title in IRAQ_ALERTS:
        assert outcome.stdout.count(title) > 0, title
    # The slowest hostile outlet bounds the run: its budget, not its will.
    assert outcome.seconds < 60


def test_a_sitemap_flood_stops_at_the_outlet_request_budget(outcome: HostileRun) -> None:
    line = outcome.report("sitemap-flood")
    assert "FAILED" in line and "budget exhausted: 100 requests" in line, line
    fetched = outcome.sites["sitemap-flood"].requests()
    assert sum(n for path, n in fetched.items() if path != "/robots.txt") <= 100, fetched


def test_endless_headers_are_cut_off(outcome: HostileRun) -> None:
    line = outcome.report("endless-headers").lower()
    assert "more than 200 response header lines" in line, line


def test_trickling_pages_stop_at_the_outlet_time_budget(outcome: HostileRun) -> None:
    line = outcome.report("trickle")
    assert "budget exhausted: 6 s" in line, line
    fetched = outcome.sites["trickle"].requests()
    # Each page given up at the response time (4 s) or the outlet's 6 s: none asked three times.
    assert all(fetched[path] <= 2 for path in TRICKLING), fetched


def test_a_silent_server_costs_one_response_time(outcome: HostileRun) -> None:
    line = outcome.report("silent")
    assert "no answer within 4 s" in line, line
    assert outcome.sites["silent"].requests()["/"] <= 2


def test_an_exhausted_outlet_is_in_status_and_told_to_the_operators(outcome: HostileRun) -> None:
    rows = {line.split()[0]: line for line in outcome.status.splitlines()[1:] if line.strip()}
    assert "budget exhausted" in rows["sitemap-flood"], outcome.status
    assert rows["sitemap-flood"].split()[-1] == "1"  # one failure in a row
    assert rows["statecraft"].split()[-1] == "0"
    notices = outcome.stdout.split(f"--- to chat {OPERATOR} ---")[1:]
    assert any("sitemap-flood" in n and "budget exhausted" in n for n in notices), outcome.stdout
