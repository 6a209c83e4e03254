"""Site chrome never reaches the article text, whatever article classes it borrows.

Each page below is built from the markup a family of real themes produces (WordPress block
and classic themes, RebelMouse, Wix, Foundation-style off-canvas layouts), with the site's
own text placed where those themes put it.
"""

from __future__ import annotations

from trafilatura.utils import load_html

from crawler.extract import extract_article
from crawler.site_chrome import drop_boilerplate, drop_site_chrome, survey

SENTENCES = [
    "The ministry confirmed on Tuesday that the new border crossing will open in the spring.",
    "Officials said the crossing would cut waiting times for freight lorries by several hours.",
    "Local traders, who have campaigned for the crossing for a decade, welcomed the decision.",
    "The project was delayed twice by disputes over customs staffing and the cost of the road.",
    "Opposition members asked for the full budget to be published before construction begins.",
]
BODY = "".join(f"<p>{s} {s}</p>" for s in SENTENCES)
ADDRESS = (
    "<h4>Physical Address</h4><p>304 North Cardinal St.<br>Dorchester Center, MA 02124</p>"
    "<h4>Work Hours</h4><p>Monday to Friday: 7AM - 7PM, weekends from 10AM to 5PM</p>"
)
SITE_TEXT = ("Physical Address", "304 North Cardinal", "Work Hours", "Monday to Friday")
MENU = (
    "<ul><li><a href='/'>Home</a></li><li><a href='/world/'>World desk</a></li>"
    "<li><a href='/about/'>About the gazette</a></li></ul>"
)
MENU_TEXT = ("World desk", "About the gazette")


def document(body: str) -> str:
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>Border crossing to open</title></head><body>{body}</body></html>"
    )


def extracted(body: str) -> str:
    result = extract_article(document(body), "https://gazette.example/2024/03/05/border")
    assert result is not None
    return result.text


def assert_article_only(text: str, absent: tuple[str, ...] = SITE_TEXT + MENU_TEXT) -> None:
    for sentence in SENTENCES:
        assert sentence in text, sentence
    for clutter in absent:
        assert clutter not in text, clutter


def test_wordpress_block_theme_header_with_entry_content_class_stays_out():
    # A block theme's header template part holding a group the theme marks entry-content,
    # and the navigation block with its responsive overlay container.
    body = (
        "<div class='wp-site-blocks'><header class='wp-block-template-part'>"
        f"<div class='wp-block-group entry-content is-layout-flow'>{ADDRESS}</div>"
        "<nav class='wp-block-navigation' aria-label='Main'><div "
        "class='wp-block-navigation__responsive-container' id='modal-1'>"
        f"<div class='wp-block-navigation__responsive-dialog'>{MENU}</div></div></nav>"
        "</header><main class='wp-block-group'><h1 class='wp-block-post-title'>"
        "Border crossing to open</h1>"
        f"<div class='entry-content wp-block-post-content'>{BODY}</div></main>"
        "<footer class='wp-block-template-part'><div class='wp-block-group entry-content'>"
        "<p>Proudly powered by a content management system, hosted in Dorchester.</p>"
        "</div></footer></div>"
    )
    text = extracted(body)
    assert_article_only(text, (*SITE_TEXT, *MENU_TEXT, "Proudly powered"))


def test_wordpress_classic_theme_masthead_and_div_page_stay_out():
    # A classic theme on div markup: no <main>, the header a <div class="site-header">.
    body = (
        "<div id='page' class='site'><div id='masthead' class='site-header'>"
        f"<div class='header-top entry-content'>{ADDRESS}</div>"
        f"<div id='site-navigation' class='main-navigation'>{MENU}</div></div>"
        "<div id='content' class='site-content'><div id='primary' class='content-area'>"
        "<div class='post type-post'><h1 class='entry-title'>Border crossing to open</h1>"
        f"<div class='entry-content'>{BODY}</div></div></div></div>"
        "<div id='colophon' class='site-footer'><p>Copyright 2024 The Example Gazette. "
        "All rights reserved by the owners of this site.</p></div></div>"
    )
    assert_article_only(extracted(body), (*SITE_TEXT, "All rights reserved"))


