"""`add-outlet` and `try-outlet` against the sample outlets, one per style (RebelMouse with RSS,
WordPress with Atom and sitemaps, Wix with its blog feed and sitemaps): the entry written from
the home page alone passes `check-config`, `run-once` with it fetches the outlet's articles and
none of its tag, author, category or about pages, and `try-outlet` shows the article URLs while
leaving the database as it was."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest
import yaml

from newsradar.demo.server import SampleOutlets, SampleSite
from tests.support.sample_articles import new_article
from tests.support.workspace import Workspace

IRAQ = {"id": "iraq", "title": "Iraq", "query": "Iraq", "chats": [7]}
SITE_PAGES = re.compile(r"/(tag|author|category|about|contact|privacy-policy|blog/categories)\b")
EXTRA_ARTICLES = 12


def _article_paths(site: SampleSite) -> set[str]:
    return {p.url.removeprefix(site.base_url) for p in site.placed()}


def _publish_more(outlets: SampleOutlets, outlet_id: str) -> None:
    """A realistic number of articles, so the share fetched means something."""
    for n in range(EXTRA_ARTICLES):
        outlets.publish(
            new_article(outlet_id, f"{outlet_id}-report-number-{n}", f"Report {n} on Iraq", n % 2)
        )


def _dump(db: Path) -> list[str]:
    with sqlite3.connect(db) as connection:
        return list(connection.iterdump())


@pytest.mark.parametrize(
    ("outlet_id", "post_ids"),
    [("statecraft", False), ("statecraft", True), ("wp", False), ("wix", False)],
    ids=["rebelmouse-dated", "rebelmouse-post-ids", "wordpress", "wix"],
)
def test_add_outlet_writes_an_entry_that_crawls_the_articles_only(
    workspace: Workspace, outlet_id: str, post_ids: bool
) -> None:
    with SampleOutlets(rebelmouse_ids=post_ids) as sample_outlets:
        _add_and_crawl(workspace, sample_outlets, outlet_id)


def _add_and_crawl(workspace: Workspace, sample_outlets: SampleOutlets, outlet_id: str) -> None:
    workspace.write_config([], [IRAQ])
    site = sample_outlets.sites[outlet_id]
    _publish_more(sample_outlets, outlet_id)
    outlets_file = workspace.config_dir / "outlets.yaml"
    if site.post_ids:  # the shape real RebelMouse sites give their posts
        assert all(re.fullmatch(r"/[a-z0-9-]+-\d{10}", p) for p in _article_paths(site))

    added = workspace.run("add-outlet", site.base_url + "/", "--id", outlet_id, "--write")

    assert added.returncode == 0, added.stderr
    assert "Sample articles" in added.stdout and "title:" in added.stdout
    assert f"Added outlet '{outlet_id}'" in added.stdout
    entry = yaml.safe_load(outlets_file.read_text())["outlets"][0]
    assert entry["id"] == outlet_id and entry["article_url_pattern"]
    checked = workspace.run("check-config")
    assert checked.returncode == 0, checked.stderr

    asked_before = site.requests()
    ran = workspace.run("run-once")
    assert ran.returncode == 0, ran.stderr
    asked = site.requests() - asked_before
    articles = _article_paths(site)
    fetched = articles & set(asked)
    assert len(fetched) >= 0.95 * len(articles), sorted(articles - fetched)
    assert sorted(p for p in asked if SITE_PAGES.search(p)) == []

    before = _dump(workspace.root / "newsradar.db")
    tried = workspace.run("try-outlet", outlet_id)
    assert tried.returncode == 0, tried.stderr
    assert _dump(workspace.root / "newsradar.db") == before
    for path in articles:
        assert f"known {site.base_url}{path}" in tried.stdout
    assert "nothing is stored or sent" in tried.stdout

    written_otherwise = site.base_url.replace("http://", "HTTP://") + "?utm_source=newsletter"
    again = workspace.run("add-outlet", written_otherwise, "--id", f"{outlet_id}-2", "--write")
    assert again.returncode == 1
    assert len(again.stderr.strip().splitlines()) == 1 and "already configured" in again.stderr
    assert f"outlet '{outlet_id}'" in again.stderr
    assert [o["id"] for o in yaml.safe_load(outlets_file.read_text())["outlets"]] == [outlet_id]


def test_try_outlet_on_a_home_page_shows_new_articles_and_stores_nothing(
    workspace: Workspace, sample_outlets: SampleOutlets
) -> None:
    workspace.write_config([], [IRAQ])
    site = sample_outlets.sites["wp"]

    tried = workspace.run("try-outlet", site.base_url + "/")

    assert tried.returncode == 0, tried.stderr
    for path in _article_paths(site):
        assert f"new   {site.base_url}{path}" in tried.stdout
    assert "Extraction of" in tried.stdout and "title:" in tried.stdout
    assert not (workspace.root / "newsradar.db").exists()
    assert yaml.safe_load((workspace.config_dir / "outlets.yaml").read_text())["outlets"] == []


def test_unknown_outlet_and_bad_url_are_one_line_errors(workspace: Workspace) -> None:
    workspace.write_config([], [IRAQ])

    unknown = workspace.run("try-outlet", "nope")
    bad = workspace.run("add-outlet", "ftp://example.org/")
    bad_id = workspace.run("add-outlet", "http://127.0.0.1:9/", "--id", "Not An Id")

    assert unknown.returncode == 2 and len(unknown.stderr.strip().splitlines()) == 1
    assert "no outlet 'nope'" in unknown.stderr
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1
    assert "not an http(s) URL" in bad.stderr
    assert bad_id.returncode == 2 and "not a valid outlet id: 'Not An Id'" in bad_id.stderr
