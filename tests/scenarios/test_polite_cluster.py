"""One politeness budget per host for the whole cluster, on real processes: `newsradar serve` and
two `newsradar worker` processes on one Redis frontier, against sample outlets that answer 429
to any request arriving sooner than their limit after the previous one.

Skipped, saying how to start them, when Redis or PostgreSQL are not reachable.
"""

from __future__ import annotations

import itertools
import time

import redis

from newsradar.demo.server import SampleOutlets
from tests.support.rate_limit import RateLimit
from tests.support.worker_cluster import (
    LEASE,
    Cluster,
    check_stored_and_alerted_once,
    cluster_setup,
    wait_until_done,
)
from tests.support.workspace import Workspace

DELAY = 0.5  # seconds: the configured per-host delay
LIMIT = 0.35  # seconds: the outlets' own limit (under the delay: timing on a busy machine wavers)


def test_two_workers_share_one_budget_per_host_and_get_no_429(
    workspace: Workspace,
    pg_url: str,
    redis_url: str,
    prefix: str,
    sample_outlets: SampleOutlets,
) -> None:
    db, published = cluster_setup(
        workspace, pg_url, sample_outlets, 24, {"per_host_concurrency": 2, "download_delay": DELAY}
    )
    limit = RateLimit(LIMIT).install(sample_outlets)
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


def victim_holds_a_lease(server: redis.Redis, pattern: str, pid: int) -> bool:
    return any(
        f":{pid}:".encode() in member
        for key in server.scan_iter(match=pattern)
        for member in server.zrange(key, 0, -1)
    )


def test_a_worker_killed_holding_a_host_blocks_it_no_longer_than_the_lease(
    workspace: Workspace,
    pg_url: str,
    redis_url: str,
    prefix: str,
    sample_outlets: SampleOutlets,
) -> None:
    """One lease per host: a worker killed while it holds one leaves it to expire (LEASE)."""
    db, published = cluster_setup(
        workspace, pg_url, sample_outlets, 60, {"per_host_concurrency": 1, "download_delay": 0.2}
    )
    limit = RateLimit(0.15).install(sample_outlets)
    cluster = Cluster(workspace, redis_url, prefix)
    server = redis.Redis.from_url(redis_url)
    leases = f"{prefix}:host:127.0.0.*:leases"
    try:
        victim = cluster.start_worker()
        cluster.start_worker()
        cluster.start_scheduler()
        deadline = time.monotonic() + 60
        while not victim_holds_a_lease(server, leases, victim.pid):  # kill it holding one
            assert time.monotonic() < deadline, (
                "the worker never held a lease\n" + cluster.log_tail()
            )
            time.sleep(0.01)
        victim.kill()  # SIGKILL: its leases are never given back
        victim.wait()
        killed_at = time.monotonic()
        _elapsed, urls = wait_until_done(db, cluster, set(published), timeout=90)
    finally:
        cluster.stop()
    try:
        check_stored_and_alerted_once(db, published, urls)
        for host in ("wp", "wix"):
            after = [t for t in limit.arrivals[host] if t > killed_at]
            gaps = [b - a for a, b in itertools.pairwise([killed_at, *after])]
            assert max(gaps) < LEASE + 2.0, (host, max(gaps))
        assert dict(limit.refused) == {}, limit.closest()
    finally:
        db.close()