def test_aria_banner_and_contentinfo_roles_stay_out_on_div_markup():
    body = (
        f"<div role='banner'><div class='post-content'>{ADDRESS}</div></div>"
        f"<div role='navigation' class='menu-wrap'>{MENU}</div>"
        f"<div class='story'><h1>Border crossing to open</h1><div class='article-body'>{BODY}"
        "</div></div><div role='complementary' class='rail'><div class='article-text'><p>"
        "Sponsored: compare the best lorry insurance deals of the season today.</p></div></div>"
        "<div role='contentinfo'><div class='entry-content'><p>The Example Gazette, 1 Quay "
        "Street, registered in the harbour district under number 12345.</p></div></div>"
    )
    assert_article_only(
        extracted(body), (*SITE_TEXT, *MENU_TEXT, "lorry insurance", "1 Quay Street")
    )


def test_rebelmouse_style_slide_in_drawer_and_topbar_stay_out():
    # A top bar with a hamburger that opens a slide-in drawer holding sections and a site blurb.
    body = (
        "<div class='topbar'><a class='topbar__logo' href='/'>Gazette</a>"
        "<div class='hamburger-menu'><span></span></div></div>"
        "<div class='sidebar-menu-wrapper rm-drawer' id='sidebar-drawer'>"
        f"<div class='sidebar-menu'>{MENU}<div class='body-description'>{ADDRESS}</div>"
        "</div></div>"
        "<div class='posts-wrapper'><div class='widget widget--post'><h1 "
        "class='widget__headline'>Border crossing to open</h1>"
        f"<div class='widget__body clearfix'><div class='body-description'>{BODY}</div></div>"
        "</div></div>"
    )
    assert_article_only(extracted(body))


def test_off_canvas_mobile_menu_with_article_classes_stays_out():
    body = (
        "<div class='off-canvas position-left' id='offCanvas'>"
        f"<div class='article-content'>{ADDRESS}</div></div>"
        f"<div class='mobile-nav'><div class='post-entry'>{MENU}</div></div>"
        f"<article><h1>Border crossing to open</h1><div class='article-body'>{BODY}</div>"
        "</article>"
    )
    assert_article_only(extracted(body))


def test_wix_site_header_rich_text_stays_out():
    rich = "<div data-testid='richTextElement' class='wixui-rich-text'>"
    body = (
        "<div id='SITE_CONTAINER'><div id='main_MF'><div id='site-root'>"
        f"<header id='SITE_HEADER' class='wixui-header'>{rich}{ADDRESS}</div>"
        f"<nav class='wixui-horizontal-menu'>{MENU}</nav></header>"
        f"<main id='PAGES_CONTAINER'><div id='SITE_PAGES'>{rich}"
        f"<h1>Border crossing to open</h1>{BODY}</div></div></main>"
        f"<footer id='SITE_FOOTER' class='wixui-footer'>{rich}<p>© 2024 by the Example "
        "Gazette. Proudly created with a site builder.</p></div></footer></div></div></div>"
    )
    assert_article_only(extracted(body), (*SITE_TEXT, *MENU_TEXT, "Proudly created"))


def test_the_articles_own_header_and_footer_stay():
    # ARIA's reading: a header or footer inside an article or section belongs to it.
    lead = "Freight lorries will wait hours less once the crossing opens, the ministry says."
    body = (
        f"<header class='site-header'>{ADDRESS}</header><article>"
        f"<header class='entry-header'><h1>Border crossing to open</h1><p>{lead}</p></header>"
        f"<div class='entry-content'>{BODY}</div><footer><p>Filed under Borders</p></footer>"
        "</article><section><header><h2>Corrections</h2></header><p>None so far.</p></section>"
    )
    tree = load_html(document(body))
    assert tree is not None
    assert drop_site_chrome(tree, survey(tree)) == 1
    remaining = tree.text_content()
    for kept in (lead, "Filed under Borders", "Corrections", SENTENCES[0]):
        assert kept in remaining
    assert "Physical Address" not in remaining
    assert_article_only(extracted(body), SITE_TEXT)


