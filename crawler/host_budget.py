"""One politeness budget per host for every worker on a frontier, kept in Redis.

Each worker's Scrapy downloader spaces its own requests to a host; N workers doing so put N
times the load on it. Here a worker takes a host's next *slot* from Redis before it sends a
request there: one Lua script, run atomically, gives the slot time
``max(now, last slot + delay, hold)`` and records it as the host's last slot, so slots granted to
any worker are at least `delay` apart. The delay is the largest of the configured one and the
host's robots.txt ``Crawl-delay`` (shared in Redis by the worker that read it); ``hold`` is set
from a ``Retry-After`` answer, so one worker's 429 holds every worker off. A slot also takes one
of the host's `concurrency` leases, given back when the response arrives; a lease expires `lease`
seconds after its slot unless renewed, so a worker killed while holding one blocks nothing for
longer than that.

Times are Redis's own clock (``TIME``), so workers on machines whose clocks disagree still agree
on the spacing; a worker is told how many seconds to wait, which it counts on its own clock.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import redis

MAX_CRAWL_DELAY = 30.0  # seconds: a larger robots.txt Crawl-delay is obeyed as this
MAX_HOLD = 3600.0  # seconds: a longer Retry-After holds the host off this long
HOST_KEY_SECONDS = 86_400  # a host's slot record outlives its last slot by a day

# KEYS: host record (hash: last, hold, delay), host leases (sorted set: lease id -> expiry)
# ARGV: configured delay, concurrency (0: take no lease), lease seconds, lease id, record TTL,
# the longest wait worth a slot (a later one is not taken: answer 2)
_TAKE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local concurrency = tonumber(ARGV[2])
if concurrency > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
  if redis.call('ZCARD', KEYS[2]) >= concurrency then
    local first = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
    return {0, tostring(tonumber(first[2]) - now)}
  end
end
local h = redis.call('HMGET', KEYS[1], 'last', 'hold', 'delay')
local delay = math.max(tonumber(ARGV[1]), tonumber(h[3] or 0))
local slot = math.max(now, tonumber(h[1] or 0) + delay, tonumber(h[2] or 0))
if slot - now > tonumber(ARGV[6]) then return {2, tostring(slot - now)} end
redis.call('HSET', KEYS[1], 'last', tostring(slot))
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[5]))
if concurrency > 0 then
  local expiry = slot + tonumber(ARGV[3])
  redis.call('ZADD', KEYS[2], expiry, ARGV[4])
  redis.call('PEXPIRE', KEYS[2], math.ceil((expiry - now) * 1000) + 1000)
end
return {1, tostring(slot - now)}
"""
# KEYS: host record; ARGV: field ('hold' or 'delay'), seconds (a hold counts from now), TTL
_RAISE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local value = tonumber(ARGV[2])
if ARGV[1] == 'hold' then value = now + value end
local old = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or 0)
if ARGV[1] == 'delay' or value > old then redis.call('HSET', KEYS[1], ARGV[1], tostring(value)) end
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[3]))
return 1
"""
# KEYS: lease sets; ARGV: lease seconds, then one lease id per key. Renews the leases still held
# (never shortening one: a slot taken ahead keeps its lease until `lease` after the slot).
_RENEW = """
local t = redis.call('TIME')
local expiry = tonumber(t[1]) + tonumber(t[2]) / 1000000 + tonumber(ARGV[1])
local held = {}
for i, key in ipairs(KEYS) do
  local current = redis.call('ZSCORE', key, ARGV[i + 1])
  held[i] = 0
  if current then
    held[i] = 1
    if expiry > tonumber(current) then
      redis.call('ZADD', key, expiry, ARGV[i + 1])
      local ttl = math.ceil(tonumber(ARGV[1]) * 1000) + 1000
      redis.call('PEXPIRE', key, math.max(redis.call('PTTL', key), ttl))
    end
  end
