"""Politeness-bound crawls, side by side: one `newsradar run-once` against two `newsradar worker`
processes on one Redis frontier, on sample outlets that answer 429 to a request arriving sooner
than `--limit` after the previous one to the same host.

Each round gets a fresh PostgreSQL database, a fresh frontier and fresh outlets with `--articles`
new articles. Measured per mode: the crawl span (first to last request the outlets saw, which is
what the per-host delay bounds), the wall time (run-once: the whole process; workers: from the
moment discovery is queued, as `serve` queues it, until every article is stored and matched and
the frontier is empty; the workers are started beforehand), 429 answers, and article URLs
fetched other than exactly once. Needs PostgreSQL on 127.0.0.1:5432 and Redis on 127.0.0.1:6379.

    uv run python -m bench.bench_polite [--articles 40] [--repeats 2] [--delay 0.5] [--limit 0.4]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bench.outlets import SyntheticOutlets
from crawler.frontier_queue import clear, enqueue_discovery, frontier_counts
from newsradar.config import load_config
from newsradar.database import Database
from newsradar.demo.server import SampleOutlets
from newsradar.processes.crawling import outlet_spec
from tests.support.pg import create_database, drop_database, require_server
from tests.support.rate_limit import RateLimit
from tests.support.worker_cluster import CHATS, KEYWORD, Cluster, publish_articles, wait_until_done
from tests.support.workspace import Workspace

READING = (
    "run-once spaces each host's requests by the delay randomised to 0.5-1.5 times (Scrapy's "
    "default), so some land inside the outlet's limit (its 429s, and the pages fetched again "
    "after them); the workers take each host's slots from Redis exactly the delay apart, so "
    "the same requests take a little less time and none is refused. With many outlets the "
    "crawl is bound by the busiest host's delay in both modes, as long as hosts take turns."
)
RESULTS = Path(__file__).resolve().parent / "results" / "polite.md"
REDIS_URL = os.environ.get("NEWSRADAR_TEST_REDIS_URL") or "redis://127.0.0.1:6379/0"


@dataclass(frozen=True)
class Round:
    span: float
    wall: float
    refused: int
    not_once: int  # article URLs fetched other than exactly once (429s counted as fetches)


def not_fetched_once(outlets: SampleOutlets, published: dict[str, bool]) -> int:
    counts: dict[str, int] = {}
    for outlet_id in ("wp", "wix"):
        base = outlets.sites[outlet_id].base_url
        for path, n in outlets.requests(outlet_id).items():
            if base + path in published:
                counts[base + path] = n
    return sum(1 for url in published if counts.get(url, 0) != 1)


class TimedOutlets(SyntheticOutlets):
    """Synthetic outlets (one loopback host each) that also note when each request came."""

    def __init__(self, count: int, articles: int) -> None:
        super().__init__(count, articles)
        self.times: list[float] = []

    def _count(self, kind: str) -> None:
        super()._count(kind)
        self.times.append(time.monotonic())

    def span(self) -> float:
        return max(self.times) - min(self.times) if self.times else 0.0


def one_round(mode: str, args: argparse.Namespace) -> Round:
    server = require_server()
    database_url = create_database(server, prefix="newsradar_bench")
    prefix = f"newsradar-bench-{uuid.uuid4().hex[:10]}"
    crawl = {"per_host_concurrency": 2, "download_delay": args.delay}
    watchlists = [{"id": "watch", "title": "Watch", "query": KEYWORD, "chats": CHATS}]
    with contextlib.ExitStack() as stack:
        workspace = Workspace(Path(stack.enter_context(tempfile.TemporaryDirectory())))
        workspace.database_override = database_url
        if args.outlets:
            many = stack.enter_context(TimedOutlets(args.outlets, args.per_outlet))
            workspace.write_config(many.outlets_config(), watchlists, crawl=crawl)
            expected = {url for url, _ in many.article_pages()}
        else:
            outlets = stack.enter_context(SampleOutlets())
            workspace.write_config(outlets.outlets_config(), watchlists, crawl=crawl)
            published = publish_articles(outlets, args.articles)
            expected = set(published)
            limit = RateLimit(args.limit).install(outlets)
        db = Database(database_url)
        try:
            wall = crawl_once(mode, workspace, db, prefix, expected)
        finally:
            db.close()
            clear(REDIS_URL, prefix)
            drop_database(server, database_url)
        if args.outlets:
            fetched = many.take_counts().get("article", 0)
            return Round(many.span(), wall, 0, abs(fetched - len(expected)))
        refused = sum(limit.refused.values())
        return Round(limit.span(), wall, refused, not_fetched_once(outlets, published))


def crawl_once(
    mode: str, workspace: Workspace, db: Database, prefix: str, expected: set[str]
) -> float:
    if mode != "run-once":
        return cluster_round(workspace, db, prefix, expected)
    started = time.monotonic()
    done = workspace.run("run-once", timeout=600)
    if done.returncode != 0:
        raise RuntimeError(f"run-once failed: {done.stderr[-2000:]}")
    return time.monotonic() - started


def cluster_round(workspace: Workspace, db: Database, prefix: str, expected: set[str]) -> float:
    cluster = Cluster(workspace, REDIS_URL, prefix)
    try:
        for _ in range(2):
            cluster.start_worker()
        deadline = time.monotonic() + 120
        while frontier_counts(REDIS_URL, prefix)["workers"] < 2:
            if time.monotonic() > deadline:
                raise RuntimeError("workers did not start:\n" + cluster.log_tail())
            time.sleep(0.1)
        specs = [outlet_spec(o) for o in load_config(workspace.config_dir).enabled_outlets]
        enqueue_discovery(REDIS_URL, specs, prefix)
        elapsed, _urls = wait_until_done(db, cluster, expected, timeout=600)
        return elapsed
    finally:
        cluster.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=40)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--delay", type=float, default=0.5, help="crawl.download_delay")
    parser.add_argument("--limit", type=float, default=0.4, help="the outlets' own limit")
    parser.add_argument(
        "--outlets", type=int, default=0, help="this many synthetic outlets instead (no 429s)"
    )
    parser.add_argument("--per-outlet", type=int, default=8, help="articles per synthetic outlet")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()

    modes = ("run-once", "2 workers")
    rounds: dict[str, list[Round]] = {mode: [] for mode in modes}
    for repeat in range(args.repeats):  # interleaved: machine noise hits both alike
        for mode in modes:
            result = one_round(mode, args)
            rounds[mode].append(result)
            print(f"round {repeat + 1}: {mode}: {result}", flush=True)
    base = statistics.median(r.span for r in rounds["run-once"])
    rows = []
    for mode, results in rounds.items():
        span = statistics.median(r.span for r in results)
        rows.append(
            f"| {mode} | {span:.1f} | {span / base:.2f}x | "
            f"{statistics.median(r.wall for r in results):.1f} | "
            f"{', '.join(str(r.refused) for r in results)} | "
            f"{', '.join(str(r.not_once) for r in results)} |"
        )
    table = "\n".join(
        [
            "| mode | crawl span s (median) | vs run-once | wall s (median) | 429 answers, "
            "each round | article URLs not fetched exactly once, each round |",
            "|---|---|---|---|---|---|",
            *rows,
        ]
    )
    command = "uv run python -m bench.bench_polite " + " ".join(sys.argv[1:])
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    header = (
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.node()} "
        f"({os.cpu_count()} cores, load average before: {load}), Python "
        f"{platform.python_version()}.\n\n`{command.strip()}`\n\n"
        + (
            f"{args.outlets} synthetic outlets (one loopback host each) with {args.per_outlet} "
            "articles each, no rate limit of their own"
            if args.outlets
            else f"{args.articles} new articles per round on two of the three sample outlets, "
            f"the outlets answering 429 to a request sooner than {args.limit} s after the "
            "previous one to the same host"
        )
        + f"; crawl.download_delay {args.delay} s, per_host_concurrency 2.\n"
    )
    print(table)
    table += "\n\n" + READING
    results = RESULTS.with_name("polite-outlets.md") if args.outlets else RESULTS
    if not args.no_write:
        results.parent.mkdir(parents=True, exist_ok=True)
        results.write_text(
            "# Politeness-bound crawls: run-once against two workers sharing one budget per host"
            f"\n\n{header}\n{table}\n"
        )
        print(f"written to {results}")


if __name__ == "__main__":
    main()
