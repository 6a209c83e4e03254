"""The order in which waiting requests go to the downloader.

Scrapy's downloader-aware priority queue hands out a request from the host with the fewest
downloads running, so one outlet's many article pages do not hold up the others. To find that
host it looks at every host with requests waiting, for every request: a crawl of n outlets costs
n² looks (at 5,000 outlets, most of an idle cycle's CPU went there). Only hosts with downloads
running can be busy, and the downloader takes at most CONCURRENT_REQUESTS at a time, so an idle
host turns up within that many looks when hosts are kept in turn (round robin).
"""

from __future__ import annotations

from scrapy import Request
from scrapy.pqueues import DownloaderAwarePriorityQueue


class IdleHostFirstQueue(DownloaderAwarePriorityQueue):
    """The first idle host in turn gets the next request; the host served goes to the back."""

    def pop(self) -> Request | None:
        slot = self._pick()
        if slot is None:
            return None
        queue = self.pqueues.pop(slot)
        request = queue.pop()
        if len(queue):
            self.pqueues[slot] = queue  # back of the line
        else:
            queue.close()
        return request

    def peek(self) -> Request | None:
        slot = self._pick()
        return None if slot is None else self.pqueues[slot].peek()

    def _pick(self) -> str | None:
        """The first host in turn with no download running, else the least busy one."""
        busiest: list[tuple[int, str]] = []
        for slot in self.pqueues:
            [(active, _)] = self._downloader_interface.stats((slot,))
            if active == 0:
                return slot
            busiest.append((active, slot))
        return min(busiest)[1] if busiest else None
