"""Inferring an outlet's `article_url_pattern` from the shapes of URLs it lists as articles.

Feeds and news sitemaps list articles; what they list has a few shapes per outlet: dated paths
(`/2024/01/05/slug/`), a slug ending in an id (`/slug-2667512345`), a fixed prefix (`/post/slug`),
or a bare slug (`/slug/`). Each path segment is classed (year, number, slug with id, slug, word),
URLs are grouped by the classes of their segments, and each large group becomes one alternative
of the pattern: a segment that never varies is kept literally, one that varies becomes its
class's expression. Pages that are not articles (tags, authors, sections, about, contact,
privacy, archives) either have another shape or, for bare slugs, fewer words. Listed pages
named like those are left out before inferring, and reported if the pattern still matches one.
The pattern is RE2 syntax (no lookarounds), checked with `crawler.url_pattern`.
"""

from __future__ import annotations

import functools
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from crawler.url_pattern import compile_url_pattern

# Path words of pages that list or describe, never of an article.
NON_ARTICLE_WORDS = frozenset(
    (
        "about", "about-us", "account", "archive", "archives", "author", "authors", "blog",
        "blogs", "categories", "category", "contact", "contact-us", "cookie-policy", "cookies",
        "donate", "events", "faq", "feed", "feeds", "home", "index", "jobs", "login",
        "newsletter", "page", "pages", "people", "podcasts", "privacy", "privacy-policy",
        "profile", "profiles", "search", "section", "sections", "shop", "sitemap", "staff",
        "subscribe", "support", "tag", "tags", "team", "terms", "terms-of-service",
        "terms-of-use", "topic", "topics", "video", "videos", "wp-admin", "wp-content",
    )
)  # fmt: skip
MAX_ALTERNATIVES = 4
MAX_SECTION_CHOICES = 12  # a varying section word becomes a list of the words seen, up to this
COVERAGE = 0.95  # alternatives are added until they cover this share of the article URLs
MAX_SLUG_HYPHENS = 3
SMALL_SAMPLE = 10  # below this many article URLs, a shape seen once still counts

_YEAR = re.compile(r"^(19|20)\d\d$")
_SHORT_NUMBER = re.compile(r"^\d{1,2}$")
_NUMBER = re.compile(r"^\d+$")
_SLUG_ID = re.compile(r"^[a-z0-9-]*[a-z][a-z0-9-]*-(\d{5,})(\.[a-z]{2,5})?$")
_ID_SLUG = re.compile(r"^\d{4,}-[a-z0-9-]+$")
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)+(\.[a-z]{2,5})?$")
_WORD = re.compile(r"^[a-z0-9_]+(\.[a-z]{2,5})?$")
_HOST_PART = r"^https?://[^/]+"


@dataclass(frozen=True)
class Segment:
    kind: str  # year, short, number, slug-id, id-slug, slug, word, other
    value: str


@dataclass(frozen=True)
class Inference:
    pattern: str | None
    covered: int  # article URLs the pattern matches
    total: int  # article URLs it was inferred from
    excluded: tuple[str, ...]  # non-article URLs that were checked and do not match
    still_matching: tuple[str, ...]  # non-article URLs the pattern could not be kept from


@functools.lru_cache(maxsize=100_000)  # each URL is looked at several times while inferring
def segments(url: str) -> tuple[Segment, ...]:
    path = unquote(urlsplit(url).path).lower()
    return tuple(_classify(part) for part in path.split("/") if part)


def _classify(part: str) -> Segment:
    if _YEAR.match(part):
        return Segment("year", part)
    if _SHORT_NUMBER.match(part):
        return Segment("short", part)
    if _NUMBER.match(part):
        return Segment("number", part)
    for kind, shape in (("slug-id", _SLUG_ID), ("id-slug", _ID_SLUG), ("slug", _SLUG)):
        if shape.match(part):
            return Segment(kind, part)
    if _WORD.match(part):
        return Segment("word", part)
    return Segment("other", part)


def looks_like_non_article(url: str) -> bool:
    """The home page, or a path naming a listing or a site page (`/tag/x/`, `/about/`)."""
    parts = segments(url)
    if not parts:
        return True
    if any(s.value in NON_ARTICLE_WORDS for s in parts[:-1]):
        return True
    last = parts[-1].value.rsplit(".", 1)[0] if parts[-1].kind != "slug-id" else ""
    numbers_only = all(s.kind in ("year", "short", "number") for s in parts)
    return last in NON_ARTICLE_WORDS or (len(parts) <= 3 and numbers_only)


def is_article_shaped(url: str) -> bool:
    """A link that may be an article by its shape alone: a dated path, a slug with an id, or a
    slug of three words or more, and nothing naming a listing."""
    if looks_like_non_article(url):
        return False
    parts = segments(url)
    kinds = {s.kind for s in parts}
    last = parts[-1]
    dated = "year" in kinds and last.kind in ("slug", "slug-id", "word", "id-slug")
    many_words = last.kind == "slug" and last.value.count("-") >= 2
    return dated or many_words or last.kind in ("slug-id", "id-slug")


