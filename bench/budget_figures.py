"""What the budget per outlet costs an idle cycle, side by side with the cycle itself.

The idle cycle is the real `newsradar run-once` over synthetic outlets with nothing new (as in
the idle figure); the bookkeeping is `OutletBudgetMiddleware` alone, given the same number of
requests and answers spread over the same outlets, timed in this process. The cycle without
the bookkeeping is the difference of the two: switching the middleware off in a real run would
need a switch in the product that only the bench uses.
"""

from __future__ import annotations

import time

from scrapy import Request, Spider
from scrapy.http import Response
from scrapy.utils.test import get_crawler

from bench.crawl_figures import scale_point
from bench.report import Section, median
from crawler.crawl_context import CrawlContext, by_id
from crawler.outlet_budget import RESPONSE_SECONDS_SETTING, OutletBudgetMiddleware
from crawler.outlet_spec import OutletSpec

TARGET_SHARE = 0.05


def bookkeeping_seconds(outlets: int, requests: int) -> float:
    """CPU seconds the middleware spends on `requests` requests and their 304 answers."""
    specs = [
        OutletSpec(f"o{i}", f"Outlet {i}", feeds=(f"http://127.1.{i // 250}.{i % 250}/feed/",))
        for i in range(outlets)
    ]
    context = CrawlContext(by_id(specs))
    crawler = get_crawler(Spider, {RESPONSE_SECONDS_SETTING: 60, "DOWNLOAD_TIMEOUT": 30})
    crawler.settings.frozen = False
    context.install(crawler)
    middleware = OutletBudgetMiddleware(crawler)
    pairs = []
    for number in range(requests):
        spec = specs[number % outlets]
        request = Request(spec.feeds[0], meta={"outlet": spec.id})
        headers = {"ETag": '"abc"', "Date": "Mon, 01 Jan 2035 10:00:00 GMT"}
        pairs.append((request, Response(request.url, status=304, headers=headers)))
    started = time.process_time()
    for request, response in pairs:
        middleware.process_request(request)
        middleware.process_response(request, response)
    return time.process_time() - started


def budget(quick: bool) -> Section:
    section = Section("budget")
    outlets, repeats = (100, 2) if quick else (300, 3)
    point = scale_point(outlets, 2, repeats)
    idle_cpu = median([run.cpu for run, _ in point.idle])
    requests = sum(point.idle[-1][1].values())
    bookkeeping = median([bookkeeping_seconds(outlets, requests) for _ in range(5)])
    share = bookkeeping / idle_cpu if idle_cpu else float("nan")
    section.add(
        "budget bookkeeping, share of the idle cycle's CPU",
        round(share * 100, 3),
        "%",
        f"< {TARGET_SHARE * 100:.0f} %",
        ok=share < TARGET_SHARE,
    )
    section.tables.append(
        (
            f"Idle cycle over {outlets} unchanged outlets, with and without the budget "
            f"bookkeeping (median of {repeats} runs; bookkeeping median of 5 timings)",
            ["outlets", "requests", "CPU s with", "bookkeeping CPU s", "CPU s without"],
            [
                [
                    outlets,
                    requests,
                    f"{idle_cpu:.3f}",
                    f"{bookkeeping:.4f}",
                    f"{idle_cpu - bookkeeping:.3f}",
                ]
            ],
        )
    )
    return section
