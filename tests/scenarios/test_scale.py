"""Scale-out on the real servers: several `newsradar worker` processes on one Redis frontier and
one PostgreSQL database, a scheduling process putting discovery URLs on the frontier, the local
outlet server counting every request.

Skipped, saying how to start them, when Redis (127.0.0.1:6379, or $NEWSRADAR_TEST_REDIS_URL) or
PostgreSQL (see tests/support/pg.py) are not reachable.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest
import redis

from crawler.frontier_queue import Keys
from newsradar.demo.server import SampleOutlets
from tests.support.redis_frontier import reachable
from tests.support.worker_cluster import (
    Cluster,
    check_stored_and_alerted_once,
    cluster_setup,
    stored_urls,
    wait_until_done,
)
from tests.support.workspace import Workspace

ARTICLES = 240


def article_fetches(outlets: SampleOutlets, published: dict[str, bool]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for outlet_id in ("wp", "wix"):
        base = outlets.sites[outlet_id].base_url
        for path, n in outlets.requests(outlet_id).items():
            if base + path in published:
                counts[base + path] = n
    return counts


# ----- the tests --------------------------------------------------------------------------------
def test_three_workers_fetch_store_and_alert_each_article_once(
    workspace: Workspace, pg_url: str, redis_url: str, prefix: str, sample_outlets: SampleOutlets
) -> None:
    db, published = cluster_setup(
        workspace, pg_url, sample_outlets, ARTICLES, {"per_host_concurrency": 8}
    )
    cluster = Cluster(workspace, redis_url, prefix)
    try:
        for _ in range(3):
            cluster.start_worker()
        cluster.start_scheduler()
        elapsed, urls = wait_until_done(db, cluster, set(published), timeout=80)
        print(f"three workers: {len(published)} articles in {elapsed:.1f}s")
    finally:
        cluster.stop()
    try:
        assert all(w.returncode == 0 for w in cluster.workers), cluster.log_tail()
        check_stored_and_alerted_once(db, published, urls)
        fetches = article_fetches(sample_outlets, published)
        assert set(fetches) == set(published)
        assert {url: n for url, n in fetches.items() if n > 1} == {}, "fetched twice"
        logs = [(cluster.logs / f"worker-{n}.log").read_text() for n in range(3)]
        assert all("worker on frontier" in text for text in logs)
    finally:
        db.close()


def test_a_worker_killed_mid_crawl_loses_nothing(
    workspace: Workspace, pg_url: str, redis_url: str, prefix: str, sample_outlets: SampleOutlets
) -> None:
    # A shared delay spreads the crawl over seconds: fast workers would otherwise finish it
    # before the victim holds an article, leaving it only a later round's discovery to hold.
    crawl = {"per_host_concurrency": 8, "download_delay": 0.1}
    db, published = cluster_setup(workspace, pg_url, sample_outlets, ARTICLES, crawl)
    cluster = Cluster(workspace, redis_url, prefix)
    server = redis.Redis.from_url(redis_url)
    try:
        victim = cluster.start_worker()  # alone at first: it pops ahead, so it holds articles
        cluster.start_scheduler()
        held = 0
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not held:  # kill it while it holds requests
            for key in server.scan_iter(match=f"{prefix}:inflight:*:{victim.pid}:*"):
                held = int(server.hlen(key))
            time.sleep(0.05)
        assert held, "the worker never held a request\n" + cluster.log_tail()
        stored_before = len(set(stored_urls(db)) & set(published))  # not the bundled samples
        victim.kill()  # SIGKILL: no chance to hand anything back
        victim.wait()
        cluster.start_worker()
        cluster.start_worker()

        _elapsed, urls = wait_until_done(db, cluster, set(published), timeout=80)
        assert stored_before < len(published)  # the others did the rest
    finally:
        cluster.stop()
    try:
        check_stored_and_alerted_once(db, published, urls)
        assert not list(server.scan_iter(match=f"{prefix}:inflight:*:{victim.pid}:*"))
        workers = [w.decode() for w in server.smembers(Keys(prefix).workers)]
        assert not [w for w in workers if f":{victim.pid}:" in w]  # found dead and reaped
    finally:
        db.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PrivateRedis:
    """A redis-server of the test's own (persisting to disk), so it can be restarted safely."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = _free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(self.directory),
                "--save",
                "1 1",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while not reachable(self.url):
            if time.monotonic() > deadline:
                raise RuntimeError("private redis-server did not start")
            time.sleep(0.05)

    def restart(self, down_for: float) -> None:
        """SHUTDOWN SAVE (every client is disconnected), stay down a while, start again."""
        assert self.process is not None
        with contextlib.suppress(redis.ConnectionError):  # it closes the connection as it goes
            redis.Redis.from_url(self.url).shutdown(save=True)
        self.process.wait(timeout=10)
        time.sleep(down_for)
        self.start()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


def test_workers_reconnect_after_redis_restarts_mid_run(
    workspace: Workspace, pg_url: str, sample_outlets: SampleOutlets, tmp_path: Path
) -> None:
    if shutil.which("redis-server") is None:
        pytest.skip(
            "needs the redis-server program to run (and restart) a Redis of the test's own; "
            "install it, e.g. `apt-get install redis-server`"
        )
    own = PrivateRedis(tmp_path)
    own.start()
    db, published = cluster_setup(
        workspace, pg_url, sample_outlets, ARTICLES, {"per_host_concurrency": 8}
    )
    cluster = Cluster(workspace, own.url, "newsradar")
    try:
        for _ in range(3):
            cluster.start_worker()
        cluster.start_scheduler()
        deadline = time.monotonic() + 60
        while len(stored_urls(db)) < 40:  # mid-run: some stored, most still to come
            assert time.monotonic() < deadline, cluster.log_tail()
            time.sleep(0.1)
        own.restart(down_for=2.0)

        _elapsed, urls = wait_until_done(db, cluster, set(published), timeout=80)
        assert all(w.poll() is None for w in cluster.workers), "a worker gave up"
    finally:
        cluster.stop()
        own.stop()
    try:
        check_stored_and_alerted_once(db, published, urls)
        logs = "".join((cluster.logs / f"worker-{n}.log").read_text() for n in range(3))
        assert "frontier reachable again" in logs
    finally:
        db.close()
