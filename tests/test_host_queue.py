"""The order in which waiting requests leave for the downloader (crawler.host_queue)."""

from __future__ import annotations

import scrapy
from scrapy.core.downloader import Slot
from scrapy.squeues import FifoMemoryQueue
from scrapy.utils.test import get_crawler

from crawler.host_queue import IdleHostFirstQueue


def _queue() -> tuple[IdleHostFirstQueue, object]:
    crawler = get_crawler(scrapy.Spider)
    crawler.engine = crawler._create_engine()
    queue = IdleHostFirstQueue.from_crawler(crawler, FifoMemoryQueue, "")
    return queue, crawler.engine.downloader


def _drain(queue: IdleHostFirstQueue) -> list[str]:
    order = []
    while (request := queue.pop()) is not None:
        order.append(request.url)
    return order


def test_hosts_take_turns() -> None:
    queue, _downloader = _queue()
    for host in ("a", "b", "c"):
        for n in range(3):
            queue.push(scrapy.Request(f"http://{host}.example/{n}"))
    order = _drain(queue)
    hosts = [url.split("//")[1][0] for url in order]
    assert hosts == ["a", "b", "c"] * 3
    assert order[:3] == ["http://a.example/0", "http://b.example/0", "http://c.example/0"]


def test_a_busy_host_waits_while_idle_ones_are_served() -> None:
    queue, downloader = _queue()
    for host in ("busy", "idle1", "idle2"):
        queue.push(scrapy.Request(f"http://{host}.example/"))
    running = scrapy.Request("http://busy.example/running")
    slot = downloader.slots.setdefault("busy.example", Slot(1, 0))  # type: ignore[attr-defined]
    slot.active.add(running)
    assert queue.peek().url == "http://idle1.example/"  # type: ignore[union-attr]
    order = _drain(queue)
    assert order == ["http://idle1.example/", "http://idle2.example/", "http://busy.example/"]
