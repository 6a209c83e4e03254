"""Extraction stage: turn one fetched HTML page into one clean article.

The page's markup is first bounded (crawler.page_bounds: what lies beyond its caps becomes plain
text) so that no shape of page makes the later passes costly. The main-text engine is trafilatura
in its fast mode (its comparison with other extractors costs time and tends to prefer longer
blocks of teasers); the page is parsed once and the tree handed to it. What the page declares
about itself (title, author, date, language, canonical URL) is read first, by crawler.metadata;
crawler.site_chrome then removes what belongs to the site (its header, footer, navigation,
drawers; scripts and other inert markup), crawler.page_shaping shapes the rest so that the engine
finds the whole article and nothing else, and crawler.paragraph_cleanup cleans the paragraphs it
returns (after the outlet's learned template, crawler.page_template, has dropped its own).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from lxml.html import HtmlElement
from trafilatura import bare_extraction
from trafilatura.metadata import extract_author
from trafilatura.settings import Document, Extractor
from trafilatura.utils import load_html

from crawler.metadata import PageMetadata, date_in_url, read_metadata
from crawler.page_bounds import bound_markup
from crawler.page_shaping import (
    BYLINE_LEVELS,
    article_container,
    drop_stacked_articles,
    prune,
    region_of,
    restrict_to,
    shape,
    surroundings,
)
from crawler.paragraph_cleanup import (
    LEADING_WINDOW,
    clean_paragraphs,
    dek_is_separate,
    trim_to_declared_body,
)
from crawler.site_chrome import drop_boilerplate, drop_inert_markup, drop_site_chrome, survey

# The engine's settings, built once: fast mode, no comments, tables kept, no metadata (read
# by crawler.metadata instead). The engine copies them before changing any.
ENGINE_OPTIONS = Extractor(output_format="python", fast=True, comments=False, tables=True)
# Below this a page holds navigation scraps, not an article.
MIN_ARTICLE_CHARS = 80


@dataclass(frozen=True, slots=True)
class ExtractedArticle:
    """One page's article: ``url`` is the canonical URL the page declares (else the one given),
    ``published`` is aware UTC, ``language`` ISO 639-1, ``text`` paragraphs split by blank lines,
    ``cuts`` one line for each bound the page's markup reached (see crawler.page_bounds).
    """

    url: str | None
    title: str | None
    author: str | None
    published: datetime | None
    language: str | None
    text: str
    cuts: tuple[str, ...] = ()


# A per-outlet filter of paragraphs (the outlet's learned template); see crawler.page_template.
ParagraphFilter = Callable[[list[str]], list[str]]


def extract_article(
    html: str | bytes | HtmlElement,
    url: str | None = None,
    *,
    content_xpath: str | None = None,
    remove_xpath: Sequence[str] = (),
    template: ParagraphFilter | None = None,
) -> ExtractedArticle | None:
    """Extract the article of one page; None when the page holds no article text.

    ``content_xpath`` and ``remove_xpath`` are per-outlet overrides: where the body lives and
    which parts of the page never belong to it. ``template`` drops the paragraphs the outlet
    repeats on every page. The page is parsed once; a given tree is modified in place.
    """
    tree = load_html(html) if isinstance(html, HtmlElement) or html else None
    if tree is None:
        return None
    cuts = bound_markup(tree).notes()
    meta = read_metadata(tree, url)
    if content_xpath:
        tree = restrict_to(tree, content_xpath)
        if tree is None:
            return None
    author = _shape_page(tree, meta, remove_xpath)
    paragraphs = _engine_paragraphs(tree, url)
    paragraphs = _clean_body(tree, paragraphs, meta, author, template)
    if sum(len(p) for p in paragraphs) < MIN_ARTICLE_CHARS:
        return None
    return ExtractedArticle(
        url=meta.url or url,
        title=meta.title,
        author=author,
        published=_published(meta, url),
        language=meta.language,
        text="\n\n".join(paragraphs),
        cuts=cuts,
    )


def _shape_page(tree: HtmlElement, meta: PageMetadata, remove_xpath: Sequence[str]) -> str | None:
    """Shape the page for the engine and return the author (declared, else the byline found
    around the article before shaping can move it)."""
    drop_inert_markup(tree)
    drop_stacked_articles(tree, meta.title)
    parts = survey(tree)
    drop_boilerplate(parts)
    prune(tree, remove_xpath)
    container = article_container(tree)
    if drop_site_chrome(tree, parts, keep=[container] if container is not None else []):
        container = container if container is not None else article_container(tree)
    region = region_of(tree, container)
    # The engine's byline search copies the tree it is given: the article's surroundings do.
    author = meta.author or extract_author(surroundings(region, BYLINE_LEVELS))
    shape(tree, container, region)
    return author


def _engine_paragraphs(tree: HtmlElement, url: str | None) -> list[str]:
    """The main text as trafilatura (fast mode, no comments, tables kept) finds it, by line."""
    document = bare_extraction(tree, url=url, options=ENGINE_OPTIONS)
    # A Document: a dict comes back only with as_dict=True.
    body = document.text if isinstance(document, Document) and document.text else ""
    return [p for p in (line.strip() for line in body.split("\n")) if p]


def _clean_body(
    tree: HtmlElement,
    paragraphs: list[str],
    meta: PageMetadata,
    author: str | None,
    template: ParagraphFilter | None,
) -> list[str]:
    """The engine's paragraphs without what follows the declared body, the outlet's template,
    the repeated headline and dek, and furniture; the declared body when nothing is left."""
    paragraphs = trim_to_declared_body(paragraphs, meta.article_body)
    if template is not None:
        paragraphs = template(paragraphs)
    dek = meta.description
    if dek and not dek_is_separate(tree, dek, paragraphs[:LEADING_WINDOW]):
        dek = None
    paragraphs = clean_paragraphs(paragraphs, title=meta.title, dek=dek, author=author)
    if not paragraphs and meta.article_body:
        paragraphs = [p.strip() for p in meta.article_body.split("\n") if p.strip()]
    return paragraphs


def _published(meta: PageMetadata, url: str | None) -> datetime | None:
    """The declared date, else the day the declared URL names, else the day the given URL names."""
    return meta.published or date_in_url(meta.url) or date_in_url(url)
