"""What a preview shows of an article page, and what it warns about."""

from __future__ import annotations

from datetime import UTC, datetime

from scrapy.http import HtmlResponse

from crawler.outlet_spec import OutletSpec
from crawler.spiders.fetch_spider import Fetched
from newsradar.demo import wordpress
from newsradar.demo.content import WP_ARTICLES
from newsradar.demo.statecraft import Placed
from newsradar.onboarding.article_preview import (
    FIRST_LINE_CHARS,
    Sample,
    sample_lines,
    sample_of,
    sample_warnings,
)
from tests.support import hostile

URL = "https://outlet.example/2024/01/05/story/"
OUTLET = OutletSpec(id="outlet", name="Outlet", listing_pages=("https://outlet.example/",))


def _page(body: str, url: str = URL) -> Fetched:
    page = HtmlResponse(url, body=body.encode(), encoding="utf-8")
    return Fetched(url, url, 200, body.encode(), "text/html", page)


def test_a_wordpress_article_shows_title_date_first_line_and_length() -> None:
    article = WP_ARTICLES[0]
    published = datetime(2024, 1, 5, 9, 30, tzinfo=UTC)
    html = wordpress.article_page(Placed(article, URL, published), [])

    sample = sample_of(_page(html), OUTLET, None)

    assert sample.error is None
    assert sample.title == article.title and sample.published == published
    assert article.paragraphs[0].startswith(sample.first_line.removesuffix(" ..."))
    assert len(sample.first_line) <= FIRST_LINE_CHARS + 4
    assert sample.length >= len(article.body_text) * 0.9
    lines = sample_lines([sample])
    assert lines[0] == f"  {URL}" and "2024-01-05 09:30 UTC" in lines[2]
    assert sample_warnings([sample]) == []


def test_undated_short_failed_and_binary_pages_are_warned_about() -> None:
    short = hostile.article_html("Short", ["A teaser of a story that goes on elsewhere " * 3])
    undated = short.replace("article:published_time", "nothing")
    samples = [
        sample_of(_page(undated, "https://outlet.example/post/story"), OUTLET, None),
        sample_of(
            Fetched(URL, URL, 200, hostile.random_bytes(5000), "application/pdf"), OUTLET, None
        ),
        sample_of(Fetched(URL, status=404, error="HTTP 404"), OUTLET, None),
        sample_of(_page("<html><body><nav>Home</nav></body></html>"), OUTLET, None),
    ]

    assert samples[0].published is None and samples[0].length < 500
    assert samples[1].error == "not an HTML page (application/pdf)"
    assert samples[2].error == "HTTP 404"
    assert samples[3].error == "no article text found"
    warnings = sample_warnings(samples)
    assert len(warnings) == 3
    assert warnings[0].startswith("3 of 4 sample pages gave no article")
    assert "1 of 1 sample articles have no date" in warnings[1]
    assert "shorter than 500 characters" in warnings[2]
    assert "nothing extracted: HTTP 404" in "\n".join(sample_lines(samples))
    assert isinstance(samples[0], Sample)
