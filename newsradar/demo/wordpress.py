"""Pages of the sample WordPress outlet ("Vox-style explainers"), with its theme's clutter:
a contact block in the header, sidebar widgets, a comment form and a language switcher whose
two spans glue into "en_USEnglish" when text nodes are concatenated."""

from __future__ import annotations

import zlib
from collections.abc import Sequence

from newsradar.demo.markup import attr, human_date, inline_html, iso, json_ld, slugify
from newsradar.demo.statecraft import Placed

SITE_NAME = "Vox-style explainers (sample)"
CATEGORIES = ("explainers", "world")  # in the menu
TAGS = ("iraq", "red-sea", "shipping", "us-military")  # pages of their own, as on any WordPress


def _header() -> str:
    return (
        '<header id="masthead" class="site-header">'
        '<div class="header-top"><div class="contact-block"><h4>Physical Address</h4>'
        "<p>304 North Cardinal St.<br>Dorchester Center, MA 02124</p></div>"
        '<div class="contact-block"><h4>Work Hours</h4><p>Monday to Friday: 7AM - 7PM<br>'
        "Weekend: 10AM - 5PM</p></div></div>"
        '<p class="site-title"><a href="/" rel="home">Vox-style explainers</a></p>'
        '<nav id="site-navigation" class="main-navigation"><ul id="primary-menu" class="menu">'
        '<li><a href="/">Home</a></li>'
        + "".join(f'<li><a href="/category/{c}/">{c.title()}</a></li>' for c in CATEGORIES)
        + '<li><a href="/about/">About</a></li>'
        '<li><a href="/contact/">Contact</a></li></ul></nav></header>'
    )


def _sidebar(recent: Sequence[Placed]) -> str:
    links = "".join(f'<li><a href="{attr(p.url)}">{attr(p.article.title)}</a></li>' for p in recent)
    return (
        '<aside id="secondary" class="widget-area">'
        '<section id="search-2" class="widget widget_search"><form role="search" action="/">'
        '<label>Search for:<input type="search" name="s"></label></form></section>'
        '<section id="recent-posts-2" class="widget widget_recent_entries">'
        f'<h2 class="widget-title">Recent Posts</h2><ul>{links}</ul></section>'
        '<section id="text-3" class="widget widget_text"><h2 class="widget-title">About</h2>'
        '<div class="textwidget"><p>We explain the news in plain words, every weekday, for '
        "readers who want the context behind the headlines.</p></div></section></aside>"
    )


def _comments() -> str:
    return (
        '<div id="comments" class="comments-area"><div id="respond" class="comment-respond">'
        '<h3 id="reply-title" class="comment-reply-title">Leave a Reply</h3>'
        '<form action="/wp-comments-post.php" method="post" id="commentform">'
        '<p class="comment-notes">Your email address will not be published. Required fields '
        "are marked *</p>"
        '<p class="comment-form-comment"><label for="comment">Comment *</label>'
        '<textarea id="comment" name="comment"></textarea></p>'
        '<p class="comment-form-author"><label for="author">Name *</label>'
        '<input id="author" name="author" type="text"></p>'
        '<p class="form-submit"><input name="submit" type="submit" value="Post Comment"></p>'
        "</form></div></div>"
    )


def _footer() -> str:
    return (
        '<footer id="colophon" class="site-footer">'
        '<div class="language-switcher"><ul><li class="lang-item lang-item-en current-lang">'
        '<a lang="en-US" hreflang="en-US" href="/"><span class="lang-code">en_US</span>'
        '<span class="lang-name">English</span></a></li></ul></div>'
        '<div class="site-info"><a href="/privacy-policy/">Privacy Policy</a> Proudly powered '
        "by a content management system</div></footer>"
    )


