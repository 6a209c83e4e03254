"""Scale-out on real processes: distinct articles published on the sample outlets, a scheduling
process and `newsradar worker` processes on one Redis frontier, and waiting until they are done."""

from __future__ import annotations

import random
import signal
import subprocess
import time
from collections.abc import Sequence
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from crawler.frontier_queue import frontier_counts
from newsradar.database import Article, Database, MatchRow, OutboxRow
from newsradar.demo.content import SampleArticle
from newsradar.demo.server import SampleOutlets
from tests.support.workspace import NEWSRADAR, Workspace

KEYWORD = "Zorvath"  # in every third article, and nowhere in the bundled samples
CHATS = [501, 502]
LEASE = 4.0  # seconds: a killed worker's requests are handed on soon after


# ----- the outlets ------------------------------------------------------------------------------
_WORDS = (  # noqa: SIM905  (a paragraph of words reads better than a list)
    "analysts officials border ministry convoy harbour parliament reform ceasefire drought "
    "pipeline council tribunal election treasury province embassy governor refinery harvest "
    "garrison charter frontier caravan senate cabinet dispatch inquiry summit accord tariff "
    "ledger quarry orchard canal bridge railway plateau delta estuary monsoon glacier lagoon "
    "beacon citadel bazaar mosque chapel archive library academy clinic tavern workshop "
    "merchant courier sentry pilot sailor farmer miner weaver potter baker judge envoy scribe "
    "amber cobalt crimson indigo olive scarlet silver umber violet copper bronze marble granite"
).split()


def publish_articles(
    outlets: SampleOutlets,
    count: int,
    seed: int = 7,
    outlet_ids: Sequence[str] = ("wix", "wp"),
) -> dict[str, bool]:
    """`count` new articles of distinct text, the outlets in turn: their URL -> whether they
    match."""
    rng = random.Random(seed)
    published: dict[str, bool] = {}
    for n in range(count):
        matches = n % 3 == 0
        paragraphs = []
        for p in range(4):
            words = [rng.choice(_WORDS) for _ in range(45)]
            if matches and p == 1:
                words.insert(10, KEYWORD)
            paragraphs.append(f"Item {n}.{p}: " + " ".join(words).capitalize() + ".")
        article = SampleArticle(
            outlet=outlet_ids[n % len(outlet_ids)],
            slug=f"dispatch-{n}-{rng.choice(_WORDS)}",
            title=f"Dispatch {n}: the {rng.choice(_WORDS)} and the {rng.choice(_WORDS)}",
            dek=f"Notes on {rng.choice(_WORDS)} number {n}.",
            author="Staff",
            age=timedelta(minutes=5 + n % 600),
            paragraphs=tuple(paragraphs),
        )
        published[outlets.publish(article)] = matches
    return published


# ----- the processes ----------------------------------------------------------------------------


def cluster_setup(
    workspace: Workspace,
    pg_url: str,
    outlets: SampleOutlets,
    count: int,
    crawl: dict[str, object],
) -> tuple[Database, dict[str, bool]]:
    """A PostgreSQL workspace watching the sample outlets every 15 s (first rounds spread over
    under a second) for KEYWORD, and `count` new articles published on them."""
    workspace.database_override = pg_url
    config = outlets.outlets_config()
    for outlet in config:
        outlet["every"] = "15s"
    workspace.write_config(
        config,
        [{"id": "zorvath", "title": "Zorvath watch", "query": KEYWORD, "chats": CHATS}],
        crawl=crawl,
    )
    published = publish_articles(outlets, count)
    return Database(pg_url), published  # migrated once, before the workers start


class Cluster:
    """A scheduling process and N workers on one frontier and one database."""

    def __init__(self, workspace: Workspace, redis_url: str, prefix: str) -> None:
        self.workspace = workspace
        self.redis_url = redis_url
        self.prefix = prefix
        self.workers: list[subprocess.Popen[str]] = []
        self.scheduler: subprocess.Popen[str] | None = None
        self.logs = workspace.root / "logs"
        self.logs.mkdir(exist_ok=True)

    def env(self) -> dict[str, str]:
        return self.workspace.env(NEWSRADAR_REDIS_URL=self.redis_url)

    def start_worker(self) -> subprocess.Popen[str]:
        log = (self.logs / f"worker-{len(self.workers)}.log").open("w")
        worker = subprocess.Popen(
            [str(NEWSRADAR), "worker", "--prefix", self.prefix, "--lease", str(LEASE)],
            env=self.env(),
            cwd=self.workspace.root,
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.workers.append(worker)
        return worker

    def start_scheduler(self) -> None:
        """`newsradar serve` schedules: with a Redis URL it queues each outlet's discovery."""
        log = (self.logs / "scheduler.log").open("w")
        self.scheduler = subprocess.Popen(
            [str(NEWSRADAR), "serve", "--prefix", self.prefix],
            env=self.env(),
            cwd=self.workspace.root,
            stdout=subprocess.DEVNULL,  # no bot token: alerts are printed, not sent
            stderr=log,
            text=True,
        )

    def stop(self) -> None:
        for process in [*self.workers, self.scheduler]:
            if process is not None and process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in [*self.workers, self.scheduler]:
            if process is None:
                continue
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def log_tail(self) -> str:
        return "\n".join(
            f"--- {path.name}\n" + path.read_text()[-1500:] for path in sorted(self.logs.iterdir())
        )


def stored_urls(db: Database) -> list[str]:
    with db.session() as session:
        return list(session.scalars(select(Article.url)))


def wait_until_done(
    db: Database, cluster: Cluster, expected: set[str], timeout: float
) -> tuple[float, list[str]]:
    """Until every expected URL is stored and matched and the frontier is empty; how long."""
    started = time.monotonic()
    urls: list[str] = []
    while time.monotonic() - started < timeout:
        urls = stored_urls(db)
        with db.session() as session:
            unmatched = session.scalar(
                select(func.count()).select_from(Article).where(Article.matched_at.is_(None))
            )
        counts = frontier_counts(cluster.redis_url, cluster.prefix)
        idle = not counts["queued"] and not counts["in_flight"]
        if expected <= set(urls) and not unmatched and idle:
            return time.monotonic() - started, urls
        time.sleep(0.5)
    pytest.fail(
        f"not done in {timeout:.0f}s: {len(expected - set(urls))} of {len(expected)} articles "
        f"missing, frontier {frontier_counts(cluster.redis_url, cluster.prefix)}\n"
        + cluster.log_tail()
    )


def check_stored_and_alerted_once(
    db: Database, published: dict[str, bool], urls: list[str]
) -> None:
    assert len(urls) == len(set(urls)), "an article was stored twice"
    assert set(published) <= set(urls)
    with db.session() as session:
        titles = list(session.scalars(select(Article.title)))
        assert len(titles) == len(set(titles)), "the same article was stored under two rows"
        rows = session.execute(
            select(Article.url, OutboxRow.chat_id).join(
                OutboxRow, OutboxRow.article_id == Article.id
            )
        ).all()
        matched = set(session.scalars(select(MatchRow.article_id)))
    alerted: dict[str, list[int]] = {}
    for url, chat_id in rows:
        alerted.setdefault(url, []).append(chat_id)
    for url, matches in published.items():
        expected = sorted(CHATS) if matches else []
        assert sorted(alerted.get(url, [])) == expected, url
    assert len(rows) == len(set(rows)) == len(CHATS) * len(matched)
