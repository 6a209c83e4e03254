"""Site chrome: the parts of a page that belong to the site, not to the article.

The page's own header and footer, its navigation, sidebars and off-canvas drawers (mobile
menus) are recognised by their landmarks (``header``, ``footer``, ``nav``, ``aside``), their
ARIA roles (banner, contentinfo, navigation, complementary) and drawer class words, never by a
site's own names. They are removed before the main-text engine sees the page: whatever article
classes a theme gives the blocks inside them (a contact block marked ``entry-content`` in a
WordPress header), they never reach the article text, and the engine has less to read.

A ``header`` or ``footer`` inside an article, a section or the main content is the article's
own (headline, byline, notes) and stays, as ARIA reads them. Chrome holding the article's text
or the main content stays too, and nothing is removed from a page that has no text outside its
chrome. The same walk over the page finds print-only site headers, newsletter sign-up modules,
known boilerplate blocks (author bios, photo credits, language switchers) and cards that pop up
over names in running text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from lxml import etree
from lxml.html import HtmlElement

CHROME_ROLES = frozenset({"banner", "contentinfo", "navigation", "complementary"})
CHROME_TAGS = frozenset({"header", "footer", "nav", "aside"})
# Class or id text that may name chrome; confirmed word by word below.
CHROME_HINT = re.compile(
    r"drawer|canvas|mobile|hamburger|print|(?:site|global)[-_]?(?:header|footer)"
    r"|tooltip|popover|hover-?card|rollover|newsletter",
    re.IGNORECASE,
)
# The elements a drawer, a menu or a pop-up card is built from (links, list items and
# paragraphs are what they hold, so their classes need no look).
BLOCK_TAGS = frozenset({"div", "section", "span", "ul", "ol", "form", "dialog", "table"})
# Boilerplate blocks recognisable by their class on many sites, and page anchors.
BOILERPLATE_CLASS = re.compile(
    r"author-bio|author__bio|photo-credit|newsletter-box|language-switcher|lang-item"
)
# A card that pops up over a name or term in running text (a person's latest headlines): its
# text sits inside the paragraph's markup but is never part of the sentence.
POPUP_WORD = re.compile(
    r"(?:tooltip|popover|hover-?card|rollover)[-_\w]*[-_](?:block|card|box|body|content)$",
    re.IGNORECASE,
)
PAGE_ANCHORS = frozenset({"top of page", "bottom of page"})
# Wix wraps the whole page in these, which the engine takes for the main container.
WRAPPER_IDS = frozenset({"main_MF", "SITE_CONTAINER"})
# Off-canvas drawers and mobile menus, by a word of their class or id.
DRAWER_WORD = re.compile(
    r"(?:^|[-_])(?:drawer|off-?canvas|mobile-?(?:menu|nav|navigation)|hamburger-?menu)(?:$|[-_])",
    re.IGNORECASE,
)
# The site's header and footer for printed copies ("print-header"), hidden on screen.
PRINT_WORD = re.compile(r"^print[-_]?(?:header|footer|logo|masthead)$", re.IGNORECASE)
# A newsletter sign-up module ("newsletter-signup", "c-newsletter_signup_box", "Newsletter").
SIGNUP_WORD = re.compile(
    r"^(?:\w+[-_]+)*newsletters?(?:[-_]*(?:signup|sign-up|module|form|box|container|wrapper"
    r"|promo|widget|cta|subscribe|block))*$",
    re.IGNORECASE,
)
# The site's own header and footer built from divs (classic themes, Wix's SITE_HEADER).
SITE_BLOCK_WORD = re.compile(r"^(?:site|global)[-_]?(?:header|footer)$", re.IGNORECASE)
# Landmarks a header or footer belongs to when it is not the page's own (ARIA's scoping).
SCOPING_TAGS = frozenset({"article", "aside", "main", "nav", "section"})
SCOPING_ROLES = frozenset({"article", "main", "region"})
# The page's main content: chrome never holds it.
CONTENT_TAGS = frozenset({"main"})
CONTENT_ROLES = frozenset({"main"})
PAGE_LEVEL_TAGS = frozenset({"header", "footer"})
NEVER_CHROME = frozenset({"html", "body", "head", "main", "article"})
# Markup that never holds article text (the engine discards most of it, after copying it).
INERT_TAGS = (
    "head", "script", "style", "noscript", "template", "svg", "iframe", "link", "meta", "img",
    "picture", "source", "video", "audio", "canvas", "object", "embed", "button", "input",
    "select", "textarea",
)  # fmt: skip
# A page keeps its chrome when less than this much text lies outside it: it has nothing else.
MIN_TEXT_OUTSIDE = 200


def drop_inert_markup(tree: HtmlElement) -> None:
    """Remove what never holds article text (scripts, styles, comments, the head), once the page's
    metadata has been read; the text that follows each element stays."""
    etree.strip_elements(tree, *INERT_TAGS, etree.Comment, with_tail=False)


@dataclass(frozen=True, slots=True)
class PageParts:
    """What one walk over the page found: chrome candidates, boilerplate, page wrappers."""

    chrome: list[HtmlElement] = field(default_factory=list)
    landmarks: list[HtmlElement] = field(default_factory=list)  # the main content
    boilerplate: list[HtmlElement] = field(default_factory=list)
    popups: list[HtmlElement] = field(default_factory=list)
    wrappers: list[HtmlElement] = field(default_factory=list)


def survey(tree: HtmlElement) -> PageParts:
    """Walk the page once and sort out the elements the shaping steps act on.

    One walk in Python reading three attributes costs less than one XPath search with
    ``contains()`` over the same tree.
    """
    parts = PageParts()
    for element in tree.iter(etree.Element):
        tag, role = element.tag, element.get("role")
        if tag in CHROME_TAGS or role in CHROME_ROLES:
            parts.chrome.append(element)
            continue
        if tag in CONTENT_TAGS or role in CONTENT_ROLES:
            parts.landmarks.append(element)
        classes, ident = element.get("class"), element.get("id")
        if classes and BOILERPLATE_CLASS.search(classes):
            parts.boilerplate.append(element)
        elif tag in BLOCK_TAGS and _hints_chrome(classes, ident):
            words = f"{classes or ''} {ident or ''}".split()
            popup = any(POPUP_WORD.search(w) for w in words)
            (parts.popups if popup else parts.chrome).append(element)
        elif ident in WRAPPER_IDS:
            parts.wrappers.append(element)
        elif element.get("aria-label") in PAGE_ANCHORS:
            parts.boilerplate.append(element)
    return parts


def _hints_chrome(classes: str | None, ident: str | None) -> bool:
    return bool((classes and CHROME_HINT.search(classes)) or (ident and CHROME_HINT.search(ident)))


def drop_boilerplate(parts: PageParts) -> None:
    """Remove known boilerplate blocks and pop-up cards inside paragraphs; take the page
    wrappers' ids off them."""
    for element in parts.boilerplate:
        if element.getparent() is not None:
            element.drop_tree()
    for element in parts.popups:
        in_text = any(a.tag == "p" for a in element.iterancestors())
        if in_text and element.getparent() is not None:
            element.drop_tree()
    for element in parts.wrappers:
        del element.attrib["id"]


