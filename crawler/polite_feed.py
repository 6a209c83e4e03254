"""Requests taken from the shared frontier, handed to the engine when their host's slot is due.

A worker's scheduler cannot choose a host when it pops the frontier (one queue, by priority), so
it pops ahead, up to `lookahead` requests, and parks them by host. For each host with requests
parked it takes the host's next slot from the cluster-wide budget (`crawler.host_budget`), one
slot at a time per host; a timer hands the request to the engine when its slot comes, and wakes
the engine at once, so no worker sleeps past a slot or waits for a poll. Meanwhile requests to
other hosts go on. A host whose every lease is out is asked again shortly; one whose next slot is
further away than the policy's `max_wait` (a long Retry-After) has its parked requests left for a
later discovery.

All Redis work happens on one thread of its own (`RedisThread`), in the order it was asked for:
the event loop never waits on Redis.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import redis
from scrapy import Request
from scrapy.utils.httpobj import urlparse_cached

from crawler.host_budget import HostBudget, Slot

log = logging.getLogger("newsradar.frontier")

SLOT_META = "host_slot"  # request.meta: (host, lease id, when its slot is due, time.monotonic())
BUSY_RETRY = 0.05  # seconds before asking again for a host whose every lease is out
EMPTY_POLL = 0.25  # seconds between looks at an empty frontier
T = TypeVar("T")


PRIORITY_STEP = 1e-3  # score step between two priorities: within one host's turn
MAX_TURN = 999_999
BATCH_GAP = 1.0  # seconds: a host's requests queued closer together than this are one batch


def host_of(request: Request) -> str:
    return urlparse_cached(request).hostname or ""


def queue_score(priority: int, turn: int = 0) -> float:
    """A request's score on the frontier's queue (lowest first): its host's turn, then its
    priority. Turn first: a host with nothing queued (its discovery, or a retry, queued after
    other hosts' articles) is served in the next round of turns instead of after every request
    of a higher priority, which would leave the host idle while the others use their budget."""
    return turn - priority * PRIORITY_STEP


class HostTurns:
    """Queue scores that interleave hosts.

    Requests of one priority share a score, and Redis orders equal scores by their bytes, which
    keep one host's URLs together: a worker popping ahead would hold one host's requests only and
    wait out its delay while other hosts idle. Here each request of a host's batch (what one
    discovery page found) is scored one turn after the one before, so the queue hands out every
    host's first request, then every host's second, and so on (`queue_score`).
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.last: dict[str, tuple[float, int]] = {}  # host -> when its last request came, turn

    def score(self, request: Request) -> float:
        host, now = host_of(request), self.clock()
        when, turn = self.last.get(host, (float("-inf"), -1))
        turn = min(turn + 1, MAX_TURN) if now - when < BATCH_GAP else 0
        if len(self.last) > 10_000:  # hosts whose batch is over need no memory
            self.last = {h: v for h, v in self.last.items() if now - v[0] < BATCH_GAP}
        self.last[host] = (now, turn)
        return queue_score(request.priority, turn)


class RedisThread:
    """One thread for a component's Redis calls: they run in order, off the event loop."""

    def __init__(self, name: str) -> None:
        self.executor = ThreadPoolExecutor(1, thread_name_prefix=name)

    async def call(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self.executor, fn, *args)

    def submit(self, fn: Callable[..., Any], *args: Any) -> None:
        """Run it in turn without waiting; a Redis error is logged (the caller made it safe)."""

        def quietly() -> None:
            try:
                fn(*args)
            except redis.RedisError as exc:
                log.debug("frontier call failed: %s", exc)

        self.executor.submit(quietly)

    def close(self) -> None:
        self.executor.shutdown(wait=True)


