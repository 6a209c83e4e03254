"""Contracts for the private internals of dependencies that production code relies on.

Each test checks, against the installed dependency, one hook that `crawler/`, `newsradar/` or
`notifier/` uses although the dependency does not promise it: that it still exists, has the
shape the project relies on and is still consulted. `pyproject.toml` bounds each such dependency
below its next release; before raising a bound, run `uv run pytest tests/contracts`. A failure
names the dependency and its version, the hook, and the production code that uses it.
"""

from __future__ import annotations

import asyncio
import functools
import gzip
import inspect
import json
import subprocess
import sys
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import version
from types import SimpleNamespace
from typing import Any

import pytest
import scrapy
from scrapy.core.downloader import Slot
from scrapy.core.engine import ExecutionEngine
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.http import TextResponse
from scrapy.pqueues import DownloaderAwarePriorityQueue
from scrapy.robotstxt import RobotParser
from scrapy.squeues import FifoMemoryQueue
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.gz import gunzip
from scrapy.utils.misc import build_from_crawler
from scrapy.utils.test import get_crawler
from scrapy_redis import picklecompat
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.queue import Base as RedisQueueBase
from scrapy_redis.queue import PriorityQueue
from scrapy_redis.scheduler import Scheduler as RedisScheduler
from trafilatura.metadata import extract_author
from trafilatura.utils import load_html
from twisted.internet.defer import Deferred

pytestmark = pytest.mark.fast


@dataclass(frozen=True)
class Hook:
    """A private hook of a dependency: whose it is, its name, and who uses it for what.

    Decorating a test with a hook makes any error in it, not only a failed assert, a failure
    that names the hook.
    """

    dist: str
    name: str
    user: str

    def broken(self, problem: str) -> str:
        return f"{self.dist} {version(self.dist)}: {self.name} {problem}; {self.user}"

    def __call__(self, test: Callable[[], None]) -> Callable[[], None]:
        @functools.wraps(test)
        def checked() -> None:
            try:
                test()
            except AssertionError:
                raise
            except Exception as exc:
                problem = f"no longer works as relied on ({type(exc).__name__}: {exc})"
                pytest.fail(self.broken(problem))

        return checked


ROBOTS = "crawler/middlewares/robots_txt.py (SharedRobotsTxtMiddleware)"
FRONTIER = "crawler/frontier_scheduler.py (LeasedScheduler)"

