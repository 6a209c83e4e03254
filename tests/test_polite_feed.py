"""The worker's side of the host budget against a real Redis: requests are handed over when their
host's slot comes, not later, and a host waiting for its slot holds up no other host."""

from __future__ import annotations

import asyncio
import itertools
import time

import redis
from scrapy import Request

from crawler.host_budget import HostBudget, Policy
from crawler.polite_feed import (
    SLOT_META,
    HostTurns,
    PoliteFeed,
    RedisThread,
    host_of,
    queue_score,
)
from tests.support.redis_frontier import configured_redis_url

URL = configured_redis_url()


class Frontier:
    """Entries to pop (their URL as bytes), and when each request reached the engine."""

    def __init__(self, urls: list[str]) -> None:
        self.entries = [url.encode() for url in urls]
        self.handed: list[tuple[float, str]] = []
        self.dropped: list[str] = []

    def pop(self, count: int) -> list[bytes]:
        taken, self.entries = self.entries[:count], self.entries[count:]
        return taken


async def crawl(feed: PoliteFeed, frontier: Frontier, expected: int, timeout: float) -> float:
    """Take what the feed hands over, as the engine does when woken; how long it took."""
    started = time.monotonic()
    task = asyncio.get_running_loop().create_task(feed.run())
    try:
        while len(frontier.handed) + len(frontier.dropped) < expected:
            assert time.monotonic() - started < timeout, frontier.handed
            await asyncio.sleep(0.002)
    finally:
        task.cancel()
    return started


def make_feed(prefix: str, frontier: Frontier, policy: Policy, lookahead: int = 256) -> PoliteFeed:
    budget = HostBudget(redis.Redis.from_url(URL), prefix, policy)
    feed: PoliteFeed

    def wake_engine() -> None:
        while (request := feed.next()) is not None:
            frontier.handed.append((time.monotonic(), request.url))
            host, lease_id, _due = request.meta[SLOT_META]
            feed.release(host, lease_id)  # answered at once

    feed = PoliteFeed(
        budget,
        RedisThread("test-redis"),
        pop=frontier.pop,
        decode=lambda data: Request(data.decode()),
        drop=lambda request: frontier.dropped.append(request.url),
        wake_engine=wake_engine,
        lookahead=lookahead,
    )
    return feed


def test_each_host_gets_its_slots_on_time_while_the_other_goes_on(prefix: str) -> None:
    urls = [f"http://{host}.example/{n}" for n in range(5) for host in ("slow", "fast")]
    frontier = Frontier(urls)
    feed = make_feed(prefix, frontier, Policy(delay=0.3, concurrency=2))
    started = asyncio.run(crawl(feed, frontier, len(urls), timeout=10))
    for host in ("slow", "fast"):
        times = [t - started for t, url in frontier.handed if f"//{host}." in url]
        assert len(times) == 5
        gaps = [b - a for a, b in itertools.pairwise(times)]
        # Never sooner than the delay, and handed over when the slot comes, not a poll later.
        assert min(gaps) >= 0.29, gaps
        assert max(gaps) < 0.45, gaps  # an idle poll (0.25 s) would show
        assert times[0] < 0.15, times  # neither host waited for the other
    assert {url for _, url in frontier.handed} == set(urls)


def test_a_host_held_off_for_long_is_left_for_later_and_the_rest_goes_on(prefix: str) -> None:
    urls = ["http://held.example/1", "http://held.example/2", "http://free.example/1"]
    frontier = Frontier(urls)
    policy = Policy(delay=0.1, concurrency=2, max_wait=5)
    feed = make_feed(prefix, frontier, policy)
    HostBudget(redis.Redis.from_url(URL), prefix, policy).hold("held.example", 600)
    asyncio.run(crawl(feed, frontier, len(urls), timeout=5))
    assert [url for _, url in frontier.handed] == ["http://free.example/1"]
    assert sorted(frontier.dropped) == ["http://held.example/1", "http://held.example/2"]
    assert not feed.leases


def test_a_busy_host_is_asked_again_soon_after_a_lease_comes_back(prefix: str) -> None:
    """Another worker holds the only lease for 0.4 s; this one takes the host right after."""
    policy = Policy(delay=0.0, concurrency=1, lease=5)
    other = HostBudget(redis.Redis.from_url(URL), prefix, policy)
    assert other.take("busy.example", "other-worker").granted
    frontier = Frontier(["http://busy.example/1"])
    feed = make_feed(prefix, frontier, policy)

    async def main() -> float:
        asyncio.get_running_loop().call_later(
            0.4, other.release, [("busy.example", "other-worker")]
        )
        return await crawl(feed, frontier, 1, timeout=5)

    started = asyncio.run(main())
    [(handed, _url)] = frontier.handed
    assert 0.4 <= handed - started < 0.55
    assert host_of(Request("http://busy.example/1")) == "busy.example"


def test_hosts_take_turns_on_the_queue(prefix: str) -> None:
    """Two discovery pages' worth of articles, queued one after the other: popped ahead, they
    come from both hosts in turn, not all from the host whose URLs sort first."""
    server = redis.Redis.from_url(URL)
    turns = HostTurns()
    queue = f"{prefix}:requests"
    for host in ("a", "b"):
        for n in range(30):
            request = Request(f"http://{host}.example/{n:03d}", priority=20)
            server.zadd(queue, {request.url.encode(): turns.score(request)})
    popped = [member.decode() for member, _ in server.zpopmin(queue, 10)]
    hosts = [url.split("//")[1][0] for url in popped]
    assert hosts == ["a", "b"] * 5, popped


def test_a_host_queued_late_is_served_in_the_next_turn_not_after_every_article(
    prefix: str,
) -> None:
    """A host whose discovery (or a retry, one priority lower) is queued after other hosts'
    articles: those articles outrank it, but it gets the next round of turns, so its share of the
    politeness budget is not left idle while theirs is used."""
    server = redis.Redis.from_url(URL)
    turns = HostTurns()
    queue = f"{prefix}:requests"
    for host in ("a", "b"):
        for n in range(30):
            request = Request(f"http://{host}.example/{n:03d}", priority=20)
            server.zadd(queue, {request.url.encode(): turns.score(request)})
    server.zadd(queue, {b"http://z.example/feed": queue_score(10)})  # as serve queues discovery
    retry = Request("http://y.example/listing", priority=9)
    server.zadd(queue, {retry.url.encode(): turns.score(retry)})
    popped = [member.decode() for member, _ in server.zpopmin(queue, 6)]
    assert popped[:2] == ["http://a.example/000", "http://b.example/000"]  # priority, same turn
    assert set(popped[2:4]) == {"http://z.example/feed", "http://y.example/listing"}
    assert popped[4:] == ["http://a.example/001", "http://b.example/001"]


def test_a_hosts_turns_start_again_with_its_next_batch() -> None:
    now = [0.0]
    turns = HostTurns(clock=lambda: now[0])
    first = [turns.score(Request(f"http://a.example/{n}", priority=20)) for n in range(3)]
    now[0] += 60  # the next discovery round
    again = turns.score(Request("http://a.example/new", priority=20))
    assert first == [queue_score(20, 0), queue_score(20, 1), queue_score(20, 2)]
    assert again == queue_score(20, 0)
