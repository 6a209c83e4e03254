"""The crawler stays on the outlets' hosts: links, redirects, feed and sitemap entries that point
elsewhere are never fetched, and nothing private is reached that the configuration did not name.

The outlet and "elsewhere" are real HTTP servers on two loopback addresses; what "elsewhere" was
asked for is counted on the server itself.
"""

from __future__ import annotations

import sqlite3

from tests.support.hostile import HostileSite, article_html, listing_html, page, redirect, sitemap
from tests.support.workspace import Workspace

STORY = [
    "Iraqi officials said on Monday that talks on the future of the coalition would resume, "
    "after a week of strikes and counter-strikes near the border.",
    "Diplomats in Baghdad described the mood as tense but said both sides wanted to avoid a "
    "wider war in Iraq.",
]
RSS = """<?xml version="1.0"?><rss version="2.0"><channel><title>Home</title>
<item><title>Away</title><link>{away}</link></item>
<item><title>Local</title><link>{local}</link></item>
</channel></rss>"""
INDEX = """<?xml version="1.0"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<sitemap><loc>{child}</loc></sitemap></sitemapindex>"""


def test_links_redirects_feeds_and_sitemaps_never_leave_the_outlet(workspace: Workspace) -> None:
    with HostileSite("127.0.0.11") as elsewhere, HostileSite("127.0.0.10") as home:
        away = elsewhere.url
        elsewhere.fallback = page(article_html("Iraq elsewhere", STORY))
        home.routes.update(
            {
                "/": page(
                    listing_html(
                        [
                            "/news/ok",
                            away("/news/linked"),
                            "/news/redirected",
                            "/news/to-metadata",
                            "/news/to-file",
                        ]
                    )
                ),
                "/moved": redirect(away("/")),
                "/news/ok": page(article_html("Iraq at home", STORY)),
                "/news/redirected": redirect(away("/news/target")),
                "/news/to-metadata": redirect("http://169.254.169.254/latest/meta-data/"),
                "/news/to-file": redirect("file:///etc/passwd"),
                "/feed.xml": page(
                    RSS.format(away=away("/news/from-feed"), local=home.url("/news/feed-local")),
                    "application/rss+xml",
                ),
                "/news/feed-local": redirect(away("/news/feed-target"), status=301),
                "/sitemap.xml": page(INDEX.format(child=away("/child.xml")), "application/xml"),
                "/sitemap-pages.xml": page(sitemap([away("/news/from-sitemap")]), "text/xml"),
            }
        )
        workspace.write_config(
            [
                {
                    "id": "home",
                    "name": "Home",
                    "feeds": [home.url("/feed.xml")],
                    "sitemaps": [home.url("/sitemap.xml"), home.url("/sitemap-pages.xml")],
                    "listing_pages": [home.url("/"), home.url("/moved")],
                    "article_url_pattern": "/news/",
                }
            ],
            [{"id": "iraq", "title": "Iraq", "query": "Iraq", "chats": [1]}],
            crawl={"timeout": "3s"},
        )

        result = workspace.run("run-once", "-v")

        assert result.returncode == 0, result.stderr
        assert elsewhere.requests() == {}, "the other host was contacted"
        # The outlet's own article went all the way through.
        assert "Iraq at home" in result.stdout
        assert "Iraq elsewhere" not in result.stdout
        home_requests = home.requests()
        for path in ("/news/ok", "/news/redirected", "/news/feed-local", "/moved"):
            assert home_requests[path] == 1, (path, home_requests)
        # Refused redirects are reported against the outlet, not silently dropped.
        summary = next(line for line in result.stderr.splitlines() if "home (Home)" in line)
        assert "not fetched" in summary or "not one of the outlet's hosts" in summary, summary
        db = sqlite3.connect(workspace.root / "newsradar.db")
        urls = [url for (url,) in db.execute("select url from articles")]
        assert urls == [home.url("/news/ok")]


def test_an_outlet_configured_by_a_name_that_resolves_to_loopback_is_crawled(
    workspace: Workspace,
) -> None:
    """The configuration named `localhost`: its address counts as named, like an intranet name."""
    with HostileSite("127.0.0.1") as site:
        site.routes.update(
            {
                "/": page(listing_html(["/news/ok"])),
                "/news/ok": page(article_html("Iraq on localhost", STORY)),
            }
        )
        listing = site.url("/").replace("127.0.0.1", "localhost")
        workspace.write_config(
            [{"id": "local", "name": "Local", "listing_pages": [listing]}],
            [{"id": "iraq", "title": "Iraq", "query": "Iraq", "chats": [1]}],
            crawl={"timeout": "3s"},
        )

        result = workspace.run("run-once", "-v")

    assert result.returncode == 0, result.stderr
    assert "Iraq on localhost" in result.stdout, result.stderr
    assert site.requests()["/news/ok"] == 1


def test_another_port_of_the_outlets_own_host_is_another_site(workspace: Workspace) -> None:
    """A redirect, a feed entry, a sitemap entry or a sitemap child pointing at another port of
    the outlet's own address (a local service) is refused: an outlet's reach is its origins."""
    with HostileSite("127.0.0.10") as service, HostileSite("127.0.0.10") as home:
        service.fallback = page(article_html("Iraq from the local service", STORY))
        other = service.url
        home.routes.update(
            {
                "/": page(listing_html(["/news/ok", "/news/redirected", other("/news/linked")])),
                "/news/ok": page(article_html("Iraq at home", STORY)),
                "/news/redirected": redirect(other("/news/target")),
                "/sitemap.xml": page(INDEX.format(child=other("/child.xml")), "application/xml"),
                "/pages.xml": page(sitemap([other("/news/from-sitemap")]), "text/xml"),
                "/feed.xml": page(
                    RSS.format(away=other("/news/from-feed"), local=home.url("/news/ok")),
                    "application/rss+xml",
                ),
            }
        )
        workspace.write_config(
            [
                {
                    "id": "home",
                    "name": "Home",
                    "feeds": [home.url("/feed.xml")],
                    "sitemaps": [home.url("/sitemap.xml"), home.url("/pages.xml")],
                    "listing_pages": [home.url("/")],
                    "article_url_pattern": "/news/",
                }
            ],
            [{"id": "iraq", "title": "Iraq", "query": "Iraq", "chats": [1]}],
            crawl={"timeout": "3s"},
        )

        result = workspace.run("run-once", "-v")

        assert result.returncode == 0, result.stderr
        assert service.requests() == {}, "another port of the outlet's host was contacted"
        assert "Iraq at home" in result.stdout
        assert "local service" not in result.stdout
        summary = next(line for line in result.stderr.splitlines() if "home (Home)" in line)
        assert "not one of the outlet's" in summary, summary
