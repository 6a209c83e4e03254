"""`add-outlet` against sites built to waste it: an endless tree of sitemap indexes, a home page
that never ends, one that never answers, and a robots.txt that disallows everything. Each costs
bounded requests and time and ends in a report, never a traceback."""

from __future__ import annotations

import time

from crawler.url_shapes import NON_ARTICLE_WORDS
from newsradar.onboarding.site_probe import MAX_REQUESTS
from tests.support import hostile
from tests.support.hostile import HostileHandler, HostileSite
from tests.support.workspace import Workspace

LIMITS = {"timeout": "2s", "response_time": "4s", "max_page_mb": 1}
IRAQ = {"id": "iraq", "title": "Iraq", "query": "Iraq", "chats": [7]}


def _endless_indexes(handler: HostileHandler) -> None:
    """Every index names 2,000 more indexes, each named after where it sits in the tree."""
    base = handler.site.base_url
    children = [f"{base}{handler.path.rstrip('/')}/{n}.xml" for n in range(2_000)]
    handler.reply(200, hostile.sitemap_index(children), "application/xml")


def test_an_endless_sitemap_tree_costs_a_bounded_number_of_requests(
    workspace: Workspace,
) -> None:
    workspace.write_config([], [IRAQ], crawl=LIMITS)
    with HostileSite("127.0.0.40") as site:
        site.routes["/"] = hostile.page(hostile.listing_html(["/about", "/contact"]))
        site.routes["/robots.txt"] = hostile.page(
            f"User-agent: *\nAllow: /\nSitemap: {site.base_url}/maps\n", "text/plain"
        )
        site.fallback = _endless_indexes
        started = time.monotonic()

        result = workspace.run("add-outlet", site.base_url + "/", timeout=180)

        seconds = time.monotonic() - started
        asked = sum(site.requests().values())
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "found no feed, sitemap or listing page with articles" in result.stderr
    assert asked <= MAX_REQUESTS + 5  # robots.txt, and the feed paths tried
    assert seconds < 120


def test_a_home_page_too_large_or_too_slow_is_reported(workspace: Workspace) -> None:
    workspace.write_config([], [IRAQ], crawl=LIMITS)
    with HostileSite("127.0.0.41") as large, HostileSite("127.0.0.42") as slow:
        large.routes["/"] = hostile.endless(60)
        slow.routes["/"] = hostile.stall(30)
        too_large = workspace.run("add-outlet", large.base_url + "/", timeout=120)
        too_slow = workspace.run("add-outlet", slow.base_url + "/", timeout=120)

    for result in (too_large, too_slow):
        assert result.returncode == 1
        assert "Traceback" not in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
        assert "home page http://127.0.0.4" in result.stdout
    assert "timed out" in too_slow.stdout or "no answer within" in too_slow.stdout
    assert "larger than the page size limit" in too_large.stdout


def test_robots_txt_that_disallows_the_site_is_obeyed_and_said(workspace: Workspace) -> None:
    workspace.write_config([], [IRAQ], crawl=LIMITS)
    with HostileSite("127.0.0.43") as site:
        site.routes["/robots.txt"] = hostile.page("User-agent: *\nDisallow: /\n", "text/plain")
        site.routes["/"] = hostile.page(hostile.listing_html(["/2024/01/05/a-story-here/"]))

        result = workspace.run("add-outlet", site.base_url + "/", timeout=120)

        asked = site.requests()
    assert result.returncode == 1
    assert set(asked) == {"/robots.txt"}
    assert "robots.txt" in result.stdout and "Forbidden by robots.txt" in result.stdout
    assert "about" in NON_ARTICLE_WORDS


def test_a_sitemap_index_child_that_fails_leaves_the_others_read(workspace: Workspace) -> None:
    """One child of the index answers 404, another is not XML: the third still gives the
    articles, and the index is not reported as failed."""
    workspace.write_config([], [IRAQ], crawl=LIMITS)
    stories = [f"/2024/01/0{n}/iraq-militia-strike-report-{n}/" for n in range(1, 5)]
    with HostileSite("127.0.0.46") as site:
        base = site.base_url
        site.routes["/robots.txt"] = hostile.page(
            f"User-agent: *\nAllow: /\nSitemap: {base}/sitemap.xml\n", "text/plain"
        )
        site.routes["/"] = hostile.page(hostile.listing_html(["/about"]))
        children = [f"{base}/{name}-sitemap.xml" for name in ("post", "page", "author")]
        site.routes["/sitemap.xml"] = hostile.page(hostile.sitemap_index(children), "text/xml")
        site.routes["/page-sitemap.xml"] = hostile.page("<html>a theme's error page</html>")
        site.routes["/post-sitemap.xml"] = hostile.page(
            hostile.sitemap([base + s for s in stories]), "text/xml"
        )
        for n, story in enumerate(stories):
            site.routes[story] = hostile.page(
                hostile.article_html(f"Report {n} on Iraq", ["The militia struck again. " * 40])
            )

        result = workspace.run("add-outlet", base + "/", timeout=120)

    assert result.returncode == 0, result.stdout + result.stderr
    assert f"sitemap {base}/sitemap.xml: 4 URLs (used)" in result.stdout
    assert "FAILED" not in result.stdout
