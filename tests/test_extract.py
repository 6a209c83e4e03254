"""Extraction of the sample outlets' pages: the seed articles come out clean and whole."""

from __future__ import annotations

import urllib.request
from datetime import UTC, datetime

import pytest

from crawler.extract import ExtractedArticle, extract_article
from newsradar.demo import SAMPLE_ARTICLES, SampleArticle, SampleOutlets

NOW = datetime(2024, 1, 5, 12, 0, tzinfo=UTC)
CLUTTER = (
    "keep reading",
    "Show less",
    "Subscribe now to our weekly round-up",
    "Follow us on social",
    "Top photo credit",
    "Photo credit",
    "Top image credit",
    "is Deputy Director",
    "Physical Address",
    "304 North Cardinal St.",
    "en_US",
    "English",
    "top of page",
    "bottom of page",
    "Freedom is not something",
    "Nelson Mandela",
    "LATEST",
    "Leave a Reply",
    "Recent Posts",
)
NEW_ARTICLES = {
    outlet: next(a for a in SAMPLE_ARTICLES if a.outlet == outlet and a.is_new)
    for outlet in ("statecraft", "wp", "wix")
}


@pytest.fixture(scope="module")
def outlets():
    with SampleOutlets(now=NOW) as running:
        yield running


def fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.read()


def extract_from(outlets: SampleOutlets, url: str) -> ExtractedArticle:
    result = extract_article(fetch(url), url)
    assert result is not None
    return result


@pytest.mark.parametrize("outlet", sorted(NEW_ARTICLES))
def test_new_article_extracts_clean(outlets, outlet):
    sample: SampleArticle = NEW_ARTICLES[outlet]
    url = outlets.article_url(sample)
    result = extract_from(outlets, url)

    paragraphs = sample.paragraphs
    for sentence in (paragraphs[0], paragraphs[len(paragraphs) // 2], paragraphs[-1]):
        assert sentence in result.text
    for clutter in CLUTTER:
        assert clutter not in result.text, clutter
    assert result.text == sample.body_text
    assert not result.text.startswith(sample.title)
    assert sample.dek not in result.text
    assert result.title == sample.title
    assert result.author == sample.author
    assert result.published == NOW - sample.age
    assert result.language == "en"
    assert result.url == url


def test_words_split_by_inline_tags_are_not_glued(outlets):
    sample = NEW_ARTICLES["statecraft"]
    page = fetch(outlets.article_url(sample)).decode()
    assert "retaliatory&nbsp;<a" in page
    text = extract_from(outlets, outlets.article_url(sample)).text
    assert "retaliatory airstrikes" in text
    assert "retaliatoryairstrikes" not in text


def test_infinite_scroll_variant_matches_canonical_page(outlets):
    sample = NEW_ARTICLES["statecraft"]
    canonical = extract_from(outlets, outlets.article_url(sample))
    alternate_url = outlets.alternate_url(sample)
    assert alternate_url is not None
    alternate = extract_from(outlets, alternate_url)
    assert alternate.text == canonical.text == sample.body_text
    assert alternate.url == alternate_url  # nothing on the page gives the duplicate away


def test_stacked_articles_keep_the_first_even_when_the_followers_are_longer(outlets):
    escaped = next(a for a in SAMPLE_ARTICLES if "<and>" in a.title)
    result = extract_from(outlets, outlets.article_url(escaped))
    assert result.title == 'Militias <and> the "A&B" of Iraq strikes'
    assert result.text == escaped.body_text
    assert "Ukraine" not in result.text


def test_page_without_article_text_gives_none():
    assert extract_article("<html><body><nav><a href='/'>Home</a></nav></body></html>") is None
    assert extract_article(b"") is None


def test_outlet_overrides_choose_and_prune_the_body():
    page = (
        "<html lang='de-DE'><head><title>Seite</title>"
        "<meta property='article:published_time' content='2024-03-01'></head><body>"
        "<div class='story'><p>" + "Erster Absatz mit genug Text für einen Artikel. " * 8 + "</p>"
        "<p class='promo'>Jetzt das Abo testen und sparen, nur diesen Monat.</p>"
        "<p>" + "Zweiter Absatz, ebenfalls lang genug für die Auswertung. " * 8 + "</p></div>"
        "<div class='other'><p>"
        + "Fremder Text aus einer anderen Spalte der Seite. "
        * 12
        + "</p></div>"
        "</body></html>"
    )
    result = extract_article(
        page,
        "https://example.org/a",
        content_xpath="//div[@class='story']",
        remove_xpath=["//p[@class='promo']"],
    )
    assert result is not None
    assert "Erster Absatz" in result.text and "Zweiter Absatz" in result.text
    assert "Abo" not in result.text and "Fremder Text" not in result.text
    assert result.published == datetime(2024, 3, 1, tzinfo=UTC)
    assert result.language == "de"
    assert result.url == "https://example.org/a"
