"""The cluster-wide host budget against a real Redis: two `HostBudget`s on two connections are
two workers."""

from __future__ import annotations

import itertools
import time
import uuid

import pytest
import redis

from crawler.host_budget import MAX_CRAWL_DELAY, HostBudget, Policy
from tests.support.redis_frontier import configured_redis_url


def workers(prefix: str, policy: Policy, count: int = 2) -> list[HostBudget]:
    url = configured_redis_url()
    return [HostBudget(redis.Redis.from_url(url), prefix, policy) for _ in range(count)]


def test_slots_taken_by_any_worker_are_a_delay_apart(prefix: str) -> None:
    a, b = workers(prefix, Policy(delay=2.0, concurrency=8))
    waits = [w.take("outlet.example", uuid.uuid4().hex).wait for w in (a, b, a, b)]
    assert waits[0] < 0.05
    for earlier, later in itertools.pairwise(waits):
        assert later - earlier == pytest.approx(2.0, abs=0.05)
    # Another host is not held up by this one.
    assert b.take("other.example", uuid.uuid4().hex).wait < 0.05


def test_concurrency_leases_are_shared_and_given_back(prefix: str) -> None:
    a, b = workers(prefix, Policy(delay=0.0, concurrency=2))
    assert a.take("h", "a1").granted and b.take("h", "b1").granted
    busy = a.take("h", "a2")
    assert not busy.granted
    b.release([("h", "b1")])
    assert a.take("h", "a2").granted


def test_a_dead_workers_lease_blocks_the_host_no_longer_than_the_lease(prefix: str) -> None:
    dead, alive = workers(prefix, Policy(delay=0.0, concurrency=1, lease=1.0))
    assert dead.take("h", "held-by-the-dead").granted  # and never given back
    assert not alive.take("h", "mine").granted
    started = time.monotonic()
    while not alive.take("h", "mine").granted:
        assert time.monotonic() - started < 3, "the dead worker's lease never expired"
        time.sleep(0.05)
    assert 0.8 < time.monotonic() - started < 1.5


def test_a_renewed_lease_outlives_the_lease_time(prefix: str) -> None:
    a, b = workers(prefix, Policy(delay=0.0, concurrency=1, lease=0.6))
    a.take("h", "long-download")
    for _ in range(4):
        time.sleep(0.3)
        assert a.renew([("h", "long-download"), ("h", "gone")]) == [True, False]
        assert not b.take("h", "other").granted


def test_retry_after_from_one_worker_holds_off_the_others(prefix: str) -> None:
    a, b = workers(prefix, Policy(delay=0.1, concurrency=4, max_wait=60))
    a.hold("h", 5)
    assert b.take("h", "x").wait == pytest.approx(5.0, abs=0.1)
    a.hold("h", 1)  # a shorter one does not shorten it
    assert b.take("h", "y").wait == pytest.approx(5.1, abs=0.1)


def test_a_slot_further_than_max_wait_is_not_taken(prefix: str) -> None:
    a, b = workers(prefix, Policy(delay=0.1, concurrency=4, max_wait=10))
    a.hold("h", 3600 * 24 * 365)  # hostile: held for at most MAX_HOLD
    slot = b.take("h", "x")
    assert slot.too_far and not slot.granted
    assert slot.wait <= 3600.1
    assert not b.server.zcard(b.leases_key("h"))  # no lease taken for it


def test_crawl_delay_is_shared_and_bounded(prefix: str) -> None:
    a, b = workers(prefix, Policy(delay=0.5, concurrency=8, max_wait=600))
    a.crawl_delay("h", 86_400)  # hostile robots.txt
    b.take("h", "1")
    assert b.take("h", "2").wait == pytest.approx(MAX_CRAWL_DELAY, abs=0.1)
    a.crawl_delay("h", 0.1)  # smaller than the configured delay: the configured one applies
    b.take("g", "1")
    assert b.take("g", "2").wait == pytest.approx(0.5, abs=0.05)


def test_renewing_never_shortens_a_lease_taken_ahead(prefix: str) -> None:
    [worker] = workers(prefix, Policy(delay=0.0, concurrency=1, lease=1.0), count=1)
    worker.hold("h", 5)
    assert worker.take("h", "ahead").wait == pytest.approx(5, abs=0.1)
    before = worker.server.zscore(worker.leases_key("h"), "ahead")
    assert worker.renew([("h", "ahead")]) == [True]
    assert worker.server.zscore(worker.leases_key("h"), "ahead") == before