PARSERS = Hook(
    "scrapy", "RobotsTxtMiddleware._parsers", f"{ROBOTS} seeds it with kept robots.txt rules"
)
PARSERIMPL = Hook(
    "scrapy", "RobotsTxtMiddleware._parserimpl", f"{ROBOTS} builds kept robots.txt parsers with it"
)
STATS = Hook("scrapy", "RobotsTxtMiddleware._stats", f"{ROBOTS} counts kept robots.txt with it")
PARSE_ROBOTS = Hook(
    "scrapy",
    "RobotsTxtMiddleware._parse_robots(response, netloc, request)",
    f"{ROBOTS} overrides it to keep each fetched robots.txt",
)
ROBOTS_ERROR = Hook(
    "scrapy",
    "RobotsTxtMiddleware._robots_error(exc, netloc)",
    f"{ROBOTS} overrides it so an unreadable robots.txt refuses its host, not allows it",
)
BUILD = Hook(
    "scrapy", "scrapy.utils.misc.build_from_crawler", f"{ROBOTS} builds kept parsers with it"
)
TO_FUTURE = Hook(
    "scrapy",
    "scrapy.utils.defer.maybe_deferred_to_future",
    f"{ROBOTS} hands each waiter its own robots.txt relay with it",
)
HEARTBEAT = Hook(
    "scrapy",
    "ExecutionEngine._SLOT_HEARTBEAT_INTERVAL",
    f"{FRONTIER} sets it to poll the shared frontier",
)
NEXTCALL = Hook(
    "scrapy",
    "ExecutionEngine._slot.nextcall.schedule()",
    f"{FRONTIER} wakes the engine with it the moment a host's slot comes due",
)
PQUEUES = Hook(
    "scrapy",
    "DownloaderAwarePriorityQueue.pqueues",
    "crawler/host_queue.py (IdleHostFirstQueue) takes hosts from it in turn",
)
DOWNLOADER_STATS = Hook(
    "scrapy",
    "DownloaderAwarePriorityQueue._downloader_interface.stats",
    "crawler/host_queue.py (IdleHostFirstQueue) finds idle hosts with it",
)
GUNZIP = Hook(
    "scrapy",
    "scrapy.utils.gz.gunzip(data, *, max_size)",
    "crawler/spiders/outlet_spider.py unpacks gzipped sitemaps with it",
)
ENCODE = Hook(
    "scrapy-redis",
    "PriorityQueue._encode_request/_decode_request",
    f"{FRONTIER} writes and reads frontier entries with them",
)
QUEUE_INIT = Hook(
    "scrapy-redis",
    "queue.Base(server, spider, key, serializer)",
    f"{FRONTIER} and crawler/frontier_queue.py encode requests with it",
)
QUEUE_LAYOUT = Hook(
    "scrapy-redis",
    "PriorityQueue layout (a sorted set scored by -priority)",
    f"{FRONTIER} adds and pops entries in that layout itself",
)
SCHEDULER_STATE = Hook(
    "scrapy-redis",
    "Scheduler.__init__ keywords and server/queue_cls/serializer/df/stats attributes",
    f"{FRONTIER} subclasses it and reads them",
)
DUPEFILTER = Hook(
    "scrapy-redis",
    "RFPDupeFilter layout (request_fingerprint(request) in the Redis set at key)",
    f"{FRONTIER} removes fingerprints from that set itself (forget)",
)
PICKLECOMPAT = Hook(
    "scrapy-redis", "scrapy_redis.picklecompat", f"{FRONTIER} encodes discovery requests with it"
)
EXTRACT_AUTHOR = Hook(
    "trafilatura",
    "trafilatura.metadata.extract_author(tree)",
    "crawler/extract.py finds bylines near the article with it",
)
SHARED_OPTIONS = Hook(
    "trafilatura",
    "bare_extraction(tree, options=Extractor(...)) leaving the Extractor unchanged",
    "crawler/extract.py builds the engine's settings once and hands them to every page",
)

ROBOTS_TXT = b"User-agent: *\nDisallow: /private\n"


def params(function: Any) -> list[str]:
    return list(inspect.signature(function).parameters)


# -- scrapy: robots.txt middleware (crawler/middlewares/robots_txt.py) --


class RecordingRobots(RobotsTxtMiddleware):
    """The stock middleware, noting each `_parse_robots` call; robots.txt "downloads" are
    answered here (optionally held until `release` is set), so nothing touches the network."""

    def __init__(self, crawler: Any) -> None:
        super().__init__(crawler)
        self.parsed: list[tuple[str, str, str]] = []
        self.fetched: list[str] = []
        self.release = asyncio.Event()
        self.release.set()
        crawler.engine = SimpleNamespace(download_async=self._download)

    async def _download(self, request: scrapy.Request) -> TextResponse:
        self.fetched.append(request.url)
        await self.release.wait()
        return TextResponse(request.url, body=ROBOTS_TXT, request=request)

    async def _parse_robots(self, response: Any, netloc: str, request: Any) -> None:
        self.parsed.append((response.url, netloc, request.url))
        await super()._parse_robots(response, netloc, request)


def robots_middleware() -> RecordingRobots:
    return RecordingRobots(get_crawler(scrapy.Spider, {"ROBOTSTXT_OBEY": True}))


@PARSERS
def test_robots_middleware_keeps_parsers_by_netloc_in_a_dict() -> None:
    middleware = robots_middleware()
    assert isinstance(middleware._parsers, dict), PARSERS.broken("is not a dict")
    assert not middleware._parsers, PARSERS.broken("is not empty on a new middleware")


