"""The outlet's article URL pattern: a hostile link never stalls the process, and patterns the
linear-time engine cannot run are refused by check-config with file:line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from crawler.outlet_spec import OutletSpec
from newsradar.config import ConfigError, load_config

# Nested quantifiers: a backtracking engine needs 2^n steps for /news/ + n letters + "!".
CATASTROPHIC = r"^https?://[^/]+/news/([a-z0-9]+-?)+/$"

_PROBE = f"""
from crawler.outlet_spec import OutletSpec
spec = OutletSpec("x", "X", listing_pages=("https://example.org/",),
                  article_url_pattern={CATASTROPHIC!r})
print(spec.is_article_url("https://example.org/news/" + "a" * 5000 + "!"))
print(spec.is_article_url("https://example.org/news/iraq-strikes/"))
"""


def test_a_catastrophic_pattern_and_a_hostile_link_cost_no_time() -> None:
    """Run in a child process: under a backtracking engine it would never return."""
    done = subprocess.run(
        [sys.executable, "-c", _PROBE], capture_output=True, text=True, timeout=20, check=True
    )
    assert done.stdout.split() == ["False", "True"]


def test_ordinary_patterns_match_as_before() -> None:
    spec = OutletSpec(
        "rs",
        "RS",
        listing_pages=("https://example.org/",),
        article_url_pattern=r"/\d{4}/\d{2}/|/[a-z0-9-]+/$",
    )
    assert spec.is_article_url("https://example.org/2024/05/iraq")
    assert spec.is_article_url("https://www.example.org/some-story/")
    assert not spec.is_article_url("https://example.org/about")
    assert not spec.is_article_url("https://elsewhere.org/2024/05/iraq")


@pytest.mark.parametrize(
    "pattern", [r"/news/(?!sports)", r"(?<=/)news/", r"/(\w+)/\1/", r"/news/\Z"]
)
def test_check_config_refuses_what_the_engine_cannot_run(tmp_path: Path, pattern: str) -> None:
    (tmp_path / "outlets.yaml").write_text(
        "outlets:\n"
        "  - id: rs\n"
        "    name: RS\n"
        "    listing_pages: [https://example.org/]\n"
        f"    article_url_pattern: '{pattern}'\n"  # line 5
    )
    (tmp_path / "watchlists.yaml").write_text("watchlists: []\n")
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path)
    (problem,) = (str(p) for p in caught.value.problems)
    assert problem.startswith(f"{tmp_path / 'outlets.yaml'}:5: outlet 'rs' article_url_pattern:")
    assert "lookarounds" in problem and "rewrite the pattern" in problem
