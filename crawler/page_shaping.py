"""Shaping a page before the main-text engine sees it, so that it finds the whole article and
nothing else.

Infinite-scroll pages that stack several full articles are cut to the first one; the outlet's
own removals are pruned (site chrome and known boilerplate go in crawler.site_chrome); in the
region of the article's own
container (the element holding most of the paragraph text), whitespace that only a soon-removed
element carried is moved outside it, the parts of a body split around ads are joined, the
container is kept from being discarded for a boilerplate-looking class name and marked as the
article on div-only pages, social posts the article quotes are kept, and blocks made of link
text alone (teasers, promotions, labelled "Related:" links) are dropped.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from copy import deepcopy
from typing import cast

from lxml import etree
from lxml.html import HtmlElement
from trafilatura.utils import load_html

from crawler.normalize import normalize

SPACES = " \t\n\r\u00a0"
# Class/id words for which trafilatura discards a whole container ("sidebar", "widget",
# "navbar", ... matched anywhere in the attribute, so "widget--post" or "...-article-wrap"
# under a "...bar" class go too). Applied only to the article's own container chain.
DISCARD_LOOKING = re.compile(
    r"bar|nav|menu|widget|meta|slide|viewport|overlay|options|expand|share|social|viral|banner"
    r"|button|author|byline|tags|footer|elated|next-|-stories|most-popular|more-on|consent"
    r"|permission|modal|rating|attachment|timestamp|user-|-icon|infos|newsletter|syndication"
    r"|^ad$|-ad-|^ad-|dfpad|outbrain|taboola|criteo|paid-?content|embed|premium|teaser"
    r"|obfuscated|blurred|yin|nfoline|message",
    re.IGNORECASE,
)
# Social posts embedded in an article, as the networks' embed code marks them.
EMBEDDED_POST = re.compile(r"twitter-tweet|instagram-media|tiktok-embed|bluesky-embed|fb-post")
# Blocks holding a link (in-page anchors aside: a table of contents), and links standing as
# blocks of their own; the ones whose text is nearly all link text are teasers, "read more"
# lines and promotions.
LINKED_BLOCKS = etree.XPath(
    ".//*[self::p or self::li or self::h2 or self::h3 or self::h4 or self::h5 or self::h6]"
    "[.//a[not(starts-with(@href, '#'))]]"
    " | .//*[self::div or self::section or self::article]/a[@href][normalize-space()]"
)
BYLINE_LEVELS = 2  # how far above the article's region a byline is looked for
ARTICLE_REGION_DEPTH = 4  # how far above the article's container the page may hold its parts
LINK_ONLY_SHARE = 0.9
URL_LIKE = re.compile(r"^(https?|www)\b")
CONTAINER_ELEMENTS = etree.XPath("(//article | //main)[1]")
MIN_STACKED_BLOCK_CHARS = 400
MIN_CONTAINER_CHARS = 400  # paragraph text a container needs to count as the article's
MIN_CONTAINER_SHARE = 0.4  # ... and its share of all paragraph text on the page
SPLIT_BODY_MAX_DEPTH = 3  # how far up the split parts of one body may meet
MAX_LINK_ONLY_LOSS = 0.5  # never let link-only pruning take more than this share of the text


def restrict_to(tree: HtmlElement, content_xpath: str) -> HtmlElement | None:
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


def prune(tree: HtmlElement, remove_xpath: Sequence[str]) -> None:
    """Remove what the outlet says never belongs to its articles."""
    for expression in remove_xpath:
        for element in tree.xpath(expression):
            if isinstance(element, etree._Element):
                _drop(element)


def shape(tree: HtmlElement, container: HtmlElement | None, region: HtmlElement) -> None:
    """Shape the article's region so that the engine finds the whole article and nothing else."""
    for element in _space_carriers(region):
        element.tail = " " + (element.tail or "")
    if container is not None:
        container = _join_split_body(container)
        _keep_container(container)
        _keep_embedded_posts(container)
        _mark_container(tree, container)
    _drop_link_only_blocks(region, container)