@PARSERIMPL
def test_robots_middleware_parser_class_builds_from_a_body() -> None:
    middleware = robots_middleware()
    impl = middleware._parserimpl
    assert isinstance(impl, type) and issubclass(impl, RobotParser), PARSERIMPL.broken(
        f"is {impl!r}, not a RobotParser class"
    )
    parser = build_from_crawler(impl, middleware.crawler, ROBOTS_TXT)
    assert not parser.allowed("http://outlet.example/private/a", "newsradar"), PARSERIMPL.broken(
        "built from a robots.txt body does not obey it"
    )


@STATS
def test_robots_middleware_stats_are_the_crawlers() -> None:
    middleware = robots_middleware()
    assert middleware._stats is middleware.crawler.stats, STATS.broken(
        "is not the crawler's stats collector"
    )
    assert callable(middleware._stats.inc_value), STATS.broken("has no inc_value")


@PARSE_ROBOTS
def test_robot_parser_fetches_once_per_netloc_and_calls_parse_robots() -> None:
    signature = params(RobotsTxtMiddleware._parse_robots)
    assert signature == ["self", "response", "netloc", "request"], PARSE_ROBOTS.broken(
        f"now takes {signature}"
    )
    assert inspect.iscoroutinefunction(RobotsTxtMiddleware._parse_robots), PARSE_ROBOTS.broken(
        "is no longer a coroutine function (the override awaits super())"
    )
    middleware = robots_middleware()
    page = scrapy.Request("http://outlet.example:8080/private/a")

    async def ask() -> Any:
        first = await middleware.robot_parser(page)
        again = await middleware.robot_parser(page.replace(url="http://outlet.example:8080/b"))
        return first, again

    first, again = asyncio.run(ask())
    assert middleware.parsed == [
        ("http://outlet.example:8080/robots.txt", "outlet.example:8080", page.url)
    ], PARSE_ROBOTS.broken(
        f"was not called once as (response, netloc, request): {middleware.parsed}"
    )
    assert middleware.fetched == ["http://outlet.example:8080/robots.txt"], PARSERS.broken(
        f"did not stop a second fetch of the same netloc: {middleware.fetched}"
    )
    assert set(middleware._parsers) == {"outlet.example:8080"}, PARSERS.broken(
        f"is not keyed by netloc: {list(middleware._parsers)}"
    )
    assert middleware._parsers["outlet.example:8080"] is first is again, PARSERS.broken(
        "does not hold the parser robot_parser returns"
    )
    assert not first.allowed(page.url, "newsradar"), PARSE_ROBOTS.broken("parsed the wrong rules")


@PARSERS
def test_robot_parser_holds_a_deferred_while_robots_txt_is_fetched() -> None:
    middleware = robots_middleware()
    middleware.release.clear()
    fired: list[Any] = []

    async def ask() -> tuple[Any, Any]:
        task = asyncio.ensure_future(
            middleware.robot_parser(scrapy.Request("http://outlet.example/a"))
        )
        for _ in range(20):
            await asyncio.sleep(0)
        pending = middleware._parsers.get("outlet.example")
        if isinstance(pending, Deferred):
            pending.addCallback(lambda result: fired.append(result) or result)
        middleware.release.set()
        return pending, await task

    pending, parser = asyncio.run(ask())
    assert isinstance(pending, Deferred), PARSERS.broken(
        f"holds {pending!r}, not a Deferred, while robots.txt is fetched"
    )
    assert fired == [parser] and parser is not None, PARSERS.broken(
        "pending Deferred did not fire with the parser"
    )


@PARSERS
def test_robot_parser_uses_a_parser_already_in_parsers() -> None:
    middleware = robots_middleware()
    kept = build_from_crawler(middleware._parserimpl, middleware.crawler, ROBOTS_TXT)
    middleware._parsers["outlet.example"] = kept
    parser = asyncio.run(middleware.robot_parser(scrapy.Request("http://outlet.example/a")))
    assert parser is kept and not middleware.fetched, PARSERS.broken(
        "seeded with a parser, robot_parser fetched robots.txt again or returned another parser"
    )


