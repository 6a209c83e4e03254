"""Shaping the page for the engine: teaser links with a label or bracketed tags go, sentences
that merely hold a link stay."""

from __future__ import annotations

import time

import pytest
from trafilatura.utils import load_html

from crawler.extract import extract_article
from crawler.page_shaping import article_container, region_of, shape
from crawler.site_chrome import drop_boilerplate, drop_site_chrome, survey

SENTENCES = [
    "The ministry confirmed on Tuesday that the new border crossing will open in the spring.",
    "Officials said the crossing would cut waiting times for freight lorries by several hours.",
    "Local traders, who have campaigned for the crossing for a decade, welcomed the decision.",
    "The project was delayed twice by disputes over customs staffing and the cost of the road.",
    "Opposition members asked for the full budget to be published before construction begins.",
]


def test_labelled_teaser_links_go_and_linked_sentences_stay():
    linked = (
        "Traders said the <a href='/trade'>new rules on customs</a> would still apply to "
        "goods crossing at night, a point the ministry did not contest."
    )
    teasers = (
        "<p><strong>Related: </strong><a href='/a'><u>Ten things to know about the "
        "budget vote</u></a></p><p>READ MORE: <a href='/b'>Freight firms warn of a "
        "winter backlog at the old crossing</a></p><p><a href='/c'>Minister answers "
        "readers on the crossing</a> [<strong>VIDEO]|<br></strong><a href='/d'>Harbour "
        "strike called off after talks</a> [INSIGHT]</p>"
    )
    body = "".join(f"<p>{s} {s}</p>" for s in SENTENCES[:3]) + f"<p>{linked}</p>" + teasers
    body += "".join(f"<p>{s} {s}</p>" for s in SENTENCES[3:])
    page = (
        "<html lang='en'><head><title>Border</title></head><body><article><h1>Border</h1>"
        f"{body}</article></body></html>"
    )
    result = extract_article(page, "https://gazette.example/border")
    assert result is not None
    for sentence in SENTENCES:
        assert sentence in result.text
    assert "new rules on customs would still apply" in result.text
    for teaser in ("Ten things", "Freight firms", "Minister answers", "Harbour strike"):
        assert teaser not in result.text, teaser


def test_social_posts_quoted_by_the_article_stay():
    tweet = "Yes, the crossing opens in spring and the queues will finally end, says the mayor."
    body = "".join(f"<p>{s} {s}</p>" for s in SENTENCES[:3])
    body += (
        "<div class='social-media-embed'><blockquote class='twitter-tweet'><p lang='en'>"
        f"{tweet}</p>— Mayor (@mayor) <a href='https://x.example/mayor/1'>March 5, 2024</a>"
        "</blockquote></div>"
    )
    body += "".join(f"<p>{s} {s}</p>" for s in SENTENCES[3:])
    page = (
        "<html lang='en'><head><title>Border</title></head><body><article><h1>Border</h1>"
        f"<div class='article-body'>{body}</div></article></body></html>"
    )
    result = extract_article(page, "https://gazette.example/border")
    assert result is not None
    assert tweet in result.text
    for sentence in SENTENCES:
        assert sentence in result.text


@pytest.mark.timeout(120)
def test_a_hostile_page_of_links_and_nested_menus_is_shaped_in_linear_time():
    # One paragraph of 30,000 short links between words (70% link text, so the labelled-teaser
    # check reads it) and 200 nested drawers. Each element is read a bounded number of times;
    # a sibling-axis search per element took minutes here. (The engine after it is left out.)
    links = "".join(f"<a href='/{n}'>lnk{n % 10}x</a> w " for n in range(30_000))
    drawers = "<div class='drawer'>" * 200 + "menu" + "</div>" * 200
    body = "".join(f"<p>{s} {s}</p>" for s in SENTENCES)
    page = (
        f"<html><head><title>Border</title></head><body>{drawers}<article><h1>Border</h1>"
        f"{body}<p>{links}</p></article></body></html>"
    )
    tree = load_html(page)
    assert tree is not None
    started = time.process_time()
    parts = survey(tree)
    drop_boilerplate(parts)
    container = article_container(tree)
    assert drop_site_chrome(tree, parts, [container] if container is not None else []) == 1
    shape(tree, container, region_of(tree, container))
    assert time.process_time() - started < 6
    assert SENTENCES[0] in tree.text_content() and "menu" not in tree.text_content()
