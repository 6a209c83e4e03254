"""An outlet's YAML entry, and adding it to outlets.yaml with comments and layout kept."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from newsradar.config import load_config
from newsradar.onboarding.outlet_entry import (
    EntryRefused,
    add_to_file,
    check_new,
    derive_id,
    entry_yaml,
)

SHIPPED = Path(__file__).resolve().parent.parent / "config"
ENTRY: dict[str, object] = {
    "id": "policy-forum",
    "name": "Policy Forum: Iraq",
    "feeds": ["https://www.policyforum.org/blog-feed.xml"],
    "sitemaps": [],
    "listing_pages": ["https://www.policyforum.org/blog"],
    "article_url_pattern": r"^https?://[^/]+/post/[^/]+/?$",
    "every": "15m",
    "enabled": True,
}


def test_ids_from_host_names() -> None:
    assert derive_id("https://www.warontherocks.com/") == "warontherocks"
    assert derive_id("https://responsiblestatecraft.org/") == "responsiblestatecraft"
    assert derive_id("https://news.bbc.co.uk/") == "bbc"
    assert derive_id("http://127.0.0.2:8080/") == "127-0-0-2-8080"


def test_added_entry_keeps_every_comment_and_line_of_the_file(tmp_path: Path) -> None:
    config = tmp_path / "config"
    shutil.copytree(SHIPPED, config)
    before = (config / "outlets.yaml").read_text().splitlines()

    add_to_file(config / "outlets.yaml", ENTRY, "Added with: newsradar add-outlet x")

    after = (config / "outlets.yaml").read_text().splitlines()
    assert after[: len(before)] == before  # comments, quotes, blank lines, flow lists: all kept
    assert after[len(before) + 1] == "  # Added with: newsradar add-outlet x"
    assert "    feeds: [https://www.policyforum.org/blog-feed.xml]" in after
    loaded = load_config(config)  # what check-config runs
    added = loaded.outlet("policy-forum")
    assert added is not None and added.name == "Policy Forum: Iraq"
    assert added.article_url_pattern == ENTRY["article_url_pattern"]


def test_a_block_style_file_gets_a_block_style_entry(tmp_path: Path) -> None:
    path = tmp_path / "outlets.yaml"
    path.write_text(
        yaml.safe_dump(
            {"outlets": [{"id": "a", "name": "A", "feeds": ["https://a/f"]}]}, sort_keys=False
        )
    )

    add_to_file(path, ENTRY, "added")

    data = yaml.safe_load(path.read_text())
    assert [o["id"] for o in data["outlets"]] == ["a", "policy-forum"]
    assert path.read_text().startswith("outlets:\n- id: a\n")


def test_a_missing_file_is_created(tmp_path: Path) -> None:
    path = tmp_path / "config" / "outlets.yaml"
    add_to_file(path, ENTRY, "added")
    assert yaml.safe_load(path.read_text())["outlets"][0]["id"] == "policy-forum"


def test_a_file_that_is_not_an_outlets_mapping_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "outlets.yaml"
    path.write_text("outlets: {a: 1}\n")
    with pytest.raises(EntryRefused, match="not a list"):
        add_to_file(path, ENTRY, "added")
    assert path.read_text() == "outlets: {a: 1}\n"


def test_duplicate_id_or_url_refused_in_one_line() -> None:
    config = load_config(SHIPPED)
    taken_id = {**ENTRY, "id": "war-on-the-rocks"}
    with pytest.raises(EntryRefused) as error:
        check_new(taken_id, "https://www.policyforum.org/", config.outlets)
    assert "already" in str(error.value) and "\n" not in str(error.value)
    taken_url = {**ENTRY, "feeds": ["https://warontherocks.com/feed"]}
    with pytest.raises(EntryRefused, match="war-on-the-rocks"):
        check_new(taken_url, "https://www.policyforum.org/", config.outlets)
    with pytest.raises(EntryRefused, match="responsible-statecraft"):
        check_new(ENTRY, "https://responsiblestatecraft.org", config.outlets)
    check_new(ENTRY, "https://www.policyforum.org/", config.outlets)  # a new one passes


@pytest.mark.parametrize(
    "home",
    [
        "http://responsiblestatecraft.org",
        "https://www.responsiblestatecraft.org/",
        "HTTPS://WWW.ResponsibleStatecraft.org:443",
        "http://responsiblestatecraft.org:80/?utm_source=newsletter",
    ],
)
def test_a_home_page_written_another_way_is_the_configured_outlet(home: str) -> None:
    """Scheme, `www.`, host case, default port, trailing slash and tracking parameters aside,
    it is the page `responsible-statecraft` lists as https://responsiblestatecraft.org/."""
    config = load_config(SHIPPED)
    entry = {**ENTRY, "feeds": [], "listing_pages": []}

    with pytest.raises(EntryRefused) as error:
        check_new(entry, home, config.outlets)

    line = str(error.value)
    assert "\n" not in line and "outlet 'responsible-statecraft'" in line
    assert "as https://responsiblestatecraft.org/;" in line


def test_another_page_or_port_of_a_configured_host_is_a_new_outlet() -> None:
    config = load_config(SHIPPED)
    entry = {**ENTRY, "feeds": [], "listing_pages": []}
    for home in (
        "https://responsiblestatecraft.org/newsletter/",
        "https://responsiblestatecraft.org:8443/",
        "https://staff.responsiblestatecraft.org/",
    ):
        check_new(entry, home, config.outlets)
    feed_elsewhere = {**entry, "feeds": ["http://www.warontherocks.com/feed"]}
    with pytest.raises(EntryRefused, match="outlet 'war-on-the-rocks'"):
        check_new(feed_elsewhere, "https://www.policyforum.org/", config.outlets)


def test_printed_entry_is_valid_yaml_with_the_pattern_quoted() -> None:
    text = entry_yaml(ENTRY)
    assert "article_url_pattern: '^https?://[^/]+/post/[^/]+/?$'" in text
    assert yaml.safe_load(text) == [ENTRY]
