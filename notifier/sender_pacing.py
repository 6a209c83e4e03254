"""Pacing sends so that every one of Telegram's rate limits holds.

Slots are handed out per key (a chat, a group, the bot as a whole), and messages in flight are
counted until shortly after their answer, so that messages held up on the way cannot arrive
bunched above Telegram's ceiling.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import math
import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass


@dataclass
class _Flight:
    """One message from leaving to its answer: Telegram saw it arrive somewhere in between."""

    landed: float = math.inf  # until answered, it may yet arrive at any moment


class Pacer:
    """Hands out send slots so that every rate limit holds: each key gets one slot per interval.

    Slots are reserved before sleeping, so concurrent callers queue up instead of racing."""

    def __init__(self) -> None:
        self._next_slot: dict[object, float] = {}
        self._timetable: list[float] = []  # shared slots taken, in time order
        self._flights: list[_Flight] = []
        self._gate = asyncio.Lock()
        self._landed = asyncio.Event()

    async def wait_all(
        self, own: Mapping[object, float], shared: tuple[object, float] | None = None
    ) -> None:
        """Sleep until the slot `reserve` hands out."""
        delay = self.reserve(own, shared) - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)

    def reserve(
        self, own: Mapping[object, float], shared: tuple[object, float] | None = None
    ) -> float:
        """Take the next slot of every `own` key and the first free `shared` slot no earlier.

        Taking both at once orders messages by when they can really leave: a group waiting out
        its interval already holds its place in the shared rate, instead of queueing behind
        every chat that came due meanwhile, and those chats fill the gaps before it."""
        now = time.monotonic()
        slot = max([now, *(self._next_slot.get(k, now) for k, i in own.items() if i > 0)])
        if shared is not None and shared[1] > 0:
            key, spacing = shared
            slot = self._book(max(slot, self._next_slot.get(key, slot)), spacing, now)
        for key, interval in own.items():
            if interval > 0:
                self._next_slot[key] = slot + interval
        return slot

    def _book(self, ready: float, spacing: float, now: float) -> float:
        """The first moment from `ready` at least `spacing` from every shared slot taken."""
        del self._timetable[: bisect.bisect_left(self._timetable, now - spacing)]
        index = bisect.bisect_left(self._timetable, ready)
        slot = max(ready, self._timetable[index - 1] + spacing) if index else ready
        while index < len(self._timetable) and self._timetable[index] < slot + spacing:
            slot = self._timetable[index] + spacing
            index += 1
        self._timetable.insert(index, slot)
        return slot

    @contextlib.asynccontextmanager
    async def flight(self, limit: int, window: float = 1.0) -> AsyncIterator[None]:
        """At most `limit` messages may arrive in any `window` seconds, wherever in its flight
        each one arrives.

        A message counts from leaving until `window` after its answer: slots alone let
        messages that overslept (a busy event loop) leave together, and counting departures
        alone lets a message held up on the way land together with the ones sent after it."""
        async with self._gate:
            while self._in_window(window) >= limit:
                await self._one_less(window)
            flight = _Flight()
            self._flights.append(flight)
        try:
            yield
        finally:
            flight.landed = time.monotonic()
            self._landed.set()

    def _in_window(self, window: float) -> int:
        now = time.monotonic()
        self._flights = [f for f in self._flights if f.landed + window > now]
        return len(self._flights)

    async def _one_less(self, window: float) -> None:
        """Wait until the earliest-answered message stops counting, or one is answered."""
        first = min(flight.landed for flight in self._flights)
        if first == math.inf:
            self._landed.clear()
            await self._landed.wait()
        else:
            await asyncio.sleep(first + window - time.monotonic())

    def hold(self, key: object, seconds: float) -> None:
        """Push the next slot of `key` at least `seconds` into the future."""
        if seconds <= 0:
            return
        until = time.monotonic() + seconds
        self._next_slot[key] = max(self._next_slot.get(key, until), until)

    def __len__(self) -> int:
        return len(self._next_slot)

    def forget_idle(self) -> None:
        """Drop keys whose next slot has passed: they no longer constrain anyone."""
        now = time.monotonic()
        for key in [k for k, slot in self._next_slot.items() if slot < now]:
            del self._next_slot[key]
