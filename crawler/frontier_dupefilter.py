"""The frontier's memory of URLs already queued, bounded in time.

scrapy-redis keeps every request fingerprint in a Redis set that never shrinks, so the frontier
grew by one entry per article URL for ever. Here each fingerprint is kept in a sorted set scored
by when it was last queued or listed again (Redis's clock) and forgotten `ttl` seconds later
(`crawl.seen_url_ttl`, as the database forgets URLs); each look trims what has expired. Should a
forgotten URL turn up again it is queued once more and the article store recognises it.

The set kept by earlier versions (under the old key) is still obeyed, and is given the same
`ttl` to live, after which it is gone.
"""

from __future__ import annotations

import redis
from scrapy import Request
from scrapy_redis.dupefilter import RFPDupeFilter

# KEYS: seen (sorted set), the earlier set; ARGV: fingerprint, ttl seconds.
# 1 if the fingerprint was seen within ttl (its time is refreshed), else 0 (it is recorded).
_SEEN = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local ttl = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - ttl)
local known = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not known then known = redis.call('SISMEMBER', KEYS[2], ARGV[1]) == 1 end
redis.call('ZADD', KEYS[1], now, ARGV[1])
if known then return 1 end
return 0
"""


class ExpiringDupeFilter(RFPDupeFilter):
    """scrapy-redis's fingerprint dupefilter over a sorted set trimmed past `ttl`."""

    def __init__(self, server: redis.Redis, key: str, *, ttl: float, legacy_key: str) -> None:
        super().__init__(server, key)
        self.ttl = ttl
        self.legacy_key = legacy_key
        self._seen = server.register_script(_SEEN)
        # Redis 7: only sets the old set's expiry where none is set yet.
        server.expire(legacy_key, max(1, int(ttl)), nx=True)

    def request_seen(self, request: Request) -> bool:
        fingerprint = self.request_fingerprint(request)
        return bool(self._seen(keys=[self.key, self.legacy_key], args=[fingerprint, self.ttl]))

    def forget(self, fingerprints: list[str]) -> None:
        """Let these be queued again (a failed page, found again by the next discovery)."""
        pipe = self.server.pipeline(transaction=False)
        pipe.zrem(self.key, *fingerprints)
        pipe.srem(self.legacy_key, *fingerprints)
        pipe.execute()
