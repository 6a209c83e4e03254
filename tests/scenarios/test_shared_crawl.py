"""What workers on one frontier share through the database besides the articles: the validators
of the sources one of them read (so another asks them conditionally), on the real processes
(`newsradar serve` queueing discovery, `newsradar worker`), PostgreSQL, Redis and the sample
outlets. Skipped, saying how to start them, when Redis or PostgreSQL are not reachable."""

from __future__ import annotations

import time

from sqlalchemy import select

from crawler.frontier_queue import frontier_counts
from newsradar.database import Database, DiscoveryCache
from newsradar.demo.server import SampleOutlets
from tests.support.worker_cluster import (
    CHATS,
    KEYWORD,
    Cluster,
    publish_articles,
    wait_until_done,
)
from tests.support.workspace import Workspace

EVERY = 15  # seconds between discovery rounds


def _feed_answers(outlets: SampleOutlets) -> dict[int, int]:
    """How the WordPress outlet's feed was answered so far: status -> count."""
    answers: dict[int, int] = {}
    for (path, status), n in outlets.sites["wp"].statuses().items():
        if path.startswith("/feed"):
            answers[status] = answers.get(status, 0) + n
    return answers


def test_a_worker_asks_conditionally_for_a_source_another_worker_read(
    workspace: Workspace, pg_url: str, redis_url: str, prefix: str, sample_outlets: SampleOutlets
) -> None:
    workspace.database_override = pg_url
    config = sample_outlets.outlets_config()
    for outlet in config:
        outlet["every"] = f"{EVERY}s"
    workspace.write_config(
        config, [{"id": "z", "title": "Z", "query": KEYWORD, "chats": CHATS}], crawl={}
    )
    published = publish_articles(sample_outlets, 30)
    db = Database(pg_url)
    cluster = Cluster(workspace, redis_url, prefix)
    try:
        first = cluster.start_worker()
        cluster.start_scheduler()
        wait_until_done(db, cluster, set(published), timeout=60)
        first.terminate()
        first.wait(timeout=30)
        with db.session() as session:
            kept = {row.url: row for row in session.scalars(select(DiscoveryCache))}
        feed = next(
            url for url in kept if url.startswith(sample_outlets.sites["wp"].base_url + "/feed")
        )
        assert kept[feed].etag and kept[feed].pending_urls  # the article pages the read led to
        before = _feed_answers(sample_outlets)
        assert before.get(200, 0) >= 1

        cluster.start_worker()  # a worker of its own, which read nothing yet
        deadline = time.monotonic() + 3 * EVERY
        while _feed_answers(sample_outlets).get(304, 0) <= before.get(304, 0):
            assert time.monotonic() < deadline, cluster.log_tail()
            time.sleep(0.5)
        while frontier_counts(redis_url, prefix)["in_flight"]:
            time.sleep(0.2)
    finally:
        cluster.stop()
        db.close()
    after = _feed_answers(sample_outlets)
    assert after.get(200, 0) == before.get(200, 0), "the second worker read the feed in full"
