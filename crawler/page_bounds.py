"""Bounds on what one page's markup can cost extraction.

The engine's own passes are not linear in every shape of page: its search for paragraph text
(an XPath `//p//text()` in libxml2) grows with the square of the text pieces under the page's
paragraphs once it has unwrapped their links and inline tags (about 25 s of CPU for one paragraph
of 30,000 links, 30 s for 50 paragraphs of 2,000 links) and with the number of paragraphs times
their text (36 s for 200,000 tiny paragraphs). So before anything else reads the page, one walk
over it turns what lies beyond three caps into plain text, keeping every word: the inline
elements (links, spans, images, line breaks...) beyond MAX_INLINE_PER_BLOCK in one block or
MAX_PAGE_INLINE in the page, and whatever makes an element's subtree larger than
MAX_PAGE_ELEMENTS. Real article pages stay far below all three. Nesting needs no bound of ours:
the HTML parser stops reading at MAX_PARSED_DEPTH levels, which is reported.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from lxml import etree
from lxml.html import HtmlElement

from crawler.site_chrome import INERT_TAGS

# Links and other inline elements one block may carry (the extraction-dev pages: at most 379
# before shaping, most under 130).
MAX_INLINE_PER_BLOCK = 1_000
# ... and the whole page (the extraction-dev pages: at most 1,095).
MAX_PAGE_INLINE = 10_000
# Elements one page may hand to extraction (the extraction-dev pages: at most 1,596).
MAX_PAGE_ELEMENTS = 50_000
# libxml2's HTML parser reads no deeper than this and drops the rest of the page.
MAX_PARSED_DEPTH = 256
# A path of child steps visits each element once (an ancestor count would climb from each).
REACHES_PARSER_DEPTH = etree.XPath("boolean(/*" + "/*" * (MAX_PARSED_DEPTH - 1) + ")")
COUNT_ELEMENTS = etree.XPath("count(//*)")
BLOCK_TAGS = frozenset(
    {
        "html", "head", "body", "div", "p", "li", "ul", "ol", "dl", "dt", "dd", "table", "tr", "td",
        "th", "thead", "tbody", "tfoot", "caption", "h1", "h2", "h3", "h4", "h5", "h6",
        "blockquote", "pre", "section", "article", "main", "aside", "header", "footer", "nav",
        "figure", "figcaption", "form", "fieldset", "address", "details", "summary", "center", "hr",
    }
)  # fmt: skip
INERT = frozenset(INERT_TAGS)
# Blocks that hold paragraphs (or list items): text flattened out of them becomes one more of
# those, which the engine reads as it reads any other; elsewhere it joins the text before it.
HOLDER_ITEMS = {"ul": "li", "ol": "li"} | dict.fromkeys(
    ("body", "div", "article", "section", "main", "aside", "header", "footer", "nav",
     "blockquote", "li", "dd", "td", "th", "figure", "form", "fieldset", "details", "center"),
    "p",
)  # fmt: skip


@dataclass(slots=True)
class MarkupCut:
    """What bounding a page cut: ``blocks`` carried more inline elements than the cap, whose
    excess (``inline`` elements) became text; ``elements`` more became text to keep the page
    under its element cap; ``too_deep`` the parser stopped at its nesting limit."""

    blocks: int = 0
    inline: int = 0
    elements: int = 0
    too_deep: bool = False

    def notes(self) -> tuple[str, ...]:
        """One line per cut, for the log and the crawl's stats."""
        notes = []
        if self.blocks:
            notes.append(
                f"{self.inline:,} inline elements beyond {MAX_INLINE_PER_BLOCK:,} per block or"
                f" {MAX_PAGE_INLINE:,} per page made plain text (in {self.blocks:,} blocks)"
            )
        if self.elements:
            notes.append(f"{self.elements:,} elements beyond {MAX_PAGE_ELEMENTS:,} made plain text")
        if self.too_deep:
            notes.append(
                f"nested {MAX_PARSED_DEPTH} levels deep: the rest of the page was not read"
            )
        return tuple(notes)


class _Tally(NamedTuple):
    """One element's count of elements (itself included) and of the inline elements it lends to
    the block around it (itself included; none if it is a block itself)."""

    size: int
    lent: int
    block: bool


class _Frame:
    """The tallies of one open element's children, and their sums."""

    __slots__ = ("children", "lent", "size")

    def __init__(self) -> None:
        self.size = 0
        self.lent = 0
        self.children: list[_Tally] = []

    def add(self, tally: _Tally) -> None:
        self.size += tally.size
        self.lent += tally.lent
        self.children.append(tally)


