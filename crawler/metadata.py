"""Page metadata: what a page declares about itself, read before its body is cut out.

Title, author, published date, language, canonical URL, description and the article body given
in structured data are taken from what the page says of itself (link and meta tags, JSON-LD,
``<html lang>``, its ``<h1>`` and ``<time>`` markup), not guessed from the body text. They are
read from the whole page before extraction prunes and reshapes it, and extraction relies on them:
the title picks the main headline among stacked articles, the declared body marks where the text
ends, the description is the dek to drop.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urljoin

from lxml import etree
from lxml.html import HtmlElement

from crawler.normalize import normalize

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
    for script in tree.iter("script"):
        if script.get("type") != "application/ld+json":
            continue
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
    canonical = next(
        (link.get("href") for link in tree.iter("link") if link.get("rel") == "canonical"), None
    )
    declared = (canonical or "").strip() or metas.get("og:url", "")
    return urljoin(url or "", declared) if declared else url


def _title(tree: HtmlElement, metas: dict[str, str], article: dict[str, object]) -> str | None:
    """The headline without the site-name suffix page titles carry."""
    h1 = list(tree.iter("h1"))
    headings = [normalize(h.text_content()) for h in h1]
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
    if h1 and (text := " ".join(h1[0].text_content().split())):
        return text
    first = next(filter(None, candidates), None)
    return " ".join(first.split()) if first else None


def _published(
    tree: HtmlElement, metas: dict[str, str], article: dict[str, object]
) -> datetime | None:
    values = [_string(article.get("datePublished")), _string(article.get("dateCreated"))]
    values += [metas.get(name) for name in DATE_META_NAMES]
    for value in filter(None, values):
        if moment := parse_datetime(value):
            return moment
    for value in DATE_MARKUP(tree):  # searched only when the head declares no date
        if moment := parse_datetime(value):
            return moment
    return None


DATE_MARKUP = etree.XPath(
    "//*[@itemprop='datePublished']/@content | //*[@itemprop='datePublished']/@datetime"
    " | (//time[@datetime])[1]/@datetime"
)


def parse_datetime(value: str) -> datetime | None:
    """ISO 8601 to an aware UTC datetime; naive values are taken as UTC, dates as midnight."""
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


URL_DATE = re.compile(r"/((?:19|20)\d{2})[/-](\d{1,2})[/-](\d{1,2})(?=[/_.-]|$)")


def date_in_url(url: str | None) -> datetime | None:
    """The day a URL names (``/2024/01/05/``), as UTC midnight: the last resort for a date."""
    match = URL_DATE.search(url or "")
    if match is None:
        return None
    try:
        year, month, day = (int(part) for part in match.groups())
        return datetime(year, month, day, tzinfo=UTC)
    except ValueError:
        return None


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
