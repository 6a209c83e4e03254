"""The frontier's bounded memory of URLs, against a real Redis."""

from __future__ import annotations

import time

import pytest
import redis
from scrapy import Request

from crawler.frontier_dupefilter import ExpiringDupeFilter
from crawler.frontier_queue import Keys


@pytest.fixture
def server(redis_url: str) -> redis.Redis:
    return redis.Redis.from_url(redis_url)


@pytest.fixture
def keys(server: redis.Redis, prefix: str) -> Keys:
    return Keys(prefix)


def test_a_url_is_seen_once_then_forgotten_after_the_ttl(server: redis.Redis, keys: Keys) -> None:
    seen = ExpiringDupeFilter(server, keys.seen, ttl=1.0, legacy_key=keys.dupefilter)
    page = Request("http://outlet.example/a")
    assert (seen.request_seen(page), seen.request_seen(page)) == (False, True)
    time.sleep(1.1)
    seen.request_seen(Request("http://outlet.example/b"))  # any look trims what expired
    assert server.zcard(keys.seen) == 1
    assert seen.request_seen(page) is False


def test_the_earlier_set_is_obeyed_and_made_to_expire(server: redis.Redis, keys: Keys) -> None:
    old = ExpiringDupeFilter(server, keys.seen, ttl=60, legacy_key=keys.dupefilter)
    page = Request("http://outlet.example/old")
    server.sadd(keys.dupefilter, old.request_fingerprint(page))  # as scrapy-redis kept it
    seen = ExpiringDupeFilter(server, keys.seen, ttl=60, legacy_key=keys.dupefilter)
    assert seen.request_seen(page) is True
    assert 0 < server.ttl(keys.dupefilter) <= 60
    seen.forget([seen.request_fingerprint(page)])
    assert seen.request_seen(page) is False
