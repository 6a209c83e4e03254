"""Article items as the extraction pipeline hands them to the store, for the store's tests."""

from __future__ import annotations

from datetime import datetime

from crawler.items import ArticleItem


def article_item(
    url: str, text: str, published: datetime | None, outlet: str = "rs"
) -> ArticleItem:
    return ArticleItem(
        outlet_id=outlet,
        url=url,
        requested_url=url,
        html=None,
        canonical_url=url,
        title="T",
        published=published,
        text=text,
    )
