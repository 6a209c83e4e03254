"""An outlet's template, learned from the pages crawled: what it repeats is not any article.

A paragraph that shows up on several different pages of one outlet (a disclaimer, a newsletter
pitch, a "follow us" line, a standing credit) is part of the outlet's page template, whatever its
wording or markup. No rule can list them all; counting them across the outlet's own pages finds
them. Memory stays bounded: only the most recent pages' paragraph fingerprints are kept.
"""

from __future__ import annotations

import hashlib
from collections import Counter, deque

from crawler.normalize import normalize

# Pages of one outlet a paragraph must appear on before it counts as template.
MIN_PAGES = 3
# How many recent pages the counts cover.
WINDOW = 200


def fingerprint(paragraph: str) -> bytes:
    """Casefolded words only, hashed: the same block across markup and punctuation variants."""
    return hashlib.blake2b(normalize(paragraph).encode(), digest_size=8).digest()


class OutletTemplate:
    """Paragraph filter for one outlet: drops the paragraphs seen on ``min_pages`` other pages,
    then learns the page's own paragraphs. Call it with each page's paragraphs, in crawl order.
    """

    def __init__(self, min_pages: int = MIN_PAGES, window: int = WINDOW) -> None:
        self.min_pages = min_pages
        self._counts: Counter[bytes] = Counter()
        self._pages: deque[frozenset[bytes]] = deque(maxlen=window)

    def __call__(self, paragraphs: list[str]) -> list[str]:
        prints = [fingerprint(p) for p in paragraphs]
        kept = [p for p, f in zip(paragraphs, prints, strict=True) if not self.is_template(f)]
        self.learn(prints)
        # A page made of template alone is an unusual page, not an empty article.
        return kept if kept else paragraphs

    def is_template(self, print_: bytes) -> bool:
        return self._counts[print_] >= self.min_pages

    def learn(self, prints: list[bytes]) -> None:
        page = frozenset(prints)
        if page in self._pages:  # the same page again (a URL variant): no new evidence
            return
        if len(self._pages) == self._pages.maxlen:
            for print_ in self._pages[0]:
                self._counts[print_] -= 1
                if self._counts[print_] <= 0:
                    del self._counts[print_]
        self._pages.append(page)
        self._counts.update(page)
