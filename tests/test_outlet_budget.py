"""Each outlet's budget per run (crawler/outlet_budget.py): requests, bytes and time counted per
outlet, the outlet stopped once one is spent, the others untouched; a total time per response."""

from __future__ import annotations

import pytest
from scrapy import Request, Spider
from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse

from crawler.crawl_context import CrawlContext, by_id
from crawler.outlet_budget import DEADLINE_META, RESPONSE_SECONDS_SETTING, OutletBudgetMiddleware
from crawler.outlet_spec import Budget, OutletSpec
from tests.support.component_crawler import crawler_with


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def middleware(
    budget: Budget, response_seconds: float = 0
) -> tuple[OutletBudgetMiddleware, CrawlContext, Clock]:
    outlets = [
        OutletSpec("hostile", "Hostile", listing_pages=("http://bad.example/",), budget=budget),
        OutletSpec("good", "Good", listing_pages=("http://good.example/",)),
    ]
    context = CrawlContext(by_id(outlets))
    settings = {"DOWNLOAD_TIMEOUT": 30, "DOWNLOAD_MAXSIZE": 10_000_000}
    if response_seconds:
        settings[RESPONSE_SECONDS_SETTING] = response_seconds
    clock = Clock()
    crawler = crawler_with(context, Spider, settings)
    return OutletBudgetMiddleware(crawler, clock), context, clock


def request(outlet: str, path: str = "/a") -> Request:
    host = "bad.example" if outlet == "hostile" else "good.example"
    return Request(f"http://{host}{path}", meta={"outlet": outlet})


def test_requests_past_the_budget_are_refused_for_that_outlet_only() -> None:
    budget_mw, context, _ = middleware(Budget(requests=3))
    for _ in range(3):
        budget_mw.process_request(request("hostile"))
    with pytest.raises(IgnoreRequest, match="budget exhausted: 3 requests"):
        budget_mw.process_request(request("hostile"))
    with pytest.raises(IgnoreRequest):  # and stays refused
        budget_mw.process_request(request("hostile"))
    for _ in range(10):
        budget_mw.process_request(request("good"))
    assert context.runs["hostile"].budget_exhausted == "3 requests"
    assert context.runs["hostile"].failed
    assert "budget exhausted" in (context.runs["hostile"].error_summary or "")
    assert context.runs["good"].budget_exhausted is None


def test_bytes_received_spend_the_budget_and_bound_the_next_answer() -> None:
    budget_mw, context, _ = middleware(Budget(bytes=5_120))
    first = request("hostile")
    budget_mw.process_request(first)
    assert first.meta["download_maxsize"] == 5_120
    response = HtmlResponse(first.url, body=b"x" * 3_000, request=first)
    assert budget_mw.process_response(first, response) is response  # kept
    second = request("hostile", "/b")
    budget_mw.process_request(second)
    assert second.meta["download_maxsize"] == 2_120
    budget_mw.process_response(second, HtmlResponse(second.url, body=b"y" * 2_120))
    with pytest.raises(IgnoreRequest, match="budget exhausted: 5 KiB"):
        budget_mw.process_request(request("hostile", "/c"))
    assert context.runs["hostile"].budget_exhausted


def test_the_time_budget_bounds_each_download_and_then_stops_the_outlet() -> None:
    budget_mw, context, clock = middleware(Budget(seconds=10))
    first = request("hostile")
    budget_mw.process_request(first)
    assert first.meta["download_timeout"] == 10
    clock.now += 8
    second = request("hostile", "/b")
    budget_mw.process_request(second)
    assert second.meta["download_timeout"] == pytest.approx(2)
    clock.now += 3
    with pytest.raises(IgnoreRequest, match="10 s"):
        budget_mw.process_request(request("hostile", "/c"))
    budget_mw.process_request(request("good"))  # its clock started with its own first request
    assert context.runs["good"].budget_exhausted is None


def test_a_retry_gets_only_what_is_left_of_the_response_time() -> None:
    budget_mw, _, clock = middleware(Budget(), response_seconds=40)
    first = request("hostile")
    budget_mw.process_request(first)
    assert first.meta["download_timeout"] == 30
    clock.now += 30  # timed out; the retry carries the same meta
    retry = first.replace(meta={**first.meta, "retry_times": 1})
    budget_mw.process_request(retry)
    assert retry.meta["download_timeout"] == pytest.approx(10)
    assert retry.meta[DEADLINE_META] == first.meta[DEADLINE_META]
    clock.now += 10
    again = retry.replace(meta={**retry.meta, "retry_times": 2})
    with pytest.raises(IgnoreRequest, match="no answer within 40 s"):
        budget_mw.process_request(again)


def test_retries_are_drawn_from_the_request_budget() -> None:
    budget_mw, context, _ = middleware(Budget(requests=2))
    first = request("hostile")
    budget_mw.process_request(first)
    budget_mw.process_request(first.replace(meta={**first.meta, "retry_times": 1}))
    with pytest.raises(IgnoreRequest):
        budget_mw.process_request(first.replace(meta={**first.meta, "retry_times": 2}))
    assert context.runs["hostile"].budget_exhausted == "2 requests"


def test_a_new_run_of_a_long_crawl_starts_a_new_budget() -> None:
    budget_mw, context, _ = middleware(Budget(requests=1))
    budget_mw.process_request(request("hostile"))
    with pytest.raises(IgnoreRequest):
        budget_mw.process_request(request("hostile"))
    runs = context.take_runs()  # a worker records one period of its endless crawl
    assert runs["hostile"].budget_exhausted
    budget_mw.process_request(request("hostile"))
    assert context.runs["hostile"].budget_exhausted is None
