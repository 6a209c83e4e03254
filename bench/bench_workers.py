"""`newsradar worker` processes against one `newsradar run-once`, side by side, on the same outlets.

Outlet sets (`bench.outlet_sets`; each outlet a loopback address of its own, so a distinct host):

- **done**: the "done when" set: 20 sample outlets in the RebelMouse, WordPress and Wix styles,
  100 new articles each (2,000 article URLs), answering 429 to a request sooner than 0.4 s after
  the previous one to the same host; `serve` schedules discovery for two workers.
- **polite**: a few outlets crawled with a politeness delay, answering 429 to a request that
  comes when they had 3 in the last second: N workers should take as long as one process.
- **many**: 40 outlets with the same delay and no limit: more requests a second than the
  machine fetches and extracts, so the delay is no longer the only bound.
- **cpu**: many outlets and no delay: bound by the CPU that fetching, extracting and storing take.

Each round crawls every article once, on fresh outlets and a fresh database: `run-once` on SQLite
(as a single machine runs it, its start-up counted), the workers on a fresh PostgreSQL database
and Redis frontier, started and registered first. "N workers": the clock runs from queueing the
discovery URLs, as `serve` does (again every `--tick` seconds); "serve + N workers": from
starting `newsradar serve`, which queues them on each outlet's schedule (`every: 1m`). Either
stops when every article is stored and matched and the frontier is empty. Per round the machine's
CPU is read from /proc/stat: the crawling processes', this process's (the outlet servers run in
it) and the rest (PostgreSQL, Redis, other users of the machine). Needs PostgreSQL on
127.0.0.1:5432 and Redis on 127.0.0.1:6379.

    uv run python -m bench.bench_workers [--sets done polite many cpu] [--workers 1 2 4]
        [--repeats 1] [--prefill 0] [--tick 60] [--no-write]
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select

from bench.outlet_sets import Observed, OutletSet
from bench.runonce import Workspace as RunOnceWorkspace
from bench.runonce import bench_watchlists
from bench.worker_figures import Figures, MachineClock, health_alarms, new_articles, prefill, table
from crawler.frontier_queue import clear, enqueue_discovery, frontier_counts
from newsradar.config import load_config
from newsradar.database import Article, Database
from newsradar.processes.crawling import outlet_spec
from tests.support.pg import create_database, drop_database, require_server
from tests.support.worker_cluster import Cluster
from tests.support.workspace import Workspace

RESULTS = Path(__file__).resolve().parent / "results" / "workers.md"
REDIS_URL = os.environ.get("NEWSRADAR_TEST_REDIS_URL") or "redis://127.0.0.1:6379/0"
SETS = {
    "done": OutletSet("sample", outlets=20, articles=100, delay=0.5, min_gap=0.4),
    "polite": OutletSet("synthetic", outlets=8, articles=30, delay=0.5, rate_limit=3),
    "many": OutletSet("synthetic", outlets=40, articles=16, delay=0.5),
    "cpu": OutletSet("synthetic", outlets=120, articles=10, delay=0.0),
}
SERVE = "serve + 2 workers"
TIMEOUT = 900.0


def run_once_round(outlet_set: OutletSet, prefilled: int) -> Figures:
    with tempfile.TemporaryDirectory() as root, outlet_set.running() as outlets:
        workspace = RunOnceWorkspace(Path(root))
        workspace.write_config(outlets.outlets_config(), crawl=outlet_set.crawl())
        db = workspace.prepare_database()
        prefill(db, prefilled)
        clock = MachineClock()
        run = workspace.run_once(timeout=TIMEOUT)
        machine = clock.read(run.cpu)
        figures = Figures.of(outlets, run.wall, new_articles(db), machine, health_alarms(db))
        db.close()
        return figures


def workers_round(outlet_set: OutletSet, setup: str, prefilled: int, tick: float) -> Figures:
    workers = 2 if setup == SERVE else int(setup.split()[0])
    pg = require_server()
    database_url = create_database(pg, prefix="newsradar_bench")
    prefix = f"newsradar-bench-{uuid.uuid4().hex[:10]}"
    with tempfile.TemporaryDirectory() as root, outlet_set.running() as outlets:
        workspace = Workspace(Path(root), database_override=database_url)
        workspace.write_config(
            outlets.outlets_config(every="1m"), bench_watchlists(), crawl=outlet_set.crawl()
        )
        db = Database(database_url)
        prefill(db, prefilled)
        cluster = Cluster(workspace, REDIS_URL, prefix)
        try:
            start_workers(cluster, workers)
            clock = MachineClock(cluster)
            if setup == SERVE:
                cluster.start_scheduler()
                elapsed = wait_for_the_end(db, cluster, outlets, None)
            else:
                elapsed = wait_for_the_end(db, cluster, outlets, tick)
            machine = clock.read()
            stored = new_articles(db)
        finally:
            cluster.stop()  # each worker records the outlets' health as it stops
            alarms = health_alarms(db)
            db.close()
            clear(REDIS_URL, prefix)
            drop_database(pg, database_url)
        return Figures.of(outlets, elapsed, stored, machine, alarms)


def start_workers(cluster: Cluster, workers: int) -> None:
    for _ in range(workers):
        cluster.start_worker()
    deadline = time.monotonic() + 120
    while frontier_counts(REDIS_URL, cluster.prefix)["workers"] < workers:
        if time.monotonic() > deadline:
            raise RuntimeError("workers did not start:\n" + cluster.log_tail())
        time.sleep(0.1)


def wait_for_the_end(
    db: Database, cluster: Cluster, outlets: Observed, tick: float | None
) -> float:
    """Until every article is stored and matched and the frontier is empty; how long it took.
    With a `tick`, this queues discovery as `serve` does, again every `tick` seconds."""
    specs = [outlet_spec(o) for o in load_config(cluster.workspace.config_dir).enabled_outlets]
    expected = len(outlets.expected())
    started = time.monotonic()
    queued_at = float("-inf")
    while time.monotonic() - started < TIMEOUT:
        if tick is not None and time.monotonic() - queued_at >= tick:
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
        f"not done in {TIMEOUT:.0f} s: {new_articles(db)} of {expected}\n" + cluster.log_tail()
    )


def setups_of(name: str, workers: list[int]) -> list[str]:
    if name == "done":
        return ["run-once", SERVE]
    return ["run-once", *(f"{n} worker{'s' if n > 1 else ''}" for n in workers)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", nargs="+", default=list(SETS), choices=SETS)
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
    for name in args.sets:
        outlet_set = SETS[name]
        setups = setups_of(name, args.workers)
        results: dict[str, list[Figures]] = {setup: [] for setup in setups}
        for repeat in range(args.repeats):  # interleaved: machine noise hits every column alike
            for setup in setups:
                figures = (
                    run_once_round(outlet_set, args.prefill)
                    if setup == "run-once"
                    else workers_round(outlet_set, setup, args.prefill, args.tick)
                )
                results[setup].append(figures)
                print(f"{name} round {repeat + 1}: {setup}: {figures}", flush=True)
        tables.append(table(name, outlet_set.describe(), results))
    load_after = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    command = "uv run python -m bench.bench_workers " + " ".join(sys.argv[1:])
    header = (
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.node()} "
        f"({os.cpu_count()} cores, load average before: {load_before}; after: {load_after}), "
        f"Python {platform.python_version()}, {args.prefill} articles stored beforehand, "
        f"{args.repeats} round(s) of each setup, interleaved.\n\n`{command.strip()}`\n"
    )
    text = header + "\n" + "\n\n".join(tables) + "\n"
    print(text)
    if not args.no_write:
        write_results(text)


def write_results(text: str) -> None:
    old = RESULTS.read_text() if RESULTS.exists() else ""
    marker = "<!-- figures -->"
    before, _, after = old.partition(marker)
    after = after.split("<!-- /figures -->", 1)[-1] if after else ""
    RESULTS.write_text(
        (before or "# Crawl workers against one run-once\n\n")
        + f"{marker}\n{text}<!-- /figures -->"
        + after
    )
    print(f"written to {RESULTS}")


if __name__ == "__main__":
    main()
