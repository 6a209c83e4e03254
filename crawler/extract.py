"""Extraction stage: turn one fetched HTML page into one clean article.

The main-text engine is trafilatura; around it this module adds what news pages need and the
engine lacks: infinite-scroll pages that stack several full articles in one DOM are cut to the
first one, the headline and dek are not repeated at the start of the body, boilerplate paragraphs
(teaser rails, newsletter boxes, photo credits, author bios, quote widgets, page anchors, language
switchers) are dropped, and the metadata is read with the precision alerts need (full timestamps,
canonical URLs).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from copy import deepcopy
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urljoin

from lxml import etree
from lxml.html import HtmlElement
from trafilatura import bare_extraction
from trafilatura.utils import load_html

# Boilerplate containers recognisable by their markup on many sites; pruned before extraction.
BOILERPLATE_XPATHS = (
    "//*[contains(@class, 'author-bio') or contains(@class, 'author__bio')"
    " or contains(@class, 'photo-credit') or contains(@class, 'newsletter-box')"
    " or contains(@class, 'language-switcher') or contains(@class, 'lang-item')]",
    "//*[@aria-label='top of page' or @aria-label='bottom of page']",
)
MIN_STACKED_BLOCK_CHARS = 400
# Below this a page holds navigation scraps, not an article.
MIN_ARTICLE_CHARS = 80


@dataclass(frozen=True, slots=True)
class ExtractedArticle:
    """One page's article: ``url`` is the canonical URL the page declares (else the one given),
    ``published`` is aware UTC, ``language`` ISO 639-1, ``text`` paragraphs split by blank lines.
    """

    url: str | None
    title: str | None
    author: str | None
    published: datetime | None
    language: str | None
    text: str


def extract_article(
    html: str | bytes,
    url: str | None = None,
    *,
    content_xpath: str | None = None,
    remove_xpath: Sequence[str] = (),
) -> ExtractedArticle | None:
    """Extract the article of one page; None when the page holds no article text.

    ``content_xpath`` and ``remove_xpath`` are per-outlet overrides: where the body lives and
    which parts of the page never belong to it.
    """
    tree = load_html(html)
    if tree is None:
        return None
    meta = read_metadata(tree, url)
    if content_xpath:
        tree = _restrict_to(tree, content_xpath)
        if tree is None:
            return None
    _drop_stacked_articles(tree, meta.title)
    document = bare_extraction(
        tree,
        url=url,
        with_metadata=True,
        include_comments=False,
        include_tables=True,
        prune_xpath=[*BOILERPLATE_XPATHS, *remove_xpath],
    )
    body = document.text if document is not None and document.text else ""
    paragraphs = [p for p in (line.strip() for line in body.split("\n")) if p]
    paragraphs = _trim_to_declared_body(paragraphs, meta.article_body)
    title = meta.title or (document.title if document else None)
    author = meta.author or (document.author if document else None)
    paragraphs = clean_paragraphs(paragraphs, title=title, dek=meta.description, author=author)
    if not paragraphs and meta.article_body:
        paragraphs = [p.strip() for p in meta.article_body.split("\n") if p.strip()]
    if sum(len(p) for p in paragraphs) < MIN_ARTICLE_CHARS:
        return None
    published = meta.published
    if published is None and document is not None and document.date:
        published = parse_datetime(document.date)
    return ExtractedArticle(
        url=meta.url or (document.url if document and document.url else None) or url,
        title=title,
        author=author,
        published=published,
        language=meta.language,
        text="\n\n".join(paragraphs),
    )


def _restrict_to(tree: HtmlElement, content_xpath: str) -> HtmlElement | None:
    """A copy of the page whose body holds only the nodes the outlet says hold the article."""
    nodes = [n for n in tree.xpath(content_xpath) if isinstance(n, etree._Element)]
    if not nodes:
        return None
    root = etree.Element("html")
    head = tree.find("head")
    if head is not None:
        root.append(deepcopy(head))
    body = etree.SubElement(root, "body")
    for node in nodes:
        body.append(deepcopy(node))
    return load_html(etree.tostring(root, encoding="unicode"))


def _drop_stacked_articles(tree: HtmlElement, title: str | None) -> None:
    """Keep only the first of several full articles stacked in one DOM (infinite scroll).

    A later block is dropped when it is a sibling of the main article's block with the same
    tag and class, holds its own headline and enough text to be an article of its own.
    """
    headlines = tree.xpath("//h1")
    if len(headlines) < 2:
        headlines = tree.xpath("//article[not(ancestor::article)]")
        if len(headlines) < 2:
            return
    main = _main_headline(headlines, title)
    following = headlines[headlines.index(main) + 1 :]
    for other in following:
        if not _is_inside(other, tree):
            continue
        first_block, other_block = _sibling_blocks(main, other)
        if first_block is None or other_block is None:
            continue
        same_kind = (first_block.tag, first_block.get("class")) == (
            other_block.tag,
            other_block.get("class"),
        )
        if same_kind and len(other_block.text_content()) >= MIN_STACKED_BLOCK_CHARS:
            other_block.drop_tree()


def _main_headline(headlines: list[HtmlElement], title: str | None) -> HtmlElement:
    if title:
        wanted = normalize(title)
        for headline in headlines:
            if normalize(headline.text_content()) == wanted:
                return headline
    return headlines[0]


def _is_inside(node: HtmlElement, root: HtmlElement) -> bool:
    return any(ancestor is root for ancestor in node.iterancestors())


def _sibling_blocks(
    first: HtmlElement, other: HtmlElement
) -> tuple[HtmlElement | None, HtmlElement | None]:
    """The children of the lowest common ancestor that contain ``first`` and ``other``."""
    first_chain = [first, *first.iterancestors()]
    other_chain = [other, *other.iterancestors()]
    other_ids = {id(node) for node in other_chain}
    for depth, node in enumerate(first_chain):
        if id(node) in other_ids:
            if depth == 0:
                return None, None
            first_block = first_chain[depth - 1]
            other_block = next(n for n in other_chain if n.getparent() is node)
            if first_block is other_block:
                return None, None
            return first_block, other_block
    return None, None


def _trim_to_declared_body(paragraphs: list[str], article_body: str | None) -> list[str]:
    """Cut what follows the end of the body the page declares in its structured data."""
    if not article_body or len(article_body) < 200 or not paragraphs:
        return paragraphs
    tail = normalize(article_body)[-60:]
    seen = ""
    for index, paragraph in enumerate(paragraphs):
        seen += " " + normalize(paragraph)
        if tail in seen:
            return paragraphs[: index + 1]
    return paragraphs


# --- metadata -----------------------------------------------------------------------------------
ARTICLE_TYPES = re.compile(r"Article|BlogPosting|Report|NewsArticle|Posting", re.IGNORECASE)
DATE_META_NAMES = (
    "article:published_time",
    "og:article:published_time",
    "pubdate",
    "publishdate",
    "publish-date",
    "date",
    "dc.date",
    "dc.date.issued",
    "dcterms.created",
    "sailthru.date",
    "parsely-pub-date",
)
TITLE_SEPARATORS = re.compile(r"\s+[|\-–—:·»]\s+")
LANGUAGE_CODE = re.compile(r"^([a-zA-Z]{2})(?:[-_][a-zA-Z]{2,4})?$")


@dataclass(frozen=True, slots=True)
class PageMetadata:
    url: str | None
    title: str | None
    author: str | None
    published: datetime | None
    language: str | None
    description: str | None
    article_body: str | None


def read_metadata(tree: HtmlElement, url: str | None) -> PageMetadata:
    """Read what the page declares about itself: link/meta tags, JSON-LD, ``<html lang>``."""
    metas = _meta_values(tree)
    ld_article = _json_ld_article(tree)
    return PageMetadata(
        url=_declared_url(tree, metas, url),
        title=_title(tree, metas, ld_article),
        author=_ld_author(ld_article) or metas.get("author") or metas.get("article:author"),
        published=_published(tree, metas, ld_article),
        language=_language(tree, metas, ld_article),
        description=metas.get("og:description") or metas.get("description"),
        article_body=_string(ld_article.get("articleBody")),
    )


def _meta_values(tree: HtmlElement) -> dict[str, str]:
    values: dict[str, str] = {}
    for meta in tree.iter("meta"):
        key = meta.get("property") or meta.get("name") or meta.get("itemprop")
        if not key and meta.get("http-equiv"):
            key = "http-equiv:" + meta.get("http-equiv", "")
        content = (meta.get("content") or "").strip()
        if key and content:
            values.setdefault(key.strip().lower(), content)
    return values


def _json_ld_article(tree: HtmlElement) -> dict[str, object]:
    """The first JSON-LD object typed as an article (looking inside ``@graph`` lists too)."""
    for script in tree.xpath("//script[@type='application/ld+json']"):
        try:
            data = json.loads(script.text_content() or "")
        except ValueError:
            continue
        for item in _ld_items(data):
            kind = item.get("@type")
            kinds = kind if isinstance(kind, list) else [kind]
            if any(isinstance(k, str) and ARTICLE_TYPES.search(k) for k in kinds):
                return item
    return {}


def _ld_items(data: object) -> list[dict[str, object]]:
    if isinstance(data, list):
        return [item for element in data for item in _ld_items(element)]
    if isinstance(data, dict):
        graph = data.get("@graph")
        return [data, *(_ld_items(graph) if graph else [])]
    return []


def _string(value: object) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _ld_author(article: dict[str, object]) -> str | None:
    authors = article.get("author")
    entries = authors if isinstance(authors, list) else [authors]
    names = [
        name
        for entry in entries
        if (name := _string(entry.get("name") if isinstance(entry, dict) else entry))
    ]
    return ", ".join(names) or None


def _declared_url(tree: HtmlElement, metas: dict[str, str], url: str | None) -> str | None:
    canonical = tree.xpath("//link[@rel='canonical']/@href")
    declared = (canonical[0].strip() if canonical else "") or metas.get("og:url", "")
    return urljoin(url or "", declared) if declared else url


def _title(tree: HtmlElement, metas: dict[str, str], article: dict[str, object]) -> str | None:
    """The headline without the site-name suffix page titles carry."""
    headings = [normalize(h.text_content()) for h in tree.xpath("//h1")]
    candidates = [
        _string(article.get("headline")),
        metas.get("og:title"),
        metas.get("twitter:title"),
        _string(tree.findtext(".//title")),
    ]
    site_name = normalize(metas.get("og:site_name", ""))
    for candidate in filter(None, candidates):
        candidate = " ".join(candidate.split())
        if normalize(candidate) in headings:
            return candidate
        parts = TITLE_SEPARATORS.split(candidate)
        if len(parts) > 1:
            head = TITLE_SEPARATORS.split(candidate, maxsplit=len(parts) - 2)[0]
            if normalize(head) in headings or (site_name and normalize(parts[-1]) == site_name):
                return head
    h1 = tree.xpath("//h1")
    if h1 and (text := " ".join(h1[0].text_content().split())):
        return text
    first = next(filter(None, candidates), None)
    return " ".join(first.split()) if first else None


def _published(
    tree: HtmlElement, metas: dict[str, str], article: dict[str, object]
) -> datetime | None:
    values = [_string(article.get("datePublished")), _string(article.get("dateCreated"))]
    values += [metas.get(name) for name in DATE_META_NAMES]
    values += tree.xpath("//*[@itemprop='datePublished']/@content")
    values += tree.xpath("//*[@itemprop='datePublished']/@datetime")
    values += tree.xpath("//time[@datetime]/@datetime")[:1]
    for value in filter(None, values):
        if moment := parse_datetime(value):
            return moment
    return None


def parse_datetime(value: str) -> datetime | None:
    """ISO 8601 to an aware UTC datetime; naive values are taken as UTC, dates as midnight."""
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _language(tree: HtmlElement, metas: dict[str, str], article: dict[str, object]) -> str | None:
    values = [
        tree.get("lang"),
        tree.get("{http://www.w3.org/XML/1998/namespace}lang"),
        metas.get("http-equiv:content-language"),
        metas.get("og:locale"),
        _string(article.get("inLanguage")),
    ]
    for value in filter(None, values):
        if match := LANGUAGE_CODE.match(value.strip()):
            return match.group(1).lower()
    return None


# --- boilerplate paragraphs ---------------------------------------------------------------------
# Paragraphs that are page furniture wherever they appear, recognised by their wording.
BOILERPLATE_PARAGRAPHS = tuple(
    re.compile(pattern, re.IGNORECASE)
    for pattern in (
        r"^(top |main |header |featured )?(photo|image|picture|video) credits?\s*:",
        r"^(keep reading|read more|show (less|more)|continue reading)(\s*show (less|more))?$",
        r"^.{0,40}keep reading\s*show less$",
        r"^(subscribe|sign up)( now)? (to|for) (our|the) .{0,60}"
        r"(newsletter|round-?up|digest|briefing|updates)\b",
        r"^follow us( on (social|social media|twitter|facebook|x))?\.?$",
        r"^(top|bottom) of page$",
        r"^(back to top|skip to (main )?content)$",
        r"^physical address:?$",
        r"^[a-z]{2}_[A-Z]{2}\s?[A-Z][a-z]+$",  # language switcher: "en_USEnglish"
        r"^(latest|newsletter|related|most popular|trending)$",
    )
)
# A paragraph holding only a quotation and its attribution: a quote-of-the-day widget.
QUOTE_WIDGET = re.compile(r'^["“][^"”]{10,400}["”]\s*[-–—]\s*[A-Z][\w.\' ]{2,50}$')
SECTION_LABEL = re.compile(r"^[\w&' ]{2,30}( \| [\w&' ]{2,30})+$")
LEADING_WINDOW = 4
TRAILING_BIO_WINDOW = 3


def normalize(text: str) -> str:
    """Casefolded words only: for comparing text across markup and punctuation variants."""
    return " ".join(re.findall(r"\w+", text.casefold()))


def clean_paragraphs(
    paragraphs: Sequence[str], *, title: str | None, dek: str | None, author: str | None
) -> list[str]:
    """Drop the repeated headline/dek at the start, furniture anywhere, a bio at the end."""
    kept = [
        " ".join(p.replace("\xa0", " ").split())
        for p in paragraphs
        if not any(pattern.search(p.strip()) for pattern in BOILERPLATE_PARAGRAPHS)
        and not QUOTE_WIDGET.match(p.strip())
    ]
    kept = [p for p in kept if p]
    repeats = {normalize(t) for t in (title, dek) if t}
    for _ in range(LEADING_WINDOW):
        if len(kept) > 1 and (normalize(kept[0]) in repeats or SECTION_LABEL.match(kept[0])):
            kept.pop(0)
    if author:
        bio_start = re.compile(rf"^{re.escape(author.split(',')[0].strip())} (is|was|has)\b")
        tail = len(kept) - TRAILING_BIO_WINDOW
        kept = [p for i, p in enumerate(kept) if i < tail or not bio_start.match(p)] or kept
    return kept
