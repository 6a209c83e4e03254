"""Bounds on a page's markup: what lies beyond them becomes plain text, every word kept, the cut
is reported, and the article around a hostile part is extracted as before."""

from __future__ import annotations

import logging

import pytest
from lxml import etree
from trafilatura.utils import load_html

from crawler.crawl_context import CrawlContext, by_id
from crawler.extract import extract_article
from crawler.extract_pipeline import ExtractPipeline
from crawler.items import ArticleItem
from crawler.outlet_spec import OutletSpec
from crawler.page_bounds import (
    MAX_INLINE_PER_BLOCK,
    MAX_PAGE_ELEMENTS,
    MAX_PAGE_INLINE,
    bound_markup,
)
from crawler.spiders.outlet_spider import OutletSpider
from tests.support.component_crawler import crawler_with

BEFORE = [
    "The ministry confirmed on Tuesday that the new border crossing will open in the spring.",
    "Officials said the crossing would cut waiting times for freight lorries by several hours.",
]
AFTER = [
    "Local traders, who have campaigned for the crossing for a decade, welcomed the decision.",
    "Opposition members asked for the full budget to be published before construction begins.",
]


def page(middle: str) -> str:
    before = "".join(f"<p>{s}</p>" for s in BEFORE)
    after = "".join(f"<p>{s}</p>" for s in AFTER)
    return (
        "<html><head><title>Border</title></head><body><article><h1>Border</h1>"
        f"{before}{middle}{after}</article></body></html>"
    )


def links(count: int) -> str:
    return "".join(f"<a href='/{n}'>lnk{n}x</a> w " for n in range(count))


def test_a_paragraph_of_30000_links_keeps_1000_and_every_word():
    tree = load_html(page(f"<p>{links(30_000)}</p>"))
    cut = bound_markup(tree)
    assert (cut.blocks, cut.inline, cut.elements) == (1, 29_000, 0)
    hostile = tree.xpath("//p[a]")[0]
    assert len(hostile) == MAX_INLINE_PER_BLOCK
    # The rest joins the tail of the last link kept: one text node per link, none per link cut.
    assert len(hostile.xpath("text()")) == MAX_INLINE_PER_BLOCK
    assert "lnk999x w lnk1000x w" in hostile.text_content()
    assert hostile.text_content().rstrip().endswith("lnk29999x w")


def test_the_article_around_30000_links_is_extracted_and_the_cut_named():
    article = extract_article(page(f"<p>{links(30_000)}</p>"), "https://gazette.example/a")
    assert article is not None
    assert all(s in article.text for s in BEFORE + AFTER)
    assert article.cuts == (
        "29,000 inline elements beyond 1,000 per block or 10,000 per page made plain text"
        " (in 1 blocks)",
    )


def test_links_across_many_paragraphs_are_bounded_per_page():
    paragraphs = "".join(f"<p>Part {n}: {links(200)}</p>" for n in range(100))
    tree = load_html(page(paragraphs))
    cut = bound_markup(tree)
    kept = len(tree.xpath("//a"))
    assert kept == MAX_PAGE_INLINE - 1  # the head's title is the first inline element
    assert cut.inline == 20_000 - kept and cut.blocks == 51
    assert tree.findtext(".//title") == "Border"
    assert "Part 99: lnk0x w" in tree.text_content()


def test_200000_tiny_paragraphs_leave_the_page_under_its_element_cap():
    html = page("<p>w</p>" * 200_000)
    tree = load_html(html)
    cut = bound_markup(tree)
    assert sum(1 for _ in tree.iter()) <= MAX_PAGE_ELEMENTS
    assert cut.elements > 150_000 and cut.inline == 0
    assert tree.text_content().count("w") >= 200_000  # every word is still there
    article = extract_article(html, "https://gazette.example/a")
    assert article is not None
    assert all(s in article.text for s in BEFORE + AFTER)
    assert article.cuts[0].endswith("elements beyond 50,000 made plain text")


def test_200000_tiny_blocks_in_nested_wrappers_are_flattened_once():
    """Each ancestor leaves room for itself: one cut, not a cascade that flattens the article."""
    tree = load_html(page("<div><span>w</span></div>" * 40_000))
    bound_markup(tree)
    article = tree.find(".//article")
    assert article is not None and article[0].tag == "h1"
    assert [p.text for p in article.findall("p")[: len(BEFORE)]] == BEFORE


def test_markup_never_becomes_text():
    scripts = "<p>" + "<b>x</b><script>var leaked = 1;</script>" * 2_000 + "</p>"
    tree = load_html(page(scripts))
    bound_markup(tree)
    # The scripts within the cap stay elements (and go with the rest of the page's scripts).
    assert len(tree.xpath("//script")) == MAX_INLINE_PER_BLOCK // 2
    assert "leaked" not in "".join(tree.xpath("//text()[not(parent::script)]"))


def test_nesting_the_parser_gives_up_on_is_reported():
    html = page("<div>" * 1_000 + "deep" + "</div>" * 1_000)
    tree = load_html(html)
    assert bound_markup(tree).too_deep  # the parser itself stopped: no walk was needed
    article = extract_article(html, "https://gazette.example/a")
    assert article is not None
    assert all(s in article.text for s in BEFORE)
    assert article.cuts == ("nested 256 levels deep: the rest of the page was not read",)


@pytest.mark.parametrize("depth", [50, 250])
def test_ordinary_pages_are_not_cut(depth: int):
    nested = "<div>" * depth + "<p>Inside <a href='/x'>a link</a>.</p>" + "</div>" * depth
    html = page(nested + "<p>" + links(300) + "</p>" + "<p>w</p>" * 5_000)
    tree = load_html(html)
    before = etree.tostring(tree)
    cut = bound_markup(tree)
    assert cut.notes() == () and etree.tostring(tree) == before


def test_the_pipeline_counts_and_logs_a_cut(caplog: pytest.LogCaptureFixture):
    spec = OutletSpec(id="gazette", name="Gazette", feeds=("https://gazette.example/feed",))
    crawler = crawler_with(CrawlContext(by_id([spec])), OutletSpider)
    pipeline = ExtractPipeline.from_crawler(crawler)
    url = "https://gazette.example/a"
    with caplog.at_level(logging.WARNING, logger="crawler.extract_pipeline"):
        item = pipeline.process_item(
            ArticleItem("gazette", url, url, page(f"<p>{links(3_000)}</p>").encode())
        )
        pipeline.process_item(ArticleItem("gazette", url, url, page("").encode()))
    assert item.text is not None and BEFORE[0] in item.text
    assert crawler.stats.get_value("newsradar/extract/markup_cut") == 1
    [record] = caplog.records
    assert record.getMessage() == (
        f"markup cut at {url}: 2,000 inline elements beyond 1,000 per block or 10,000 per page"
        " made plain text (in 1 blocks)"
    )
