"""Pages of the sample Wix think tank: no ``<article>``, deeply nested generated-class ``<div>``s,
"top of page"/"bottom of page" anchors and a random-quote widget inside the body column."""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from html import escape

from newsradar.demo.content import QUOTE_WIDGET
from newsradar.demo.markup import attr, human_date, inline_html, iso
from newsradar.demo.statecraft import Placed

SITE_NAME = "Middle East Policy Forum (sample)"
QUOTE_AFTER_PARAGRAPH = 4
CATEGORIES = ("iraq", "water")


def _comp_id(seed: str) -> str:
    return f"comp-{zlib.crc32(seed.encode()):08x}"[:13]


def _rich_text(seed: str, inner: str) -> str:
    return (
        f'<div id="{_comp_id(seed)}" class="KcpHeO tz5f0K comp-{seed[:6]} wixui-rich-text" '
        f'data-testid="richTextElement">{inner}</div>'
    )


def _paragraph(text: str, font: str = "font_8") -> str:
    return (
        f'<p class="{font} wixui-rich-text__text"><span style="letter-spacing:normal;" '
        f'class="wixui-rich-text__text">{inline_html(text, "/blog")}</span></p>'
    )


def _nested(inner: str, depth: int, seed: str) -> str:
    for level in range(depth):
        generated = _comp_id(seed + str(level))[5:]
        inner = f'<div class="{generated} wixui-box" data-mesh-id="m{level}">{inner}</div>'
    return inner


def post_page(item: Placed) -> str:
    a = item.article
    head = (
        f"<title>{escape(a.title)} | {SITE_NAME}</title>"
        f'<meta name="description" content="{attr(a.dek)}">'
        f'<meta property="og:title" content="{attr(a.title)} | {SITE_NAME}">'
        f'<meta property="og:description" content="{attr(a.dek)}">'
        f'<meta property="og:url" content="{attr(item.url)}">'
        f'<meta property="og:site_name" content="{SITE_NAME}">'
        '<meta property="og:type" content="website">'
        f'<meta name="author" content="{attr(a.author)}">'
    )
    before = a.paragraphs[:QUOTE_AFTER_PARAGRAPH]
    after = a.paragraphs[QUOTE_AFTER_PARAGRAPH:]
    column = (
        _rich_text("title", f'<h1 class="font_0 wixui-rich-text__text">{escape(a.title)}</h1>')
        + _rich_text("dek", _paragraph(a.dek, "font_7"))
        + _rich_text(
            "byline",
            f'<p class="font_9 wixui-rich-text__text">{escape(a.author)} · '
            f'<time datetime="{iso(item.published)}">{human_date(item.published)}</time></p>',
        )
        + _rich_text("body1", "".join(_paragraph(p) for p in before))
        + _rich_text("quote", _paragraph(QUOTE_WIDGET))
        + _rich_text("body2", "".join(_paragraph(p) for p in after))
    )
    section = (
        f'<section id="{_comp_id(a.slug)}" class="wixui-section">'
        f'<div class="wixui-column-strip"><div class="wixui-column-strip__column">'
        f"{_nested(column, 4, a.slug)}</div></div></section>"
    )
    return _page(head, section)


def blog_page(items: Sequence[Placed]) -> str:
    cards = "".join(
        f'<div class="blog-post-card"><a href="{attr(p.url)}" class="post-link">'
        f"<h2>{escape(p.article.title)}</h2></a><p>{escape(p.article.dek)}</p></div>"
        for p in items
    )
    links = (
        '<a href="/blog">All Posts</a>'
        + "".join(f'<a href="/blog/categories/{c}">{c.title()}</a>' for c in CATEGORIES)
        + '<a href="/about">About</a><a href="/contact">Contact</a>'
        '<a href="https://partner.example.org/post/iraq-roundtable">Partner event</a>'
    )
    return _page(f"<title>Blog | {SITE_NAME}</title>", _nested(cards + links, 3, "blog"))


def plain_page(title: str, text: str) -> str:
    return _page(
        f"<title>{escape(title)} | {SITE_NAME}</title>",
        _nested(_rich_text(title.lower(), _paragraph(text)), 3, title),
    )


def _page(head: str, content: str) -> str:
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">{head}'
        f'<link rel="alternate" type="application/rss+xml" title="{SITE_NAME} - RSS" '
        'href="/blog-feed.xml"></head>'
        '<body><div id="SITE_CONTAINER"><div id="main_MF" class="main_MF">'
        '<div id="SCROLL_TO_TOP" class="Vd6aQZ ignore-focus" tabindex="-1" role="region" '
        'aria-label="top of page"><span class="mStmQC">top of page</span></div>'
        '<div id="site-root"><header id="SITE_HEADER" class="wixui-header">'
        '<nav class="wixui-horizontal-menu"><a href="/">Home</a><a href="/blog">Blog</a>'
        '<a href="/about">About</a><a href="/contact">Contact</a></nav></header>'
        f'<main id="PAGES_CONTAINER"><div id="SITE_PAGES">{content}</div></main>'
        '<footer id="SITE_FOOTER" class="wixui-footer"><p>© 2024 by Middle East Policy Forum.'
        "</p></footer></div>"
        '<div id="SCROLL_TO_BOTTOM" class="Vd6aQZ ignore-focus" tabindex="-1" role="region" '
        'aria-label="bottom of page"><span class="mStmQC">bottom of page</span></div>'
        "</div></div></body></html>"
    )