def bound_markup(tree: HtmlElement) -> MarkupCut:
    """Flatten the page's markup beyond the caps into text, in place; say what was cut."""
    cut = MarkupCut()
    if COUNT_ELEMENTS(tree) > MAX_INLINE_PER_BLOCK:
        cut.too_deep = _walk(tree, cut) >= MAX_PARSED_DEPTH
    else:  # no block can carry too much: the depth alone is looked at
        cut.too_deep = bool(REACHES_PARSER_DEPTH(tree))
    return cut


def _walk(tree: HtmlElement, cut: MarkupCut) -> int:
    """One walk, children before their parent: each element's children are tallied, then what
    lies beyond a cap becomes text. Returns the depth of the deepest element."""
    stack = [_Frame()]
    depth = 0
    inline_left = MAX_PAGE_INLINE
    for event, element in etree.iterwalk(tree, events=("start", "end")):
        if event == "start":
            stack.append(_Frame())
            depth = max(depth, len(stack) - 1)
            continue
        frame = stack.pop()
        block = element.tag in BLOCK_TAGS
        if block:
            limit = min(MAX_INLINE_PER_BLOCK, inline_left)
            if frame.lent > limit:
                frame = _cap_inline(element, frame.children, limit, cut)
            inline_left -= frame.lent
        # room for each ancestor and the item it may add, or each of them would flatten it again
        room = MAX_PAGE_ELEMENTS - 2 * (len(stack) - 1)
        if frame.size >= room:
            frame = _cap_size(element, frame.children, room, cut)
        stack[-1].add(_Tally(frame.size + 1, 0 if block else frame.lent + 1, block))
    return depth


def _refreshed(children: list[_Tally]) -> _Frame:
    frame = _Frame()
    for child in children:
        frame.add(child)
    return frame


def _cap_inline(block: HtmlElement, children: list[_Tally], limit: int, cut: MarkupCut) -> _Frame:
    """Inline children of a block beyond ``limit`` become the text of the node before them; its
    block children stay."""
    index = _overflow([c.lent for c in children], limit)
    assert index is not None  # the caller saw the sum pass the limit
    nodes = list(block)
    excess = [n for n, c in zip(nodes[index:], children[index:], strict=True) if not c.block]
    cut.blocks += 1
    cut.inline += sum(c.lent for c in children[index:])
    _flatten(block, excess)
    return _refreshed(children[:index] + [c for c in children[index:] if c.block])


def _cap_size(element: HtmlElement, children: list[_Tally], limit: int, cut: MarkupCut) -> _Frame:
    """Children that would take the element's subtree past ``limit`` become text."""
    item = HOLDER_ITEMS.get(element.tag) if isinstance(element.tag, str) else None
    index = _overflow([child.size for child in children], limit - 1 - (item is not None))
    assert index is not None  # the caller saw the sum reach the limit
    cut.elements += sum(child.size for child in children[index:])
    nodes = list(element)[index:]
    if item is None:
        _flatten(element, nodes)
        return _refreshed(children[:index])
    texts = [_text_of(node) for node in nodes]
    for node in nodes:
        element.remove(node)
    etree.SubElement(element, item).text = " ".join(texts)
    return _refreshed([*children[:index], _Tally(1, 0, True)])


def _overflow(weights: list[int], limit: int) -> int | None:
    """The index at which the running sum of ``weights`` passes ``limit``, if it does."""
    total = 0
    for index, weight in enumerate(weights):
        total += weight
        if total > limit:
            return index
    return None


def _flatten(parent: HtmlElement, nodes: list[HtmlElement]) -> None:
    """Replace these children of ``parent`` by their text (inert markup's aside), each run of them
    joined into the text just before it: one text node, whatever their number."""
    pending: list[str] = []
    anchor: HtmlElement | None = None
    targets = set(nodes)
    for node in list(parent):
        if node in targets:
            pending.append(_text_of(node))
            parent.remove(node)  # its tail goes with it, and is in its text
            continue
        _append_text(parent, anchor, pending)
        pending, anchor = [], node
    _append_text(parent, anchor, pending)


def _text_of(node: HtmlElement) -> str:
    tail = node.tail or ""
    if not isinstance(node.tag, str) or node.tag in INERT:
        return tail
    etree.strip_elements(node, *INERT_TAGS, etree.Comment, with_tail=False)
    return "".join(node.itertext()) + tail


def _append_text(parent: HtmlElement, anchor: HtmlElement | None, pieces: list[str]) -> None:
    if not pieces:
        return
    text = " ".join(pieces)
    if anchor is None:
        parent.text = (parent.text or "") + text
    else:
        anchor.tail = (anchor.tail or "") + text