end
return held
"""


@dataclass(frozen=True)
class Slot:
    """What a take answered: `granted` and the seconds until the slot; else `too_far` (the slot
    would be later than the caller would wait) or every lease is out (`wait`: until the earliest
    lease expires at the latest)."""

    granted: bool
    wait: float
    too_far: bool = False

    @classmethod
    def answered(cls, reply: Sequence[bytes | int]) -> Slot:
        code, wait = reply
        seconds = max(0.0, float(wait.decode() if isinstance(wait, bytes) else wait))
        return cls(int(code) == 1, seconds, int(code) == 2)


@dataclass(frozen=True)
class Policy:
    """The configured per-host limits every worker applies; `max_wait`: a slot further away
    than this is not taken (the request is left for a later discovery)."""

    delay: float = 1.0
    concurrency: int = 2
    lease: float = 30.0
    max_wait: float = 60.0


class HostBudget:
    """The shared per-host slots (see the module docstring). Every call is one round trip to
    Redis and may raise `redis.RedisError`; callers on an event loop run them in a thread."""

    def __init__(self, server: redis.Redis, prefix: str, policy: Policy) -> None:
        self.server = server
        self.prefix = prefix
        self.policy = policy
        self._take = server.register_script(_TAKE)
        self._raise = server.register_script(_RAISE)
        self._renew = server.register_script(_RENEW)

    def host_key(self, host: str) -> str:
        return f"{self.prefix}:host:{host}"

    def leases_key(self, host: str) -> str:
        return f"{self.prefix}:host:{host}:leases"

    def _take_args(self, lease_id: str | None) -> list[str | float]:
        concurrency = self.policy.concurrency if lease_id else 0
        policy = self.policy
        return [
            policy.delay, concurrency, policy.lease, lease_id or "", HOST_KEY_SECONDS,
            policy.max_wait,
        ]  # fmt: skip

    def take(self, host: str, lease_id: str | None = None) -> Slot:
        """The host's next slot; with a `lease_id`, also one of its concurrency leases."""
        reply = self._take(
            keys=[self.host_key(host), self.leases_key(host)], args=self._take_args(lease_id)
        )
        return Slot.answered(reply)

    def take_many(self, wants: Sequence[tuple[str, str]]) -> list[Slot]:
        """`take` for several (host, lease id) at once, in one round trip."""
        pipe = self.server.pipeline(transaction=False)
        for host, lease_id in wants:
            self._take(
                keys=[self.host_key(host), self.leases_key(host)],
                args=self._take_args(lease_id),
                client=pipe,
            )
        return [Slot.answered(reply) for reply in pipe.execute()]

    def release(self, leases: Iterable[tuple[str, str]]) -> None:
        """Give these (host, lease id) back."""
        pipe = self.server.pipeline(transaction=False)
        for host, lease_id in leases:
            pipe.zrem(self.leases_key(host), lease_id)
        pipe.execute()

    def renew(self, leases: Sequence[tuple[str, str]]) -> list[bool]:
        """Extend these leases by `lease` seconds from now; which were still held."""
        if not leases:
            return []
        held = self._renew(
            keys=[self.leases_key(host) for host, _ in leases],
            args=[self.policy.lease, *(lease_id for _, lease_id in leases)],
        )
        return [bool(h) for h in held]

    def hold(self, host: str, seconds: float) -> None:
        """No slot for this host before `seconds` from now (a Retry-After), for every worker."""
        seconds = min(max(seconds, 0.0), MAX_HOLD)
        self._raise(keys=[self.host_key(host)], args=["hold", seconds, HOST_KEY_SECONDS])

    def crawl_delay(self, host: str, seconds: float) -> None:
        """The host's robots.txt Crawl-delay, for every worker (the configured delay if larger)."""
        seconds = min(max(seconds, 0.0), MAX_CRAWL_DELAY)
        self._raise(keys=[self.host_key(host)], args=["delay", seconds, HOST_KEY_SECONDS])