def surroundings(element: HtmlElement, levels: int) -> HtmlElement:
    """``element``'s ancestor ``levels`` up, short of ``<html>``."""
    for _ in range(levels):
        parent = element.getparent()
        if parent is None or parent.tag == "html":
            break
        element = parent
    return element


def region_of(tree: HtmlElement, container: HtmlElement | None) -> HtmlElement:
    """The part of the page around the article: the ``<article>`` or ``<main>`` element holding
    its container, else the container's ancestor a few levels up, else the whole body."""
    body = tree.find("body")
    fallback = body if body is not None else tree
    if container is None:
        return fallback
    ancestors = [a for a in container.iterancestors() if a.tag not in ("body", "html")]
    for ancestor in ancestors:
        if ancestor.tag in ("article", "main"):
            return ancestor
    return ancestors[min(ARTICLE_REGION_DEPTH, len(ancestors)) - 1] if ancestors else fallback


def _drop(element: etree._Element) -> None:
    """Remove an element and its content, keeping the text that follows it."""
    if element.getparent() is not None:
        # Every node of an lxml.html tree, comments included, has the HTML methods.
        cast(HtmlElement, element).drop_tree()


def article_container(tree: HtmlElement) -> HtmlElement | None:
    """The element holding most of the page's paragraph text, when it clearly dominates."""
    weights: dict[HtmlElement, int] = {}
    for paragraph in tree.iter("p"):
        parent = paragraph.getparent()
        if parent is not None:
            weights[parent] = weights.get(parent, 0) + len(paragraph.text_content())
    if not weights:
        return None
    container, weight = max(weights.items(), key=lambda item: item[1])
    if weight < MIN_CONTAINER_CHARS or weight < MIN_CONTAINER_SHARE * sum(weights.values()):
        return None
    return container


def _space_carriers(region: HtmlElement) -> list[HtmlElement]:
    """Elements whose text ends in whitespace while the text right after them starts a word:
    when the element is removed (an empty ad slot, a share widget) that whitespace must stay.

    A walk in Python: XPath's following-sibling axis costs the square of a paragraph's links.
    """
    return [
        element
        for element in region.iterdescendants(etree.Element)
        if (tail := element.tail)
        and tail[0] not in SPACES
        and (text := element.text_content())
        and text[-1] in SPACES
    ]


def _keep_container(container: HtmlElement) -> None:
    """Take boilerplate-looking words out of the class and id of the article's container chain.

    The engine discards any container whose class contains one of its boilerplate words, which
    loses the article when its own wrapper is named, say, ``widget--post`` or ``sidebar-layout``.
    """
    for element in (container, *container.iterancestors()):
        if element.tag in ("body", "html"):
            break
        _clear_discard_words(element)


def _keep_embedded_posts(container: HtmlElement) -> None:
    """Keep the social posts an article quotes: their wrappers ("social-media-embed") look
    like share widgets to the engine."""
    for quote in container.iter("blockquote"):
        if not EMBEDDED_POST.search(quote.get("class") or ""):
            continue
        for element in quote.iterancestors():
            if element is container:
                break
            _clear_discard_words(element)


def _clear_discard_words(element: HtmlElement) -> None:
    classes = element.get("class")
    if classes and DISCARD_LOOKING.search(classes):
        kept = [c for c in classes.split() if not DISCARD_LOOKING.search(c)]
        element.set("class", " ".join(kept))
    if DISCARD_LOOKING.search(element.get("id") or ""):
        del element.attrib["id"]


def _mark_container(tree: HtmlElement, container: HtmlElement) -> None:
    """On a page with no ``<article>`` or ``<main>`` (div-only markup), make the article's
    container an ``<article>``: otherwise the engine scans the whole page, menus and footer too.
    """
    if container.tag == "div" and not CONTAINER_ELEMENTS(tree):
        container.tag = "article"


