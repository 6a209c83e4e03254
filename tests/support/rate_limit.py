"""A sample outlet that limits its rate, as many real ones do: every request's arrival per host,
and a 429 for one that arrives sooner than the limit after the previous one. Install it as the
`override` of each `SampleSite` (tests and benchmarks of polite crawling)."""

from __future__ import annotations

import itertools
import threading
import time
from collections import defaultdict

from newsradar.demo.outlet_routes import Response
from newsradar.demo.server import SampleOutlets, SampleSite

TOO_MANY = Response("<html><body>Too many requests</body></html>", status=429)


class RateLimit:
    def __init__(self, limit: float) -> None:
        self.limit = limit
        self.lock = threading.Lock()
        self.arrivals: dict[str, list[float]] = defaultdict(list)
        self.refused: dict[str, int] = defaultdict(int)

    def install(self, outlets: SampleOutlets) -> RateLimit:
        for site in outlets.sites.values():
            site.override = self
        return self

    def __call__(self, site: SampleSite, path: str) -> Response | None:
        now = time.monotonic()
        with self.lock:
            seen = self.arrivals[site.outlet_id]
            too_soon = bool(seen) and now - seen[-1] < self.limit
            seen.append(now)
            if too_soon:
                self.refused[site.outlet_id] += 1
                return TOO_MANY
        return None

    def closest(self) -> dict[str, float]:
        """Per host, the shortest time between two requests."""
        with self.lock:
            return {
                host: min((b - a for a, b in itertools.pairwise(times)), default=99.0)
                for host, times in self.arrivals.items()
            }

    def span(self) -> float:
        """Seconds from the first request to any host to the last."""
        with self.lock:
            times = [t for host in self.arrivals.values() for t in host]
        return max(times) - min(times) if times else 0.0
