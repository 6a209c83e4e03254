"""Pages of the sample "Responsible Statecraft" outlet, modelled on its RebelMouse markup.

Article pages scroll infinitely: the full texts of the next articles follow the requested one in
the same DOM, each in its own repeated widget block with its own headline.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from newsradar.demo.content import STATECRAFT_RAIL, SampleArticle
from newsradar.demo.markup import attr, human_date, inline_html, iso, json_ld, slugify

SITE_NAME = "Responsible Statecraft (sample)"
NEWSLETTER = (
    "Subscribe now to our weekly round-up and don't miss a beat with your favorite RS "
    "contributors and reporters, as well as staff analysis, opinion, and news promoting a "
    "positive, non-partisan vision of U.S. foreign policy."
)
PARTNER_URL = "https://partner.example.org/2024/01/05/iraq-militias-partner-coverage/"


@dataclass(frozen=True, slots=True)
class Placed:
    """An article with where and when it appears on the site."""

    article: SampleArticle
    url: str
    published: datetime


def _social_bar() -> str:
    return (
        '<div class="social-bar"><span class="social-bar__title">Follow us on social</span>'
        '<a class="social-bar__link" href="https://x.example.org/rstatecraft">X</a>'
        '<a class="social-bar__link" href="https://fb.example.org/rstatecraft">Facebook</a></div>'
    )


def _header() -> str:
    return (
        '<header class="topbar"><a class="topbar__logo" href="/">Responsible Statecraft</a>'
        '<nav class="topbar__nav"><a href="/tag/middle-east/">Middle East</a>'
        '<a href="/tag/europe/">Europe</a><a href="/qiosk/">QiOSK</a><a href="/about/">About</a>'
        "</nav>"
        f"{_social_bar()}</header>"
    )


def _post_widget(item: Placed) -> str:
    a = item.article
    section_links = " | ".join(
        f'<a href="/tag/{slugify(part)}/">{attr(part)}</a>' for part in a.section.split(" | ")
    )
    body = "".join(
        f"<h3>{attr(p)}</h3>" if p in a.subheadings else f"<p>{inline_html(p)}</p>"
        for p in a.paragraphs
    )
    credit = (
        f'<div class="photo-credit"><p>Photo credit: {attr(a.image_credit)}</p></div>'
        if a.image_credit
        else ""
    )
    bio = f'<div class="author-bio"><p>{attr(a.author_bio)}</p></div>' if a.author_bio else ""
    headline_tag = "h1"  # every scrolled-in post repeats the full template
    return (
        f'<div class="widget widget--post" data-post-url="{attr(item.url)}">'
        '<div class="widget__head">'
        f'<{headline_tag} class="widget__headline"><a class="widget__headline-text" '
        f'href="{attr(item.url)}">{attr(a.title)}</a></{headline_tag}>'
        f'<h2 class="widget__subheadline">{attr(a.dek)}</h2>'
        f'<div class="widget__section">{section_links}</div>'
        f'<figure class="widget__image"><img src="/media/{a.slug}.jpg" alt="{attr(a.title)}">'
        f"<figcaption>{attr(a.title)}</figcaption></figure>"
        f'<div class="social-author"><a class="social-author__name" '
        f'href="/author/{slugify(a.author)}/">{attr(a.author)}</a>'
        f'<span class="social-date">{human_date(item.published)}</span></div>'
        "</div>"
        f'<div class="widget__body clearfix"><div class="body-description">{body}</div></div>'
        f"{bio}{credit}"
        f'<div class="widget__shares">{_social_bar()}</div>'
        "</div>"
    )


def _rail() -> str:
    teasers = "".join(
        '<div class="teaser">'
        f'<div class="teaser__section">{attr(t.image_alt)}</div>'
        f'<img src="/media/teaser-{slugify(t.title)}.jpg" alt="{attr(t.image_alt)}">'
        f'<div class="teaser__credit">{attr(t.credit)}</div>'
        f'<h2 class="teaser__headline"><a href="{attr(t.path)}">{attr(t.title)}</a></h2>'
        f'<div class="teaser__tag"><a href="/tag/{slugify(t.section)}/">{attr(t.section)}</a></div>'
        f'<div class="teaser__body"><p>{attr(t.paragraphs[0])}</p><p>{attr(t.paragraphs[1])}</p>'
        '</div><span class="teaser__more"><a href="#">keep reading</a><a href="#">Show less</a>'
        "</span></div>"
        for t in STATECRAFT_RAIL
    )
    return (
        '<section class="rail rail--latest"><h3 class="rail__title">LATEST</h3>'
        f'{teasers}<h3 class="rail__title">QIOSK</h3></section>'
    )


def _newsletter() -> str:
    return (
        '<div class="newsletter-box"><h3>Newsletter</h3>'
        f"<p>{attr(NEWSLETTER)}</p>"
        '<form action="/subscribe" method="post"><input type="email" name="email">'
        '<button type="submit">Subscribe</button></form></div>'
    )


def article_page(item: Placed, following: Sequence[Placed], *, canonical: bool) -> str:
    """An article page; ``canonical`` pages declare themselves and carry ``articleBody``."""
    a = item.article
    ld: dict[str, object] = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": a.title,
        "datePublished": iso(item.published),
        "dateModified": iso(item.published),
        "author": [{"@type": "Person", "name": a.author}],
        "publisher": {"@type": "Organization", "name": SITE_NAME},
    }
    if canonical:
        ld["url"] = item.url
        ld["articleBody"] = " ".join(a.paragraphs)
    head = (
        f"<title>{attr(a.title)} - {SITE_NAME}</title>"
        + (f'<link rel="canonical" href="{attr(item.url)}">' if canonical else "")
        + f'<meta property="og:title" content="{attr(a.title)}">'
        f'<meta property="og:url" content="{attr(item.url)}">'
        f'<meta property="og:description" content="{attr(a.dek)}">'
        f'<meta name="description" content="{attr(a.dek)}">'
        f'<meta property="og:site_name" content="{SITE_NAME}">'
        f'<meta property="og:type" content="article">{json_ld(ld)}'
    )
    posts = _post_widget(item) + "".join(_post_widget(next_item) for next_item in following)
    return _page(head, f'<div class="posts-wrapper">{posts}</div>{_rail()}{_newsletter()}')


def listing_page(items: Sequence[Placed], alternates: Sequence[str]) -> str:
    """The home page: article links, alternate article URLs, tag/author pages, a partner link."""
    teasers = "".join(
        f'<div class="teaser"><h2><a href="{attr(p.url)}">{attr(p.article.title)}</a></h2>'
        f'<a class="author" href="/author/{slugify(p.article.author)}/">'
        f"{attr(p.article.author)}</a><p>{attr(p.article.dek)}</p></div>"
        for p in items
    )
    extra = "".join(f'<li><a href="{attr(url)}">Read in QiOSK</a></li>' for url in alternates)
    body = (
        f'<div class="posts-wrapper">{teasers}</div><ul class="qiosk-links">{extra}</ul>'
        '<ul class="tags"><li><a href="/tag/middle-east/">Middle East</a></li>'
        '<li><a href="/tag/europe/">Europe</a></li></ul>'
        f'<p class="partner"><a href="{PARTNER_URL}">Partner coverage</a></p>{_newsletter()}'
    )
    head = f"<title>{SITE_NAME}</title>"
    return _page(head, body)


def simple_page(title: str, items: Sequence[Placed]) -> str:
    links = "".join(f'<li><a href="{attr(p.url)}">{attr(p.article.title)}</a></li>' for p in items)
    head = f"<title>{attr(title)} - {SITE_NAME}</title>"
    return _page(head, f"<h1>{attr(title)}</h1><ul>{links}</ul>")


def _page(head: str, main: str) -> str:
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">{head}'
        f'<link rel="alternate" type="application/rss+xml" title="{SITE_NAME}" '
        'href="/feeds/feed.rss"></head>'
        f'<body class="rm-page">{_header()}<main id="main">{main}</main>'
        '<footer class="footer"><p>Copyright 2024 Quincy Institute for Responsible Statecraft'
        "</p></footer></body></html>"
    )