def _join_split_body(container: HtmlElement) -> HtmlElement:
    """Join the parts of an article body split around ads into the first part, returned.

    A part is an element of the same tag and class close by in the tree that holds paragraphs;
    the engine would keep only one of them.
    """
    classes = container.get("class")
    ancestors = list(container.iterancestors())[:SPLIT_BODY_MAX_DEPTH]
    tag = container.tag
    if not classes or not ancestors or not isinstance(tag, str):
        return container
    parts = [
        element
        for element in ancestors[-1].iter(tag)
        if element.get("class") == classes and element.find(".//p") is not None
    ]
    if len(parts) < 2:
        return container
    first = parts[0]
    for part in parts[1:]:
        if any(a in parts for a in part.iterancestors()) or part in ancestors:
            continue
        if part.text and part.text.strip():
            last = first[-1] if len(first) else None
            if last is not None:
                last.tail = (last.tail or "") + " " + part.text
            else:
                first.text = (first.text or "") + " " + part.text
        for child in list(part):
            first.append(child)
        part.drop_tree()
    return first


def _drop_link_only_blocks(region: HtmlElement, container: HtmlElement | None) -> None:
    """Remove blocks made of link text alone: teasers, "read more" lines, promotions.

    Inside the article's container they go only while they are a minor part of it, so that a
    page made of links (a link roundup) keeps its text.
    """
    inside: list[tuple[HtmlElement, int]] = []
    outside: list[tuple[HtmlElement, int]] = []
    in_container = set(container.iter()) if container is not None else set()
    for block in LINKED_BLOCKS(region):
        text = block.text_content().strip()
        if not text or URL_LIKE.match(text):
            continue
        if block.tag == "a":
            if not _stands_alone(block):
                continue
        else:
            if not _is_link_only(block, text):
                continue
        (inside if block in in_container else outside).append((block, len(text)))
    in_budget = MAX_LINK_ONLY_LOSS * len(container.text_content()) if container is not None else 0
    if inside and sum(n for _, n in inside) <= in_budget:
        outside.extend(inside)
    for block, _ in outside:
        _drop(block)


def _is_link_only(block: HtmlElement, text: str) -> bool:
    """Whether a block's text is link text but for a label ("Related:", "[VIDEO]") and
    punctuation."""
    linked = sum(len(a.text_content().strip()) for a in block.iter("a"))
    if linked >= LINK_ONLY_SHARE * len(text):
        return True
    if linked < MIN_LABELLED_SHARE * len(text):
        return False
    rest = "".join(UNLINKED_TEXT(block))
    unlinked = sum(len(word) for word in TEASER_WORDS.findall(TEASER_LABELS.sub(" ", rest)))
    return unlinked <= (1 - LINK_ONLY_SHARE) * len(text)


UNLINKED_TEXT = etree.XPath(".//text()[not(ancestor::a)]", smart_strings=False)
# What teaser links carry besides their link text: a leading label, bracketed tags.
TEASER_LABELS = re.compile(r"^\s*[\w'’ ]{1,20}:|\[[^\]]{1,20}\]")
TEASER_WORDS = re.compile(r"\w+")
MIN_LABELLED_SHARE = 0.5


BLOCK_TAGS = frozenset(
    "p div ul ol li h1 h2 h3 h4 h5 h6 br hr table figure section blockquote article".split()  # noqa: SIM905
)


def _stands_alone(link: HtmlElement) -> bool:
    """Whether a link sits between blocks, as a paragraph of its own, not inside a sentence."""
    if (link.tail or "").strip():
        return False
    previous, following = link.getprevious(), link.getnext()
    parent = link.getparent()
    before = previous.tail if previous is not None else parent.text if parent is not None else ""
    return (
        not (before or "").strip()
        and (previous is None or previous.tag in BLOCK_TAGS)
        and (following is None or following.tag in BLOCK_TAGS)
    )


def drop_stacked_articles(tree: HtmlElement, title: str | None) -> None:
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
