"""A crawl that fetches the URLs it is given and hands back what each answered.

Reading a site before it is configured (`add-outlet`) or trying an outlet without storing
anything (`try-outlet`) needs pages one step at a time: the home page says where the feeds are,
robots.txt where the sitemaps are, a sitemap index where its children are. Each step is one
crawl of this spider, through the same downloader middlewares as every crawl (the outlet's
origins, robots.txt, its budget, time-outs, page and header size limits), so a site nobody
knows yet is read within the same bounds as the outlets already watched.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, MutableMapping, Sequence
from dataclasses import dataclass
from typing import Any

import scrapy
from scrapy.http import Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from crawler.spiders.outlet_spider import describe_failure


@dataclass(frozen=True)
class Fetched:
    """What one URL answered: a response (any status) or why there was none."""

    url: str  # as asked
    final_url: str | None = None  # after redirects
    status: int | None = None
    body: bytes = b""
    content_type: str = ""
    page: TextResponse | None = None  # a text answer, for reading its links
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


class FetchSpider(scrapy.Spider):
    name = "fetch"

    def __init__(
        self,
        urls: Sequence[str],
        outlet_id: str,
        results: MutableMapping[str, Fetched],
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.urls = list(dict.fromkeys(urls))
        self.outlet_id = outlet_id
        self.results = results

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for url in self.urls:
            yield scrapy.Request(
                url,
                callback=self.keep,
                errback=self.failed,
                dont_filter=True,
                meta={"outlet": self.outlet_id, "asked": url},
            )

    def keep(self, response: Response) -> None:
        asked = response.meta["asked"]
        content_type = (response.headers.get("Content-Type") or b"").decode("latin-1")
        self.results[asked] = Fetched(
            asked,
            final_url=response.url,
            status=response.status,
            body=response.body,
            content_type=content_type,
            page=response if isinstance(response, TextResponse) else None,
        )

    def failed(self, failure: Failure) -> None:
        request = failure.request  # type: ignore[attr-defined]  # why: Scrapy sets .request on the Failure it hands an errback; Failure does not declare it
        asked = request.meta["asked"]
        status = failure.value.response.status if isinstance(failure.value, HttpError) else None
        reason = describe_failure(failure)
        if "DownloadCancelled" in reason:  # what the size limit of the download handler raises
            reason = "larger than the page size limit (crawl.max_page_mb)"
        self.results[asked] = Fetched(asked, status=status, error=reason)
