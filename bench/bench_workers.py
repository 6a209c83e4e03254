"""Articles per second with 1, 2 and 3 `newsradar worker` processes on one machine, side by side.

Each round gets a fresh PostgreSQL database, a fresh Redis frontier (own key prefix) and a fresh
localhost outlet server with `--articles` new articles of distinct text. The workers are started
and registered on the frontier first (start-up is not counted); the clock runs from the moment the
outlets' discovery URLs are put on the frontier until every article is stored and matched and the
frontier is empty. Needs PostgreSQL on 127.0.0.1:5432 and Redis on 127.0.0.1:6379.

    uv run python -m bench.bench_workers [--articles 300] [--repeats 2] [--workers 1 2 3]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from crawler.frontier_queue import clear, enqueue_discovery, frontier_counts
from newsradar.config import load_config
from newsradar.database import Database
from newsradar.demo.server import SampleOutlets
from newsradar.processes.crawling import outlet_spec
from tests.support.pg import create_database, drop_database, require_server
from tests.support.worker_cluster import CHATS, KEYWORD, Cluster, publish_articles, wait_until_done
from tests.support.workspace import Workspace

RESULTS = Path(__file__).resolve().parent / "results" / "workers.md"
REDIS_URL = os.environ.get("NEWSRADAR_TEST_REDIS_URL") or "redis://127.0.0.1:6379/0"


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def one_round(workers: int, articles: int) -> tuple[float, float, float]:
    """For one crawl of `articles` new articles by `workers` workers: articles per second, and
    CPU milliseconds per article spent in the workers and in the outlet server (this process)."""
    server = require_server()
    database_url = create_database(server, prefix="newsradar_bench")
    prefix = f"newsradar-bench-{uuid.uuid4().hex[:10]}"
    with tempfile.TemporaryDirectory() as root, SampleOutlets() as outlets:
        workspace = Workspace(Path(root), database_override=database_url)
        workspace.write_config(
            outlets.outlets_config(),
            [{"id": "watch", "title": "Watch", "query": KEYWORD, "chats": CHATS}],
            crawl={"per_host_concurrency": 8},
        )
        published = publish_articles(outlets, articles)
        db = Database(database_url)
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
            own_before = time.process_time()
            enqueue_discovery(REDIS_URL, specs, prefix)
            elapsed, _urls = wait_until_done(db, cluster, set(published), timeout=600)
            worker_cpu = sum(cpu_seconds(w.pid) for w in cluster.workers) - cpu_before
            server_cpu = time.process_time() - own_before
        finally:
            cluster.stop()
            db.close()
            clear(REDIS_URL, prefix)
            drop_database(server, database_url)
    return articles / elapsed, 1000 * worker_cpu / articles, 1000 * server_cpu / articles


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()

    rates: dict[int, list[float]] = {n: [] for n in args.workers}
    worker_ms: dict[int, list[float]] = {n: [] for n in args.workers}
    server_ms: dict[int, list[float]] = {n: [] for n in args.workers}
    for repeat in range(args.repeats):  # interleaved: machine noise hits every column alike
        for n in args.workers:
            rate, in_workers, in_server = one_round(n, args.articles)
            rates[n].append(rate)
            worker_ms[n].append(in_workers)
            server_ms[n].append(in_server)
            print(
                f"round {repeat + 1}: {n} worker(s): {rate:.1f} articles/s, CPU per article "
                f"{in_workers:.0f} ms in workers, {in_server:.0f} ms in the outlet server",
                flush=True,
            )
    base = statistics.median(rates[args.workers[0]])
    rows = [
        f"| {n} | {statistics.median(r):.1f} | {statistics.median(r) / base:.2f}x | "
        f"{statistics.median(worker_ms[n]):.0f} | {statistics.median(server_ms[n]):.0f} | "
        + ", ".join(f"{x:.1f}" for x in r)
        + " |"
        for n, r in rates.items()
    ]
    command = "uv run python -m bench.bench_workers " + " ".join(sys.argv[1:])
    table = "\n".join(
        [
            "| workers | articles/s (median) | vs 1 worker | worker CPU ms/article "
            "| outlet server CPU ms/article | articles/s, each round |",
            "|---|---|---|---|---|---|",
            *rows,
        ]
    )
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    header = (
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.node()} "
        f"({os.cpu_count()} cores, load average before: {load}), Python "
        f"{platform.python_version()}.\n\n`{command.strip()}`\n\n"
        f"{args.articles} new articles per round on the localhost outlet server (two outlets), "
        "PostgreSQL and Redis on the same machine; the clock starts when discovery is queued "
        "and stops when every article is stored, matched and the frontier is empty.\n"
    )
    print(table)
    if not args.no_write:
        text = RESULTS.read_text() if RESULTS.exists() else ""
        marker = "<!-- figures -->"
        before, _, after = text.partition(marker)
        after = after.split("<!-- /figures -->", 1)[-1] if after else ""
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(
            (before or "# Crawl workers: articles per second\n\n")
            + f"{marker}\n{header}\n{table}\n<!-- /figures -->"
            + after
        )
        print(f"written to {RESULTS}")


if __name__ == "__main__":
    main()