def _group_key(url: str) -> tuple[tuple[str, ...], bool]:
    """Segment classes; a section name (word or slug) before the last segment counts as a word,
    and after a date any slug is a slug (`/2024/01/05/story-12345/` is not another shape)."""
    parts = segments(url)
    kinds = [("word" if s.kind == "slug" else s.kind) for s in parts[:-1]]
    dated = "year" in kinds
    after_date = ("slug-id", "word")
    kinds.extend("slug" if dated and s.kind in after_date else s.kind for s in parts[-1:])
    return tuple(kinds), urlsplit(url).path.endswith("/")


def infer_pattern(articles: Iterable[str], others: Iterable[str] = ()) -> Inference:
    """The pattern matching (nearly) all of `articles` and none of the non-article pages among
    `others` (and among `articles`: a tag page a feed lists is still a tag page)."""
    listed = list(dict.fromkeys(articles))
    pages = [u for u in listed if not looks_like_non_article(u)]
    non_articles = sorted({u for u in (*listed, *others) if looks_like_non_article(u)})
    if not pages:
        return Inference(None, 0, 0, tuple(non_articles), ())
    groups: dict[tuple[tuple[str, ...], bool], list[str]] = defaultdict(list)
    for url in pages:
        groups[_group_key(url)].append(url)
    ordered = sorted(groups.values(), key=len, reverse=True)
    chosen: list[list[str]] = []
    for group in ordered[:MAX_ALTERNATIVES]:
        if chosen and sum(map(len, chosen)) >= COVERAGE * len(pages):
            break
        if chosen and len(group) < 2 and len(pages) >= SMALL_SAMPLE:
            break
        chosen.append(group)
    alternatives = [_alternative(group) for group in chosen]
    pattern = _HOST_PART + "(?:" + "|".join(alternatives) + ")/?$"
    if len(alternatives) == 1:
        pattern = _HOST_PART + alternatives[0] + "/?$"
    compiled = compile_url_pattern(pattern)
    covered = sum(1 for u in pages if compiled.search(u) is not None)
    matching = tuple(u for u in non_articles if compiled.search(u) is not None)
    excluded = tuple(u for u in non_articles if u not in matching)
    return Inference(pattern, covered, len(pages), excluded, matching)


def _alternative(group: Sequence[str]) -> str:
    """One shape's expression (a path without its final slash). A bare slug (nothing fixed,
    dated or numbered around it) must have as many words as the articles' shortest, up to
    four: site pages have short names (`about-us`, `terms-of-use`), articles longer ones."""
    shaped = [segments(u) for u in group]
    width = len(shaped[0])
    anchored = any(s.kind in ("year", "number", "slug-id", "id-slug") for s in shaped[0])
    columns = [[parts[i].value for parts in shaped] for i in range(width)]
    fixed = [
        len(set(column)) == 1
        and shaped[0][i].kind in ("word", "slug")
        and (len(group) > 1 or shaped[0][i].kind == "word")
        for i, column in enumerate(columns)
    ]
    anchored = anchored or any(fixed)
    words = 0 if anchored else min(c.count("-") for c in columns[-1]) if width else 0
    kinds = [_column_kind({parts[i].kind for parts in shaped}) for i in range(width)]
    return _path_expression(kinds, columns, fixed, min_hyphens=min(words, MAX_SLUG_HYPHENS))


def _column_kind(kinds: set[str]) -> str:
    """A column's class; a section column may mix words and slugs, anything else mixed is
    `other` (any segment)."""
    if len(kinds) == 1:
        return kinds.pop()
    return "word" if kinds <= {"word", "slug"} else "other"


def _path_expression(
    kinds: Sequence[str],
    columns: Sequence[Sequence[str]],
    fixed: Sequence[bool],
    *,
    min_hyphens: int,
) -> str:
    parts = []
    last = len(kinds) - 1
    for index, kind in enumerate(kinds):
        column = columns[index]
        if fixed[index]:
            parts.append(re.escape(column[0]))
        else:
            parts.append(_variable(kind, column, min_hyphens if index == last else 0))
    return "".join("/" + p for p in parts)


def _variable(kind: str, column: Sequence[str], min_hyphens: int) -> str:
    lengths = {len(v) for v in column}
    if kind == "year":
        return r"\d{4}"
    if kind == "short":
        return r"\d{2}" if lengths == {2} else r"\d{1,2}"
    if kind == "number":
        return rf"\d{{{min(lengths)},}}"
    if kind == "slug-id":
        digits = min(len(_SLUG_ID.match(v).group(1)) for v in column)  # type: ignore[union-attr]  # why: every value of this column matched the shape
        extension = {(_SLUG_ID.match(v).group(2) or "") for v in column}  # type: ignore[union-attr]  # why: as above
        tail = re.escape(extension.pop()) if len(extension) == 1 else r"(?:\.[a-z]+)?"
        return rf"[^/]*-\d{{{min(digits, 9)},}}{tail}"
    if kind == "id-slug":
        return r"\d{4,}-[^/]+"
    choices = set(column)
    repeated = len(choices) < len(column) and len(choices) <= MAX_SECTION_CHOICES
    if (
        kind in ("word", "slug")
        and not min_hyphens
        and repeated
        and not choices & NON_ARTICLE_WORDS
    ):
        return "(?:" + "|".join(re.escape(v) for v in sorted(set(column))) + ")"
    if min_hyphens:
        return rf"[a-z0-9]+(?:-[a-z0-9]+){{{min_hyphens},}}(?:\.[a-z]+)?"
    return r"[^/]+"