def article_page(item: Placed, recent: Sequence[Placed]) -> str:
    a = item.article
    ld = {
        "@context": "https://schema.org",
        "@graph": [
            {"@type": "WebPage", "@id": item.url, "url": item.url, "name": a.title},
            {
                "@type": "Article",
                "headline": a.title,
                "datePublished": item.published.isoformat(),
                "author": {"@type": "Person", "name": a.author},
                "mainEntityOfPage": {"@id": item.url},
                "inLanguage": "en-US",
            },
        ],
    }
    head = (
        f"<title>{attr(a.title)} &#8211; {SITE_NAME}</title>"
        f'<link rel="canonical" href="{attr(item.url)}">'
        f'<meta name="description" content="{attr(a.dek)}">'
        '<meta property="og:locale" content="en_US"><meta property="og:type" content="article">'
        f'<meta property="og:title" content="{attr(a.title)}">'
        f'<meta property="og:description" content="{attr(a.dek)}">'
        f'<meta property="og:url" content="{attr(item.url)}">'
        f'<meta property="article:published_time" content="{item.published.isoformat()}">'
        f'<meta name="author" content="{attr(a.author)}">{json_ld(ld)}'
    )
    body = "".join(
        f"<h2>{attr(p)}</h2>" if p in a.subheadings else f"<p>{inline_html(p)}</p>"
        for p in a.paragraphs
    )
    category = slugify(a.section)
    post = (
        f'<article id="post-{zlib.crc32(a.slug.encode()) % 9000 + 100}" class="post type-post '
        f'status-publish format-standard hentry category-{category}">'
        '<header class="entry-header">'
        f'<h1 class="entry-title">{attr(a.title)}</h1>'
        '<div class="entry-meta"><span class="byline"> by <span class="author vcard">'
        f'<a class="url fn n" href="/author/{slugify(a.author)}/">{attr(a.author)}</a></span>'
        '</span> <span class="posted-on"><time class="entry-date published" '
        f'datetime="{iso(item.published)}">{human_date(item.published)}</time></span></div>'
        "</header>"
        f'<div class="entry-content"><p class="entry-excerpt">{attr(a.dek)}</p>{body}</div>'
        '<footer class="entry-footer"><span class="cat-links">Posted in '
        f'<a href="/category/{category}/" rel="category tag">{attr(a.section)}</a></span>'
        "</footer></article>"
    )
    return _page(head, f"{post}{_comments()}", recent)


def home_page(items: Sequence[Placed]) -> str:
    posts = "".join(
        f'<article class="post"><h2 class="entry-title"><a href="{attr(p.url)}">'
        f"{attr(p.article.title)}</a></h2><p>{attr(p.article.dek)}</p></article>"
        for p in items
    )
    return _page(f"<title>{SITE_NAME}</title>", posts, items)


def _page(head: str, main: str, recent: Sequence[Placed]) -> str:
    return (
        '<!DOCTYPE html><html lang="en-US"><head><meta charset="UTF-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">{head}'
        f'<link rel="alternate" type="application/atom+xml" title="{SITE_NAME} &raquo; Feed" '
        'href="/feed/atom/"><link rel="alternate" type="application/rss+xml" '
        f'title="{SITE_NAME} &raquo; Comments Feed" href="/comments/feed/"></head>'
        f'<body class="single single-post"><div id="page" class="site">{_header()}'
        '<div id="content" class="site-content"><div id="primary" class="content-area">'
        f'<main id="main" class="site-main">{main}</main></div>{_sidebar(recent)}</div>'
        f"{_footer()}</div></body></html>"
    )


def static_page(title: str, text: str) -> str:
    """A WordPress page (About, Contact, Privacy Policy): no date, no byline."""
    post = (
        f'<article class="page type-page status-publish hentry"><header class="entry-header">'
        f'<h1 class="entry-title">{attr(title)}</h1></header>'
        f'<div class="entry-content"><p>{attr(text)}</p></div></article>'
    )
    return _page(f"<title>{attr(title)} &#8211; {SITE_NAME}</title>", post, ())
