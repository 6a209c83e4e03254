"""What `bench.bench_workers` measures in a round, and its side-by-side table."""

from __future__ import annotations

import os
import random
import resource
import statistics
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, insert, select

from bench.outlet_sets import Observed
from newsradar.database import Article, Database, OutletHealth
from tests.support.worker_cluster import Cluster

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def machine_busy() -> float:
    """CPU seconds all cores of the machine have spent on anything but idling, so far."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle, iowait
    return (sum(fields[:8]) - idle) / CLOCK_TICKS


def own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


@dataclass(frozen=True)
class Machine:
    """CPU seconds in a round: the crawling processes', this process's (the outlet servers and
    the bench's polling), and the rest of the machine's (PostgreSQL, Redis, other users)."""

    crawl: float
    outlets: float
    rest: float
    busy_share: float  # of all cores, over the round


class MachineClock:
    def __init__(self, cluster: Cluster | None = None) -> None:
        self.cluster = cluster
        self.started = machine_busy(), own_cpu(), self._crawl(), os.times().elapsed

    def _crawl(self) -> float:
        if self.cluster is None:
            return 0.0
        processes = [*self.cluster.workers, self.cluster.scheduler]
        return sum(cpu_seconds(p.pid) for p in processes if p is not None and p.poll() is None)

    def read(self, crawl: float | None = None) -> Machine:
        """Since the clock started; `crawl`: the crawling process's CPU, if it has ended."""
        busy, own, crawled, elapsed = self.started
        busy = machine_busy() - busy
        crawl = self._crawl() - crawled if crawl is None else crawl
        own = own_cpu() - own
        wall = os.times().elapsed - elapsed
        cores = os.cpu_count() or 1
        return Machine(crawl, own, max(busy - crawl - own, 0.0), busy / (wall * cores))


@dataclass(frozen=True)
class Figures:
    wall: float
    span: float  # first to last request the outlets saw
    articles: int  # stored
    urls: int  # article URLs published
    machine: Machine
    peak_rate: int  # the most requests one outlet got within a second
    too_many: int  # 429 answers
    not_once: int  # article URLs asked other than exactly once (a 429 counts)
    alarms: int  # outlets whose health the operators were told of (failing or no text)

    @classmethod
    def of(
        cls, outlets: Observed, wall: float, stored: int, machine: Machine, alarms: int
    ) -> Figures:
        return cls(
            wall,
            outlets.span(),
            stored,
            len(outlets.expected()),
            machine,
            outlets.peak_rate(),
            outlets.too_many(),
            outlets.not_once(),
            alarms,
        )

    @property
    def rate(self) -> float:
        return self.articles / self.wall

    @property
    def cpu_ms(self) -> float:
        return 1000 * self.machine.crawl / max(self.articles, 1)


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


def _median(values: list[float]) -> float:
    return statistics.median(values)


def _each(values: list[object]) -> str:
    return ", ".join(str(v) for v in values)


def table(name: str, description: str, results: dict[str, list[Figures]]) -> str:
    base = _median([f.wall for f in results["run-once"]])
    lines = [
        f"**{name}**: {description}",
        "",
        "| setup | wall s (median) | vs run-once | crawl span s | articles/s | stored / URLs "
        "| per-host peak req/s | 429s, each round | URLs not fetched exactly once, each round "
        "| CPU ms/article | CPU s: crawl / outlets+bench / rest of machine | machine busy "
        "| health alarms | wall s, each round |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for setup, figures in results.items():
        wall = _median([f.wall for f in figures])
        machine = (
            f"{_median([f.machine.crawl for f in figures]):.0f} / "
            f"{_median([f.machine.outlets for f in figures]):.0f} / "
            f"{_median([f.machine.rest for f in figures]):.0f}"
        )
        lines.append(
            f"| {setup} | {wall:.1f} | {wall / base:.2f}x | "
            f"{_median([f.span for f in figures]):.1f} | "
            f"{_median([f.rate for f in figures]):.1f} | "
            f"{min(f.articles for f in figures)} / {figures[0].urls} | "
            f"{max(f.peak_rate for f in figures)} | {_each([f.too_many for f in figures])} | "
            f"{_each([f.not_once for f in figures])} | "
            f"{_median([f.cpu_ms for f in figures]):.0f} | {machine} | "
            f"{_median([f.machine.busy_share for f in figures]):.0%} | "
            f"{max(f.alarms for f in figures)} | "
            + _each([f"{f.wall:.1f}" for f in figures])
            + " |"
        )
    return "\n".join(lines)