class PoliteFeed:
    """The worker's side of the host budget (see the module docstring).

    `pop(n)` takes up to n entries off the frontier (run on the Redis thread), `decode` turns one
    into a request held for this worker, `drop` gives a request up for a later discovery, and
    `wake_engine` makes the engine ask for the next request now.
    """

    def __init__(
        self,
        budget: HostBudget,
        redis_thread: RedisThread,
        *,
        pop: Callable[[int], list[bytes]],
        decode: Callable[[bytes], Request],
        drop: Callable[[Request], None],
        wake_engine: Callable[[], None],
        lookahead: int = 256,
        owner: str = "",
    ) -> None:
        self.budget = budget
        self.thread = redis_thread
        self.pop = pop
        self.decode = decode
        self.drop = drop
        self.wake_engine = wake_engine
        self.lookahead = lookahead
        self.owner = owner  # lease ids start with it: whose a lease is, for whoever looks
        self.parked: dict[str, deque[Request]] = {}
        self.ready: deque[Request] = deque()
        self.reserving: set[str] = set()  # hosts with a slot taken, not yet due
        self.busy_until: dict[str, float] = {}  # hosts whose every lease is out: ask again then
        self.leases: dict[str, str] = {}  # lease id -> host: leases this worker holds
        self.frontier_empty = False
        self.on_error: Callable[[Exception], None] = lambda exc: None
        self.on_success: Callable[[], None] = lambda: None
        self._wake = asyncio.Event()
        self._timers: dict[str, asyncio.TimerHandle] = {}  # lease id -> its slot's timer

    def __len__(self) -> int:
        return len(self.ready) + len(self.reserving) + sum(len(q) for q in self.parked.values())

    def next(self) -> Request | None:
        return self.ready.popleft() if self.ready else None

    def wake(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        """Keep requests flowing until cancelled; a Redis error waits a poll and tries again."""
        while True:
            self._wake.clear()
            try:
                await self._refill()
                await self._take_slots()
            except redis.RedisError as exc:
                self.on_error(exc)
                await asyncio.sleep(EMPTY_POLL)
                continue
            self.on_success()
            await self._sleep()

    async def _refill(self) -> None:
        room = self.lookahead - len(self)
        if room <= 0:
            return
        entries = await self.thread.call(self.pop, room)
        self.frontier_empty = len(entries) < room
        for data in entries:
            request = self.decode(data)
            self.parked.setdefault(host_of(request), deque()).append(request)

    async def _take_slots(self) -> None:
        now = time.monotonic()
        hosts = [
            host
            for host in self.parked
            if host not in self.reserving and self.busy_until.get(host, 0.0) <= now
        ]
        if not hosts:
            return
        wants = [(host, f"{self.owner}:{uuid.uuid4().hex[:12]}") for host in hosts]
        slots = await self.thread.call(self.budget.take_many, wants)
        for (host, lease_id), slot in zip(wants, slots, strict=True):
            self._answered(host, lease_id, slot)

    def _answered(self, host: str, lease_id: str, slot: Slot) -> None:
        queue = self.parked.get(host)
        if slot.granted and queue:
            request = queue.popleft()
            if not queue:
                del self.parked[host]
            self.busy_until.pop(host, None)
            self.leases[lease_id] = host
            due = time.monotonic() + slot.wait
            request.meta[SLOT_META] = (host, lease_id, due)
            self.reserving.add(host)
            loop = asyncio.get_running_loop()
            self._timers[lease_id] = loop.call_later(slot.wait, self._due, host, lease_id, request)
        elif slot.granted:  # the host's requests went meanwhile
            self.release(host, lease_id)
        elif slot.too_far:
            log.info("%s: next slot in %.0fs; its requests are left for later", host, slot.wait)
            for request in self.parked.pop(host, ()):
                self.drop(request)
        else:
            self.busy_until[host] = time.monotonic() + min(max(slot.wait, 0.005), BUSY_RETRY)

    def _due(self, host: str, lease_id: str, request: Request) -> None:
        self._timers.pop(lease_id, None)
        self.reserving.discard(host)
        self.ready.append(request)
        self.wake_engine()
        self._wake.set()  # this host may take its next slot

    async def _sleep(self) -> None:
        now = time.monotonic()
        waits = [until - now for host, until in self.busy_until.items() if host in self.parked]
        if self.frontier_empty or len(self) >= self.lookahead:
            waits.append(EMPTY_POLL)
        timeout = max(0.0, min(waits)) if waits else None
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout)

    # -- leases -----------------------------------------------------------------------------

    def release(self, host: str, lease_id: str) -> None:
        """The lease's request got its answer (or failed): give the lease back, without waiting."""
        if self.leases.pop(lease_id, None) is not None:
            self.thread.submit(self.budget.release, [(host, lease_id)])
            self._wake.set()

    def renew(self) -> None:
        """Keep this worker's leases alive (called with its heartbeat, on the Redis thread)."""
        held = list(self.leases.items())
        alive = self.budget.renew([(host, lease_id) for lease_id, host in held])
        for (lease_id, _host), still in zip(held, alive, strict=True):
            if not still:
                self.leases.pop(lease_id, None)

    def close(self) -> list[tuple[str, str]]:
        """Stop the timers and forget what was not handed out (the scheduler hands those back to
        the frontier); the leases still held, for the scheduler to give back."""
        for handle in self._timers.values():
            handle.cancel()
        self._timers.clear()
        self.ready.clear()
        self.parked.clear()
        self.reserving.clear()
        leases = [(host, lease_id) for lease_id, host in self.leases.items()]
        self.leases.clear()
        return leases
