"""Cleaning the engine's paragraphs: what follows the body the page declares goes, and so do the
repeated headline and dek, page furniture recognised by its wording (newsletter boxes, photo
credits, quote widgets, page anchors) and an author bio at the end."""

from __future__ import annotations

import re
from collections.abc import Sequence

from lxml import etree
from lxml.html import HtmlElement

from crawler.normalize import normalize

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
        r"^\[(\w+)\b[^\]]*\].*\[/\1\]$",  # an unrendered shortcode: "[button ...]...[/button]"
    )
)
# A short paragraph pitching the outlet's newsletter.
NEWSLETTER_PITCH = re.compile(
    r"^(?=.*\bnewsletters?\b)(?=.*\b(sign(ing)? up|inbox)\b).{0,300}$", re.IGNORECASE
)
# Near the end, a line asking to follow the author or the outlet on social media.
FOLLOW_PROMO = re.compile(
    r"\b[Ff]ollow\b[^.!?]{0,60}?\b(on|at) (?i:twitter|facebook|instagram|youtube|linkedin|threads"
    r"|bluesky)\b|\b[Ff]ollow (us|him|her|them|me)\b[^.!?]{0,30}@\w"
)
MAX_PROMO_CHARS = 400
TRAILING_PROMO_WINDOW = 4
# A paragraph holding only a quotation and its attribution: a quote-of-the-day widget.
QUOTE_WIDGET = re.compile(r'^["“][^"”]{10,400}["”]\s*[-–—]\s*[A-Z][\w.\' ]{2,50}$')
SECTION_LABEL = re.compile(r"^[\w&' ]{2,30}( \| [\w&' ]{2,30})+$")
LEADING_WINDOW = 4
TRAILING_BIO_WINDOW = 3


def clean_paragraphs(
    paragraphs: Sequence[str], *, title: str | None, dek: str | None, author: str | None
) -> list[str]:
    """Drop the repeated headline/dek at the start, furniture anywhere, a bio at the end."""
    kept = [
        " ".join(p.replace("\xa0", " ").split())
        for p in paragraphs
        if not any(pattern.search(p.strip()) for pattern in BOILERPLATE_PARAGRAPHS)
        and not QUOTE_WIDGET.match(p.strip())
        and not NEWSLETTER_PITCH.match(p.strip())
    ]
    kept = [p for p in kept if p]
    tail = len(kept) - TRAILING_PROMO_WINDOW
    kept = [p for i, p in enumerate(kept) if i < tail or not _is_follow_promo(p)] or kept
    repeats = {normalize(t) for t in (title, dek) if t}
    for _ in range(LEADING_WINDOW):
        if len(kept) > 1 and (normalize(kept[0]) in repeats or SECTION_LABEL.match(kept[0])):
            kept.pop(0)
    if author:
        bio_start = re.compile(rf"^{re.escape(author.split(',')[0].strip())} (is|was|has)\b")
        tail = len(kept) - TRAILING_BIO_WINDOW
        kept = [p for i, p in enumerate(kept) if i < tail or not bio_start.match(p)] or kept
    return kept


def _is_follow_promo(paragraph: str) -> bool:
    return len(paragraph) <= MAX_PROMO_CHARS and FOLLOW_PROMO.search(paragraph) is not None


def dek_is_separate(tree: HtmlElement, dek: str, leading: list[str]) -> bool:
    """Whether the page's description, found among the leading paragraphs, is a dek shown apart
    from the body or the body's own first paragraph.

    Many pages describe themselves with their first paragraph; only a description set apart
    (a heading, a classed excerpt, a block of its own) is a dek to drop from the body.
    """
    wanted = normalize(dek)
    if not wanted or all(normalize(p) != wanted for p in leading):
        return False
    words = dek.split()[:4]
    for element in DEK_CANDIDATES(tree, start=" ".join(words)) if words else ():
        if normalize(element.text_content()) != wanted:
            continue
        if element.tag != "p" or DEK_CLASS.search(element.get("class") or ""):
            return True
        # The body's first paragraph has more paragraphs after it (ads may stand between).
        return not any(sibling.tag == "p" for sibling in element.itersiblings())
    return True


DEK_CANDIDATES = etree.XPath(
    "//body//*[self::p or self::h2 or self::h3 or self::h4 or self::div or self::span]"
    "[starts-with(normalize-space(.), $start)]"
)
DEK_CLASS = re.compile(
    r"excerpt|dek|deck|standfirst|sub-?title|sub-?head|summary|intro|teaser|descr|lede|strap",
    re.IGNORECASE,
)


def trim_to_declared_body(paragraphs: list[str], article_body: str | None) -> list[str]:
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
