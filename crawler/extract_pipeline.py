"""Extract stage of the item pipelines: a fetched page becomes a clean, identifiable article."""

from __future__ import annotations

import logging
import time

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from crawler.crawl_context import CrawlContext
from crawler.dedupe import canonical_url
from crawler.extract import extract_article
from crawler.items import ArticleItem
from crawler.language_guess import article_language
from crawler.page_template import OutletTemplate

logger = logging.getLogger(__name__)


class ExtractPipeline:
    """Page HTML -> title, author, date, language and body text; pages without text are dropped.

    The language is the one the page declares, or else the one identified from its text.

    Each outlet's learned template (see crawler.page_template) lives as long as the context's
    `templates` mapping: a long-running process hands the same one to every crawl. The CPU time
    spent extracting is added to the crawl's stats as `newsradar/extraction_seconds`; a page
    whose markup reached a bound (crawler.page_bounds) is logged with what was cut and counted
    as `newsradar/extract/markup_cut`.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.context = CrawlContext.from_crawler(crawler)
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ExtractPipeline:
        return cls(crawler)

    def process_item(self, item: ArticleItem) -> ArticleItem:
        outlet = self.context.outlets[item.outlet_id]
        run = self.context.runs[item.outlet_id]
        templates = self.context.templates
        started = time.process_time()
        try:
            extracted = extract_article(
                item.html or b"",
                item.url,
                content_xpath=outlet.content_xpath,
                remove_xpath=outlet.remove_xpath,
                template=templates.setdefault(item.outlet_id, OutletTemplate()),
            )
        except Exception as exc:  # a hostile page must not stop the crawl
            reason = f"{type(exc).__name__}: {exc}"[:200]  # an error may quote the page
            run.page_errors.append(f"{item.url}: extraction failed: {reason}")
            raise DropItem(f"extraction failed for {item.url}") from exc
        finally:
            if self.stats is not None:
                seconds = time.process_time() - started
                self.stats.inc_value("newsradar/extraction_seconds", seconds)  # type: ignore[arg-type]  # why: Scrapy annotates the count as int; it adds any number, and this stat sums seconds
        if extracted is None or not extracted.text.strip():
            run.textless.append((item.requested_url, item.url))
            raise DropItem(f"no article text at {item.url}", log_level="INFO")
        if extracted.cuts:
            logger.warning("markup cut at %s: %s", item.url, "; ".join(extracted.cuts))
            if self.stats is not None:
                self.stats.inc_value("newsradar/extract/markup_cut")
        item.html = None  # the page is not needed past this point; keep memory flat
        declared = extracted.url
        # A page may only claim a canonical URL on its own outlet's hosts.
        item.canonical_url = canonical_url(
            declared if declared and outlet.owns(declared) else item.url
        )
        item.title = extracted.title or item.hint_title
        item.author = extracted.author
        item.published = extracted.published or item.hint_published
        item.language = article_language(extracted.language, extracted.text)
        item.text = extracted.text
        return item
