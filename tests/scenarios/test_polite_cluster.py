"""One politeness budget per host for the whole cluster, on real processes: `newsradar serve` and
two `newsradar worker` processes on one Redis frontier, against sample outlets that answer 429
to any request arriving sooner than their limit after the previous one.

Skipped, saying how to start them, when Redis or PostgreSQL are not reachable.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections import defaultdict

from newsradar.database import Database
from newsradar.demo.outlet_routes import Response
from newsradar.demo.server import SampleOutlets, SampleSite
from tests.scenarios.test_scale import check_stored_and_alerted_once, prefix, redis_url  # noqa: F401
from tests.support.worker_cluster import (
    CHATS,
    KEYWORD,
    Cluster,
    publish_articles,
    wait_until_done,
)
from tests.support.workspace import Workspace

DELAY = 0.5  # seconds: the configured per-host delay
LIMIT = 0.35  # seconds: the outlets' own limit (under the delay: timing on a busy machine wavers)


class RateLimit:
    """Per host: every request's arrival, and a 429 for one that came too soon after the last."""

    def __init__(self, limit: float) -> None:
        self.limit = limit
        self.lock = threading.Lock()
        self.arrivals: dict[str, list[float]] = defaultdict(list)
        self.refused: dict[str, int] = defaultdict(int)

    def __call__(self, site: SampleSite, path: str) -> Response | None:
        now = time.monotonic()
        with self.lock:
            seen = self.arrivals[site.outlet_id]
            too_soon = bool(seen) and now - seen[-1] < self.limit
            seen.append(now)
            if too_soon:
                self.refused[site.outlet_id] += 1
                return Response("<html><body>Too many requests</body></html>", status=429)
        return None

    def closest(self) -> dict[str, float]:
        """Per host, the shortest time between two requests."""
        return {
            host: min((b - a for a, b in itertools.pairwise(times)), default=99.0)
            for host, times in self.arrivals.items()
        }


def test_two_workers_share_one_budget_per_host_and_get_no_429(
    workspace: Workspace,
    pg_url: str,
    redis_url: str,  # noqa: F811
    prefix: str,  # noqa: F811
    sample_outlets: SampleOutlets,
) -> None:
    workspace.database_override = pg_url
    config = sample_outlets.outlets_config()
    for outlet in config:
        outlet["every"] = "15s"  # first rounds spread over under a second
    workspace.write_config(
        config,
        [{"id": "zorvath", "title": "Zorvath watch", "query": KEYWORD, "chats": CHATS}],
        crawl={"per_host_concurrency": 2, "download_delay": DELAY},
    )
    published = publish_articles(sample_outlets, 24)
    limit = RateLimit(LIMIT)
    for site in sample_outlets.sites.values():
        site.override = limit
    db = Database(pg_url)
    cluster = Cluster(workspace, redis_url, prefix)
    try:
        cluster.start_worker()
        cluster.start_worker()
        cluster.start_scheduler()
        elapsed, urls = wait_until_done(db, cluster, set(published), timeout=90)
    finally:
        cluster.stop()
    try:
        print(f"two workers: {len(published)} articles in {elapsed:.1f}s")
        assert dict(limit.refused) == {}, (limit.closest(), cluster.log_tail())
        closest = limit.closest()
        assert min(closest.values()) >= LIMIT, closest
        check_stored_and_alerted_once(db, published, urls)
        per_host = {h: len(t) for h, t in limit.arrivals.items()}
        # Both hosts with articles were crawled at the shared rate, not one worker's each.
        for host in ("wp", "wix"):
            assert per_host[host] >= 12, per_host
    finally:
        db.close()
