"""A Redis for tests of the shared frontier: its URL (the test is skipped, saying how to start
one, when none answers) and a key prefix of the test's own, deleted afterwards."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
import redis

from crawler.frontier_queue import clear

REDIS_ENV = "NEWSRADAR_TEST_REDIS_URL"
HOW_TO_START_REDIS = (
    "Redis is not reachable at 127.0.0.1:6379. Start one, e.g. `docker run -d -p 6379:6379 "
    f"redis:7` or `redis-server --daemonize yes`, or point ${REDIS_ENV} at a redis:// URL."
)


def configured_redis_url() -> str:
    """Where the tests' Redis is (whether it answers or not)."""
    return os.environ.get(REDIS_ENV) or "redis://127.0.0.1:6379/0"


def reachable(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=2).ping())
    except redis.RedisError:
        return False


@pytest.fixture
def redis_url() -> str:
    url = configured_redis_url()
    if not reachable(url):
        pytest.skip(HOW_TO_START_REDIS)
    return url


@pytest.fixture
def prefix(redis_url: str) -> Iterator[str]:
    """A frontier of this test's own; deleted afterwards."""
    name = f"newsradar-test-{uuid.uuid4().hex[:10]}"
    yield name
    clear(redis_url, name)