@ROBOTS_ERROR
def test_robot_parser_hands_a_failed_download_to_robots_error() -> None:
    signature = params(RobotsTxtMiddleware._robots_error)
    assert signature == ["self", "exc", "netloc"], ROBOTS_ERROR.broken(f"now takes {signature}")
    errors: list[tuple[str, str]] = []

    class Failing(RecordingRobots):
        async def _download(self, request: scrapy.Request) -> TextResponse:
            raise ConnectionRefusedError("refused")

        def _robots_error(self, exc: Exception, netloc: str) -> None:
            errors.append((type(exc).__name__, netloc))
            super()._robots_error(exc, netloc)

    middleware = Failing(get_crawler(scrapy.Spider, {"ROBOTSTXT_OBEY": True}))
    asyncio.run(middleware.robot_parser(scrapy.Request("http://outlet.example/a")))
    assert errors == [("ConnectionRefusedError", "outlet.example")], ROBOTS_ERROR.broken(
        f"was not called once as (exc, netloc) for a failed download: {errors}"
    )


@BUILD
def test_build_from_crawler_passes_arguments_to_from_crawler() -> None:
    assert params(build_from_crawler)[:2] == ["objcls", "crawler"], BUILD.broken(
        f"now takes {params(build_from_crawler)}"
    )
    crawler = get_crawler(scrapy.Spider)

    class Built:
        @classmethod
        def from_crawler(cls, crawler: Any, body: bytes) -> Any:
            return SimpleNamespace(crawler=crawler, body=body)

    built = build_from_crawler(Built, crawler, b"body")
    assert built.crawler is crawler and built.body == b"body", BUILD.broken(
        "no longer calls objcls.from_crawler(crawler, *args)"
    )


@TO_FUTURE
def test_maybe_deferred_to_future_relays_a_deferred_result() -> None:
    async def relay() -> Any:
        deferred: Deferred[str] = Deferred()
        asyncio.get_running_loop().call_soon(deferred.callback, "rules")
        return await maybe_deferred_to_future(deferred)

    result = asyncio.run(relay())
    assert result == "rules", TO_FUTURE.broken(f"gave {result!r}, not the Deferred's result")


# -- scrapy: the engine's idle poll (crawler/frontier_scheduler.py) --


@HEARTBEAT
def test_engine_heartbeat_interval_is_a_class_attribute() -> None:
    value = getattr(ExecutionEngine, "_SLOT_HEARTBEAT_INTERVAL", None)
    assert value is not None, HEARTBEAT.broken("is gone")
    assert isinstance(value, int | float), HEARTBEAT.broken(f"is {value!r}, not a number")


# A crawl with nothing to fetch whose scheduler sets the interval as LeasedScheduler does, on
# the asyncio reactor as newsradar runs crawls. It keeps the spider open (as the frontier spider
# does) until it has been idle five times or three seconds have passed.
_IDLE_CRAWL = textwrap.dedent(
    """
    import json, sys, time
    import scrapy
    from scrapy import signals
    from scrapy.core.scheduler import Scheduler
    from scrapy.crawler import AsyncCrawlerRunner
    from scrapy.exceptions import DontCloseSpider
    from newsradar.processes.event_loop import ASYNCIO_REACTOR, run

    idle = []

    class PollingScheduler(Scheduler):
        @classmethod
        def from_crawler(cls, crawler):
            crawler.engine._SLOT_HEARTBEAT_INTERVAL = float(sys.argv[1])
            return super().from_crawler(crawler)

    class IdleSpider(scrapy.Spider):
        name = "idle"

        @classmethod
        def from_crawler(cls, crawler, *args, **kwargs):
            spider = super().from_crawler(crawler, *args, **kwargs)
            crawler.signals.connect(spider.on_idle, signal=signals.spider_idle)
            return spider

        async def start(self):
            return
            yield

        def on_idle(self):
            idle.append(time.monotonic())
            if len(idle) < 5 and idle[-1] - idle[0] < 3:
                raise DontCloseSpider

    async def main():
        runner = AsyncCrawlerRunner({
            "SCHEDULER": PollingScheduler, "TWISTED_REACTOR": ASYNCIO_REACTOR,
            "SCHEDULER_PRIORITY_QUEUE": "scrapy.pqueues.ScrapyPriorityQueue",
            "LOG_ENABLED": False, "TELNETCONSOLE_ENABLED": False,
        })
        await runner.crawl(IdleSpider)

    run(main)
    print(json.dumps({"idle": len(idle), "seconds": idle[-1] - idle[0]}))
    """
)


