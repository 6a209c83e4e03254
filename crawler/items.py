"""What flows between the spider and the item pipelines."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass
class ArticleItem:
    """A fetched article page; the extraction pipeline fills in everything after `html`.

    Its repr (what Scrapy logs for a dropped or scraped item) leaves out the page and the text:
    a log line never carries a page body."""

    outlet_id: str
    url: str  # the URL the page was finally served from
    requested_url: str  # the URL discovery found (before redirects)
    html: bytes | None = field(repr=False)
    encoding: str | None = None
    hint_published: datetime | None = None  # from the feed or sitemap entry
    hint_title: str | None = None
    canonical_url: str | None = None
    title: str | None = None
    author: str | None = None
    published: datetime | None = None
    language: str | None = None
    text: str = field(default="", repr=False)