def drop_site_chrome(tree: HtmlElement, parts: PageParts, keep: Iterable[HtmlElement] = ()) -> int:
    """Remove the page's chrome, never an element holding one of ``keep`` (the article's
    container); the number of blocks removed (0 when the page has no text outside them)."""
    protected: set[etree._Element] = set()
    for element in (*keep, *parts.landmarks):
        protected.add(element)
        protected.update(element.iterancestors())
    chrome = _outermost(
        [e for e in parts.chrome if e not in protected and _is_chrome(e) and _is_inside(e, tree)]
    )
    if not chrome:
        return 0
    body = tree.find("body")
    total = len((body if body is not None else tree).text_content())
    inside = sum(len(element.text_content()) for element in chrome)
    if total - inside < MIN_TEXT_OUTSIDE:
        return 0
    for element in chrome:
        if element.getparent() is not None:
            element.drop_tree()
    return len(chrome)


def _is_inside(element: HtmlElement, tree: HtmlElement) -> bool:
    """Whether an element is still in the page (an earlier step may have removed its block)."""
    return any(ancestor is tree for ancestor in element.iterancestors())


def _outermost(elements: list[HtmlElement]) -> list[HtmlElement]:
    """The elements not inside another of them."""
    chosen = set(elements)
    return [e for e in elements if not any(a in chosen for a in e.iterancestors())]


def _is_chrome(element: HtmlElement) -> bool:
    tag = element.tag
    if tag in NEVER_CHROME or not isinstance(tag, str):
        return False
    if element.get("role") in CHROME_ROLES:
        return True
    if tag in ("nav", "aside"):
        return True
    words = f"{element.get('class') or ''} {element.get('id') or ''}".split()
    if any(DRAWER_WORD.search(w) or PRINT_WORD.match(w) or SIGNUP_WORD.match(w) for w in words):
        return True
    site_block = tag in PAGE_LEVEL_TAGS or any(SITE_BLOCK_WORD.match(w) for w in words)
    return site_block and _at_page_level(element)


def _at_page_level(element: HtmlElement) -> bool:
    """Whether a header or footer is the page's own, not scoped to an article or section."""
    return not any(
        a.tag in SCOPING_TAGS or a.get("role") in SCOPING_ROLES for a in element.iterancestors()
    )
