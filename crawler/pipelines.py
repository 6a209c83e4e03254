"""Item pipelines of the crawler: a fetched page becomes a clean, identifiable article."""

from __future__ import annotations

from typing import Any

from scrapy.exceptions import DropItem

from crawler.dedupe import canonical_url
from crawler.extract import extract_article
from crawler.items import ArticleItem


class ExtractPipeline:
    """Page HTML -> title, author, date, language and body text; pages without text are dropped."""

    def process_item(self, item: ArticleItem, spider: Any) -> ArticleItem:
        outlet = spider.outlets[item.outlet_id]
        run = spider.runs[item.outlet_id]
        try:
            extracted = extract_article(
                item.html or b"",
                item.url,
                content_xpath=outlet.content_xpath,
                remove_xpath=outlet.remove_xpath,
            )
        except Exception as exc:  # a hostile page must not stop the crawl
            run.page_errors.append(f"{item.url}: extraction failed: {type(exc).__name__}: {exc}")
            raise DropItem(f"extraction failed for {item.url}") from exc
        if extracted is None or not extracted.text.strip():
            run.pages_without_text += 1
            raise DropItem(f"no article text at {item.url}", log_level="INFO")
        item.html = None  # the page is not needed past this point; keep memory flat
        declared = extracted.url
        # A page may only claim a canonical URL on its own outlet's hosts.
        item.canonical_url = canonical_url(
            declared if declared and outlet.owns(declared) else item.url
        )
        item.title = extracted.title or item.hint_title
        item.author = extracted.author
        item.published = extracted.published or item.hint_published
        item.language = extracted.language
        item.text = extracted.text
        return item