def test_chrome_holding_the_article_stays():
    # Off-canvas layouts wrap the whole page, article included, in an "off-canvas-content".
    body = (
        f"<div class='off-canvas position-left'>{MENU}</div>"
        "<div class='off-canvas-content' data-off-canvas-content>"
        f"<div class='row'><div class='columns'><h1>Border crossing to open</h1>{BODY}"
        "</div></div></div>"
    )
    assert_article_only(extracted(body), MENU_TEXT)


def test_a_page_with_no_text_outside_its_chrome_keeps_it():
    body = f"<header><div class='entry-content'>{BODY}</div></header><nav>{MENU}</nav>"
    tree = load_html(document(body))
    assert tree is not None
    assert drop_site_chrome(tree, survey(tree)) == 0
    assert_article_only(extracted(body), ())


def test_chrome_is_removed_from_the_tree_and_counted():
    body = (
        f"<header>{ADDRESS}</header><nav>{MENU}</nav><aside><p>Sidebar blurb text.</p></aside>"
        f"<div class='drawer'><p>Drawer text.</p></div><article>{BODY}</article>"
        "<footer><p>Footer line.</p></footer>"
    )
    tree = load_html(document(body))
    assert tree is not None
    assert drop_site_chrome(tree, survey(tree)) == 5
    remaining = tree.text_content()
    assert SENTENCES[0] in remaining
    for gone in ("Physical Address", "World desk", "Sidebar blurb", "Drawer text", "Footer"):
        assert gone not in remaining


def test_print_header_and_pop_up_cards_in_running_text_stay_out():
    # A print-only header repeating the address of the page, and a card that pops up over a
    # politician's name listing their latest headlines, inside the paragraph's markup.
    card = (
        "<span class='rollover-people'><a class='rollover-people-link' href='/people/ana'>"
        "Ana Petrova</a><span class='rollover-people-block'><span class='rollover-block'>"
        "<a class='name' href='/people/ana'>Ana Petrova</a><a href='/x'>Senators call for a "
        "harbour inquiry | Budget talks stall</a></span></span></span>"
    )
    body = (
        "<div class='print-header'><span>https://gazette.example/2024/03/05/border</span></div>"
        f"<article><h1>Border crossing to open</h1><p>The minister {card} said the crossing "
        f"would open in the spring, ending a decade of delays at the old bridge.</p>{BODY}"
        "</article>"
    )
    text = extracted(body)
    assert_article_only(text, ("https://gazette.example", "Senators call", "Budget talks"))
    assert "The minister Ana Petrova said the crossing would open" in text


def test_chrome_inside_a_block_removed_earlier_is_not_counted():
    body = (
        f"<div class='author-bio'><nav>{MENU}</nav><p>Ana writes about borders.</p></div>"
        f"<header>{ADDRESS}</header><article>{BODY}</article>"
    )
    tree = load_html(document(body))
    assert tree is not None
    parts = survey(tree)
    drop_boilerplate(parts)
    assert drop_site_chrome(tree, parts) == 1


def test_newsletter_sign_up_modules_stay_out_of_the_article():
    module = (
        "<div class='Newsletter'><div class='Newsletter-container'><h3 class='Newsletter-title'>"
        "Morning Briefing</h3><p class='Newsletter-description'>Get the day's big stories and "
        "the best of the weekend, every morning.</p><form class='Newsletter-form'>"
        "<input type='email'></form><div class='Newsletter-stateSent'><h3>Thanks for signing "
        "up!</h3><h4>Keep an eye on your inbox for the latest news.</h4></div></div></div>"
    )
    mention = "The ministry also said its weekly newsletter would carry the new timetable."
    body = (
        f"<article><h1>Border crossing to open</h1><div class='article-body'>{BODY}{module}"
        f"<p>{mention} {mention}</p></div></article>"
    )
    text = extracted(body)
    assert_article_only(text, ("Morning Briefing", "big stories", "signing up", "inbox"))
    assert mention in text