@HEARTBEAT
def test_engine_polls_an_idle_spider_at_the_interval_the_scheduler_sets() -> None:
    try:
        result = subprocess.run(
            [sys.executable, "-c", _IDLE_CRAWL, "0.05"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(HEARTBEAT.broken("set to 0.05 s did not end an idle crawl within 30 s"))
    assert result.returncode == 0, HEARTBEAT.broken(
        f"could not be set from a scheduler's from_crawler: {result.stderr[-2000:]}"
    )
    polls = json.loads(result.stdout.strip().splitlines()[-1])
    assert polls["idle"] >= 5 and polls["seconds"] < 2, HEARTBEAT.broken(
        f"set to 0.05 s is not how often the engine looks at an idle spider ({polls})"
    )


@NEXTCALL
def test_engine_slot_nextcall_schedules_the_next_request() -> None:
    from scrapy.core.engine import _Slot
    from scrapy.utils.reactor import CallLaterOnce

    assert "nextcall" in inspect.signature(_Slot.__init__).parameters, NEXTCALL.broken("is gone")
    assert callable(getattr(CallLaterOnce, "schedule", None)), NEXTCALL.broken("cannot schedule")
    source = inspect.getsource(ExecutionEngine)
    assert "CallLaterOnce(self._start_scheduled_requests)" in source, NEXTCALL.broken(
        "no longer starts the scheduled requests"
    )


# -- scrapy: the downloader-aware priority queue (crawler/host_queue.py) --


def downloader_aware_queue() -> tuple[DownloaderAwarePriorityQueue, Any]:
    crawler = get_crawler(scrapy.Spider)
    crawler.engine = crawler._create_engine()
    queue = DownloaderAwarePriorityQueue.from_crawler(crawler, FifoMemoryQueue, "")
    return queue, crawler.engine.downloader


@PQUEUES
def test_downloader_aware_queue_keeps_one_queue_per_slot_in_pqueues() -> None:
    queue, _ = downloader_aware_queue()
    for host in ("a", "b"):
        queue.push(scrapy.Request(f"http://{host}.example/1"))
        queue.push(scrapy.Request(f"http://{host}.example/2"))
    assert isinstance(queue.pqueues, dict), PQUEUES.broken("is not a dict")
    assert list(queue.pqueues) == ["a.example", "b.example"], PQUEUES.broken(
        f"is not keyed by download slot in arrival order: {list(queue.pqueues)}"
    )
    # IdleHostFirstQueue moves a slot to the back by taking it out and putting it back.
    slot_queue = queue.pqueues.pop("a.example")
    assert len(slot_queue) == 2, PQUEUES.broken("per-slot queue has no length")
    assert slot_queue.peek().url == slot_queue.pop().url, PQUEUES.broken(
        "per-slot queue's peek and pop disagree"
    )
    queue.pqueues["a.example"] = slot_queue
    assert len(queue) == 3 and queue.close() is not None, PQUEUES.broken(
        "cannot be reordered by the subclass"
    )


@DOWNLOADER_STATS
def test_downloader_interface_counts_active_downloads_per_slot() -> None:
    queue, downloader = downloader_aware_queue()
    running = scrapy.Request("http://busy.example/running")
    downloader.slots.setdefault("busy.example", Slot(1, 0)).active.add(running)
    stats = queue._downloader_interface.stats(("busy.example", "idle.example"))
    assert stats == [(1, "busy.example"), (0, "idle.example")], DOWNLOADER_STATS.broken(
        f"does not answer [(active downloads, slot), ...]: {stats}"
    )


# -- scrapy: gzip (crawler/spiders/outlet_spider.py) --


@GUNZIP
def test_gunzip_takes_max_size_and_refuses_bigger_output_with_value_error() -> None:
    parameter = inspect.signature(gunzip).parameters.get("max_size")
    assert parameter is not None and parameter.kind is parameter.KEYWORD_ONLY, GUNZIP.broken(
        f"now takes {params(gunzip)}"
    )
    packed = gzip.compress(b"<urlset/>" * 100)
    assert gunzip(packed, max_size=0) == b"<urlset/>" * 100, GUNZIP.broken("unpacks wrongly")
    try:
        gunzip(packed, max_size=10)
    except (OSError, ValueError):  # what outlet.py catches
        pass
    else:
        pytest.fail(GUNZIP.broken("unpacked past max_size"))


# -- scrapy-redis: the shared frontier (crawler/frontier_scheduler.py) --


class Recorder:
    """Takes the Redis calls scrapy-redis makes, keeping sets; nothing is sent anywhere."""

    def __init__(self) -> None:
        self.commands: list[tuple[Any, ...]] = []
        self.sets: dict[str, set[Any]] = {}

    def execute_command(self, *args: Any) -> None:
        self.commands.append(args)

    def sadd(self, key: str, *members: Any) -> int:
        before = len(self.sets.setdefault(key, set()))
        self.sets[key].update(members)
        return len(self.sets[key]) - before


class FrontierSpiderStandIn(scrapy.Spider):
    name = "contract"

    def parse_feed(self, response: Any) -> None: ...

    def source_failed(self, failure: Any) -> None: ...


def frontier_request(spider: FrontierSpiderStandIn) -> scrapy.Request:
    return scrapy.Request(
        "http://outlet.example/feed.xml",
        callback=spider.parse_feed,
        errback=spider.source_failed,
        priority=7,
        dont_filter=True,
        meta={"outlet": "outlet", "frontier_id": "0f" * 16, "depth_in_index": 1},
    )


@ENCODE
def test_priority_queue_encodes_requests_to_bytes_it_decodes_again() -> None:
    spider = FrontierSpiderStandIn()
    queue = PriorityQueue(None, spider, "newsradar:requests", picklecompat)
    request = frontier_request(spider)
    data = queue._encode_request(request)
    assert isinstance(data, bytes), ENCODE.broken(f"encodes to {type(data).__name__}")
    back = queue._decode_request(data)
    for field in ("url", "method", "priority", "dont_filter", "meta"):
        assert getattr(back, field) == getattr(request, field), ENCODE.broken(
            f"does not round-trip Request.{field}"
        )
    assert back.callback == spider.parse_feed and back.errback == spider.source_failed, (
        ENCODE.broken("does not round-trip the callback and errback")
    )


@QUEUE_INIT
def test_queue_is_built_without_a_server_and_defaults_to_picklecompat() -> None:
    assert params(RedisQueueBase.__init__) == ["self", "server", "spider", "key", "serializer"], (
        QUEUE_INIT.broken(f"now takes {params(RedisQueueBase.__init__)}")
    )
    spider = FrontierSpiderStandIn()
    # LeasedScheduler.open passes serializer=None; enqueue_discovery passes picklecompat.
    worker = PriorityQueue(server=None, spider=spider, key="k", serializer=None)
    discovery = PriorityQueue(None, spider, "k", picklecompat)
    assert worker.serializer is picklecompat, QUEUE_INIT.broken(
        f"defaults to serializer {worker.serializer!r}, not picklecompat, so workers "
        "could not read what enqueue_discovery writes"
    )
    decoded = worker._decode_request(discovery._encode_request(frontier_request(spider)))
    assert decoded.url == "http://outlet.example/feed.xml", QUEUE_INIT.broken(
        "with the default serializer decodes a picklecompat entry wrongly"
    )


@QUEUE_LAYOUT
def test_priority_queue_keeps_a_sorted_set_scored_by_minus_priority() -> None:
    spider = FrontierSpiderStandIn()
    server = Recorder()
    queue = PriorityQueue(server, spider, "newsradar:requests", picklecompat)
    queue.push(frontier_request(spider))
    [(command, key, score, data)] = server.commands
    assert (command, key, score) == ("ZADD", "newsradar:requests", -7), QUEUE_LAYOUT.broken(
        f"changed: push sends {(command, key, score)}"
    )
    assert queue._decode_request(data).url == "http://outlet.example/feed.xml", QUEUE_LAYOUT.broken(
        "changed: push stores something _decode_request cannot read"
    )


@SCHEDULER_STATE
def test_scheduler_takes_the_keywords_and_keeps_the_state_the_subclass_reads() -> None:
    expected = {"server", "persist", "queue_key", "queue_cls", "dupefilter_key", "dupefilter_cls"}
    missing = expected - set(params(RedisScheduler.__init__))
    assert not missing, SCHEDULER_STATE.broken(f"changed: {sorted(missing)} not accepted")
    scheduler = RedisScheduler(
        None,
        persist=True,
        queue_key="q",
        queue_cls="scrapy_redis.queue.PriorityQueue",
        dupefilter_key="d",
        dupefilter_cls="scrapy_redis.dupefilter.RFPDupeFilter",
    )
    state = {
        "server": scheduler.server,
        "queue_cls": scheduler.queue_cls,
        "serializer": scheduler.serializer,
        "df": scheduler.df,
        "stats": scheduler.stats,
    }
    assert state == {
        "server": None,
        "queue_cls": "scrapy_redis.queue.PriorityQueue",
        "serializer": None,
        "df": None,
        "stats": None,
    }, SCHEDULER_STATE.broken(f"changed: a new scheduler keeps {state}")


@DUPEFILTER
def test_dupefilter_keeps_request_fingerprints_in_a_redis_set() -> None:
    assert params(RFPDupeFilter.__init__)[:3] == ["self", "server", "key"], DUPEFILTER.broken(
        f"now takes {params(RFPDupeFilter.__init__)}"
    )
    server = Recorder()
    dupefilter = RFPDupeFilter(server, key="newsradar:dupefilter")
    request = scrapy.Request("http://outlet.example/a")
    first, second = dupefilter.request_seen(request), dupefilter.request_seen(request)
    fingerprint = dupefilter.request_fingerprint(request)
    assert (first, second) == (False, True), DUPEFILTER.broken("request_seen answers wrongly")
    assert server.sets == {"newsradar:dupefilter": {fingerprint}}, DUPEFILTER.broken(
        f"changed: request_seen stored {server.sets}"
    )


@PICKLECOMPAT
def test_picklecompat_round_trips() -> None:
    data = picklecompat.dumps({"url": "http://outlet.example/", "priority": 1})
    assert isinstance(data, bytes), PICKLECOMPAT.broken("dumps does not give bytes")
    assert picklecompat.loads(data) == {"url": "http://outlet.example/", "priority": 1}, (
        PICKLECOMPAT.broken("loads does not undo dumps")
    )


# -- trafilatura: bylines (crawler/extract.py) --


@EXTRACT_AUTHOR
def test_extract_author_reads_a_byline_from_a_tree() -> None:
    assert params(extract_author)[:1] == ["tree"], EXTRACT_AUTHOR.broken(
        f"now takes {params(extract_author)}"
    )
    tree = load_html(
        "<html><body><article><p class='byline'>By "
        "<a rel='author' href='/people/jane'>Jane Doe</a></p>"
        "<p>Some text of the article, long enough to be a paragraph.</p>"
        "</article></body></html>"
    )
    author = extract_author(tree)
    assert author == "Jane Doe", EXTRACT_AUTHOR.broken(f"found {author!r}, not 'Jane Doe'")


@SHARED_OPTIONS
def test_bare_extraction_reads_a_shared_extractor_without_changing_it() -> None:
    from trafilatura import bare_extraction
    from trafilatura.settings import Document, Extractor

    options = Extractor(output_format="python", fast=True, comments=False, tables=True)
    before = {name: getattr(options, name) for name in Extractor.__slots__}
    short = "<html><body><article><p>Too short to keep.</p></article></body></html>"
    long = (
        "<html><body><article>"
        + "<p>A paragraph of the article, long enough to count as its text here.</p>" * 20
        + "<div class='comments'><p>A reader's comment on the article.</p></div></article>"
        + "</body></html>"
    )
    for page in (short, long, short):  # the short page takes the recall escalation path
        bare_extraction(load_html(page), url="https://outlet.example/a", options=options)
    after = {name: getattr(options, name) for name in Extractor.__slots__}
    assert after == before, SHARED_OPTIONS.broken(f"changed the Extractor: {before} -> {after}")
    document = bare_extraction(load_html(long), options=options)
    assert isinstance(document, Document) and document.text, SHARED_OPTIONS.broken(
        "no longer returns a Document with text for output_format='python'"
    )
    assert "reader's comment" not in document.text, SHARED_OPTIONS.broken(
        "no longer leaves comments out with comments=False"
    )


# -- scrapy: the HTTP/1.1 handler's connection pool and parser (crawler/response_limits.py) --

HEADER_LIMITS = "crawler/response_limits.py (BoundedHeadersDownloadHandler)"
POOL_FACTORY = Hook(
    "scrapy",
    "HTTP11DownloadHandler._pool._factory (_LenientHTTP11ClientFactory)",
    f"{HEADER_LIMITS} replaces it with a factory of header-counting protocols",
)
LENIENT_PARSER = Hook(
    "scrapy",
    "_LenientHTTP11ClientProtocol.request() -> self._parser (_LenientHTTPClientParser), "
    "one lineReceived per status and header line",
    f"{HEADER_LIMITS} swaps the parser's class to count header lines and bytes",
)


_POOL_FACTORY_CHECK = textwrap.dedent(
    """
    from twisted.internet import asyncioreactor
    asyncioreactor.install()
    import inspect, scrapy
    from scrapy.core.downloader.handlers.http11 import (
        HTTP11DownloadHandler, _LenientHTTP11ClientFactory,
    )
    from scrapy.utils.test import get_crawler
    from crawler.response_limits import BoundedHeadersDownloadHandler, _BoundedFactory

    crawler = get_crawler(scrapy.Spider)
    stock = HTTP11DownloadHandler(crawler)
    assert stock._pool._factory is _LenientHTTP11ClientFactory, stock._pool._factory
    assert "self._factory(" in inspect.getsource(type(stock._pool)._newConnection)
    bounded = BoundedHeadersDownloadHandler(crawler)
    assert issubclass(bounded._pool._factory, _BoundedFactory), bounded._pool._factory
    """
)


@POOL_FACTORY
def test_the_http11_handler_builds_its_connections_with_the_pool_factory() -> None:
    # In a process of its own: the handler needs an installed reactor.
    result = subprocess.run(
        [sys.executable, "-c", _POOL_FACTORY_CHECK],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, POOL_FACTORY.broken(
        f"is not where the pool's connections come from: {result.stderr[-2000:]}"
    )


@LENIENT_PARSER
def test_the_lenient_protocol_parses_each_header_line_with_its_parser() -> None:
    from twisted.internet.testing import StringTransport
    from twisted.web._newclient import Request as TxRequest
    from twisted.web.http_headers import Headers as TxHeaders

    from crawler.response_limits import HeadersTooLarge, _BoundedProtocol

    protocol = _BoundedProtocol()
    protocol.max_lines = 10
    protocol.makeConnection(StringTransport())
    answer = protocol.request(TxRequest(b"GET", b"/", TxHeaders({b"Host": [b"x"]}), None))
    failures: list[Any] = []
    answer.addErrback(failures.append)
    protocol.dataReceived(b"HTTP/1.1 200 OK\r\n" + b"X-A: b\r\n" * 50)
    assert failures, LENIENT_PARSER.broken("took 50 header lines past a limit of 10")
    reasons = failures[0].value.reasons
    assert reasons[0].check(HeadersTooLarge), LENIENT_PARSER.broken(f"failed with {reasons}")
