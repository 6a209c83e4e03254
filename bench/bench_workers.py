"""`newsradar worker` processes against one `newsradar run-once`, side by side, on the same outlets.

Two kinds of outlets, each its own set of localhost hosts (`bench.outlets.SyntheticOutlets`, one
loopback address per outlet):

- **polite**: a few outlets crawled with a politeness delay, each answering 429 (Retry-After: 1)
  to a request that comes when it had `rate_limit` in the last second. The crawl is bound by the
  delay, so N workers should take as long as one process, and get no more 429s.
- **cpu**: many outlets and no delay: bound by the CPU that fetching, extracting and storing
  take, so two workers should come near twice one process.

Each round crawls every article once, in a fresh database: `run-once` on SQLite (as a single
machine runs it), the workers on a fresh PostgreSQL database and Redis frontier, started and
registered first (their start-up is not counted; `run-once`'s is). The workers' clock runs from
queueing the outlets' discovery URLs, as `serve` does (again every `--tick` seconds, as an
`every: 1m` schedule would: a page a worker failed is let go until the next discovery), until
every article is stored and matched and the frontier is empty. `--prefill N` first stores N older
articles, so that a cost which grows with the table shows. Needs PostgreSQL on 127.0.0.1:5432
and Redis on 127.0.0.1:6379.

    uv run python -m bench.bench_workers [--scenarios polite cpu] [--workers 1 2 4]
        [--repeats 1] [--prefill 0]
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, insert, select

from bench.outlets import SyntheticOutlets
from bench.runonce import Workspace as RunOnceWorkspace
from bench.runonce import bench_watchlists
from crawler.frontier_queue import clear, enqueue_discovery, frontier_counts
from crawler.outlet_spec import OutletSpec
from newsradar.config import load_config
from newsradar.database import Article, Database, OutletHealth
from newsradar.processes.crawling import outlet_spec
from tests.support.pg import create_database, drop_database, require_server
from tests.support.worker_cluster import Cluster
from tests.support.workspace import Workspace

RESULTS = Path(__file__).resolve().parent / "results" / "workers.md"
REDIS_URL = os.environ.get("NEWSRADAR_TEST_REDIS_URL") or "redis://127.0.0.1:6379/0"


@dataclass(frozen=True)
class Scenario:
    outlets: int
    articles: int  # per outlet
    delay: float  # crawl.download_delay, seconds
    rate_limit: int | None  # requests per second an outlet answers before it sends 429

    def server(self) -> SyntheticOutlets:
        return SyntheticOutlets(self.outlets, self.articles, rate_limit=self.rate_limit)

    def limit(self) -> str:
        if self.rate_limit is None:
            return "no rate limit"
        return f"429 above {self.rate_limit} requests/s per outlet"

    def crawl(self) -> dict[str, object]:
        return {"download_delay": self.delay, "per_host_concurrency": 2, "timeout": "30s"}


SCENARIOS = {
    "polite": Scenario(outlets=8, articles=30, delay=0.5, rate_limit=3),
    "cpu": Scenario(outlets=120, articles=10, delay=0.0, rate_limit=None),
}


@dataclass(frozen=True)
class Figures:
    wall: float
    articles: int
    cpu: float  # seconds in the crawling processes
    peak_rate: int  # the most requests one outlet got within a second
    too_many: int  # 429 answers
    article_fetches: int  # article pages served (200s)
    alarms: int  # outlets whose health the operators were told of (failing or no text)

    @property
    def rate(self) -> float:
        return self.articles / self.wall

    @property
    def cpu_ms(self) -> float:
        return 1000 * self.cpu / max(self.articles, 1)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def prefill(db: Database, count: int) -> None:
    """`count` older articles, matched long ago, on an outlet of their own."""
    rng = random.Random(count)
    old = datetime.now(UTC) - timedelta(days=30)
    rows = [
        {
            "outlet_id": "archive",
            "url": f"http://archive.invalid/{n}",
            "canonical_url": f"http://archive.invalid/{n}",
            "title": f"Archive {n}",
            "published": old,
            "text": "archived text " * 300,
            "fingerprint": rng.getrandbits(63),
            **{f"fp_band{i}": rng.getrandbits(16) for i in range(4)},
            "lead": f"{rng.getrandbits(63):016x}",
            "fetched_at": old,
            "alertable": False,
            "matched_at": old,
        }
        for n in range(count)
    ]
    with db.engine.begin() as connection:
        for start in range(0, len(rows), 5000):
            connection.execute(insert(Article), rows[start : start + 5000])


def new_articles(db: Database) -> int:
    with db.session() as session:
        query = select(func.count()).select_from(Article).where(Article.outlet_id != "archive")
        return int(session.scalar(query) or 0)


def health_alarms(db: Database) -> int:
    with db.session() as session:
        rows = session.scalars(select(OutletHealth))
        return sum(1 for row in rows if row.failing_alerted or row.layout_alerted)


def run_once_round(scenario: Scenario, prefilled: int) -> Figures:
    with (
        tempfile.TemporaryDirectory() as root,
        scenario.server() as server,
    ):
        workspace = RunOnceWorkspace(Path(root))
        workspace.write_config(server.outlets_config(), crawl=scenario.crawl())
        db = workspace.prepare_database()
        prefill(db, prefilled)
        server.take_counts()
        run = workspace.run_once()
        counts = server.take_counts()
        stored = new_articles(db)
        alarms = health_alarms(db)
        db.close()
        return Figures(
            run.wall,
            stored,
            run.cpu,
            server.peak_rate(),
            counts.get("429", 0),
            counts.get("article", 0),
            alarms,
        )


def workers_round(scenario: Scenario, workers: int, prefilled: int, tick: float) -> Figures:
    pg = require_server()
    database_url = create_database(pg, prefix="newsradar_bench")
    prefix = f"newsradar-bench-{uuid.uuid4().hex[:10]}"
    with (
        tempfile.TemporaryDirectory() as root,
        scenario.server() as server,
    ):
        workspace = Workspace(Path(root), database_override=database_url)
        workspace.write_config(server.outlets_config(), bench_watchlists(), crawl=scenario.crawl())
        db = Database(database_url)
        prefill(db, prefilled)
        cluster = Cluster(workspace, REDIS_URL, prefix)
        try:
            for _ in range(workers):
                cluster.start_worker()
            deadline = time.monotonic() + 120
            while frontier_counts(REDIS_URL, prefix)["workers"] < workers:
                if time.monotonic() > deadline:
                    raise RuntimeError("workers did not start:\n" + cluster.log_tail())
                time.sleep(0.1)
            specs = [outlet_spec(o) for o in load_config(workspace.config_dir).enabled_outlets]
            cpu_before = sum(cpu_seconds(w.pid) for w in cluster.workers)
            server.take_counts()
            server.arrivals.clear()
            elapsed = crawl_to_the_end(db, cluster, specs, scenario, tick)
            cpu = sum(cpu_seconds(w.pid) for w in cluster.workers) - cpu_before
            counts = server.take_counts()
            stored = new_articles(db)
        finally:
            cluster.stop()  # each worker records the outlets' health as it stops
            alarms = health_alarms(db)
            db.close()
            clear(REDIS_URL, prefix)
            drop_database(pg, database_url)
        return Figures(
            elapsed,
            stored,
            cpu,
            server.peak_rate(),
            counts.get("429", 0),
            counts.get("article", 0),
            alarms,
        )


def crawl_to_the_end(
    db: Database, cluster: Cluster, specs: list[OutletSpec], scenario: Scenario, tick: float
) -> float:
    """Queue discovery as `serve` does, again every `tick` seconds (an `every:` schedule), until
    every article is stored and matched and the frontier is empty; how long it took."""
    expected = scenario.outlets * scenario.articles
    started = time.monotonic()
    queued_at = -tick
    while time.monotonic() - started < 900:
        if time.monotonic() - queued_at >= tick:
            enqueue_discovery(REDIS_URL, specs, cluster.prefix)
            queued_at = time.monotonic()
        with db.session() as session:
            unmatched = session.scalar(
                select(func.count()).select_from(Article).where(Article.matched_at.is_(None))
            )
        counts = frontier_counts(REDIS_URL, cluster.prefix)
        idle = not counts["queued"] and not counts["in_flight"]
        if new_articles(db) >= expected and not unmatched and idle:
            return time.monotonic() - started
        time.sleep(0.2)
    raise RuntimeError(
        f"not done in 900 s: {new_articles(db)} of {expected}\n" + cluster.log_tail()
    )


def table(name: str, scenario: Scenario, results: dict[str, list[Figures]]) -> str:
    base = statistics.median(f.wall for f in results["run-once"])
    lines = [
        f"**{name}**: {scenario.outlets} outlets × {scenario.articles} articles, download_delay "
        f"{scenario.delay} s, per_host_concurrency 2, " + scenario.limit(),
        "",
        "| setup | wall s (median) | vs run-once | articles/s | per-host peak req/s "
        "| 429s | article fetches / articles | CPU ms/article | health alarms "
        "| wall s, each round |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for setup, figures in results.items():
        wall = statistics.median(f.wall for f in figures)
        lines.append(
            f"| {setup} | {wall:.1f} | {wall / base:.2f}x | "
            f"{statistics.median(f.rate for f in figures):.1f} | "
            f"{max(f.peak_rate for f in figures)} | {max(f.too_many for f in figures)} | "
            f"{max(f.article_fetches for f in figures)} / {min(f.articles for f in figures)} | "
            f"{statistics.median(f.cpu_ms for f in figures):.0f} | "
            f"{max(f.alarms for f in figures)} | "
            + ", ".join(f"{f.wall:.1f}" for f in figures)
            + " |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenarios", nargs="+", default=list(SCENARIOS), choices=SCENARIOS)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--prefill", type=int, default=0)
    parser.add_argument(
        "--tick", type=float, default=60.0, help="seconds between discovery rounds (as every: 1m)"
    )
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()

    load_before = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    tables = []
    for name in args.scenarios:
        scenario = SCENARIOS[name]
        setups = ["run-once", *(f"{n} worker(s)" for n in args.workers)]
        results: dict[str, list[Figures]] = {setup: [] for setup in setups}
        for repeat in range(args.repeats):  # interleaved: machine noise hits every column alike
            for setup, n in zip(setups, [0, *args.workers], strict=True):
                figures = (
                    run_once_round(scenario, args.prefill)
                    if n == 0
                    else workers_round(scenario, n, args.prefill, args.tick)
                )
                results[setup].append(figures)
                print(f"{name} round {repeat + 1}: {setup}: {figures}", flush=True)
        tables.append(table(name, scenario, results))
    load_after = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    command = "uv run python -m bench.bench_workers " + " ".join(sys.argv[1:])
    header = (
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.node()} "
        f"({os.cpu_count()} cores, load average before: {load_before}; after: {load_after}), "
        f"Python {platform.python_version()}, {args.prefill} articles stored beforehand.\n\n"
        f"`{command.strip()}`\n"
    )
    text = header + "\n" + "\n\n".join(tables) + "\n"
    print(text)
    if not args.no_write:
        old = RESULTS.read_text() if RESULTS.exists() else ""
        marker = "<!-- figures -->"
        before, _, after = old.partition(marker)
        after = after.split("<!-- /figures -->", 1)[-1] if after else ""
        RESULTS.write_text(
            (before or "# Crawl workers against one process\n\n")
            + f"{marker}\n{text}<!-- /figures -->"
            + after
        )
        print(f"written to {RESULTS}")


if __name__ == "__main__":
    main()
