"""Figures of whole `run-once` processes against the synthetic outlets: pipeline throughput, the
idle cycle, growth with the number of outlets, and memory with a large database."""

from __future__ import annotations

import itertools
import json
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, update

from bench.cpu_figures import one_core
from bench.extraction_dev import DEFAULT_DATA, load_pages
from bench.outlets import SyntheticOutlets
from bench.population import populate
from bench.report import Section, fit_line, median, rounded
from bench.runonce import Run, Workspace
from crawler.extract import extract_article
from newsradar.database import Article, Database, OutboxRow, utcnow
from notifier.outbox_states import OutboxStatus

IDLE_CPU_TARGET_MS = 3.0
GROWTH_TOLERANCE = 1.25
PROBE_ROUNDS = 3  # measured cycles per pipeline probe process


@contextmanager
def scratch(prefix: str) -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix=f"newsradar-bench-{prefix}-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@dataclass
class Baseline:
    """What a run costs before any outlet: with no outlets at all (imports, database, matching
    and delivery of nothing), and with one unchanged outlet (the crawler set up and the
    extractor imported as well: the fixed cost every real run pays)."""

    empty: list[Run]
    one: list[Run]

    @property
    def cpu(self) -> float:
        return median([r.cpu for r in self.one])

    @property
    def wall(self) -> float:
        return median([r.wall for r in self.one])

    @property
    def empty_cpu(self) -> float:
        return median([r.cpu for r in self.empty])

    @property
    def empty_wall(self) -> float:
        return median([r.wall for r in self.empty])

    def describe(self) -> str:
        return (
            f"start-up: {self.empty_cpu:.2f} s CPU / {self.empty_wall:.2f} s wall with no "
            f"outlets, {self.cpu:.2f} s / {self.wall:.2f} s with one unchanged outlet"
        )

    def as_dict(self) -> dict[str, object]:
        return {
            "no_outlets": [r.as_dict() for r in self.empty],
            "one_unchanged_outlet": [r.as_dict() for r in self.one],
        }


def startup(repeats: int) -> Baseline:
    with scratch("empty") as root:
        workspace = Workspace(root)
        workspace.write_config([])
        workspace.prepare_database().close()
        empty = [workspace.run_once() for _ in range(repeats)]
    with SyntheticOutlets(1, 2) as server, scratch("one") as root:
        workspace = Workspace(root)
        workspace.write_config(server.outlets_config())
        workspace.prepare_database().close()
        workspace.run_once()
        mark_delivered(workspace.database_url)
        one = [workspace.run_once() for _ in range(repeats)]
    return Baseline(empty, one)


def mark_delivered(database_url: str) -> None:
    """Mark every queued message sent, as after a delivery: an idle cycle has nothing to send."""
    db = Database(database_url)
    try:
        with db.session() as session, session.begin():
            session.execute(update(OutboxRow).values(status=OutboxStatus.SENT, sent_at=utcnow()))
    finally:
        db.close()


def _count(database_url: str) -> tuple[int, int]:
    db = Database(database_url)
    try:
        with db.session() as session:
            articles = session.scalar(select(func.count()).select_from(Article)) or 0
            outbox = session.scalar(select(func.count()).select_from(OutboxRow)) or 0
    finally:
        db.close()
    return articles, outbox


# ----- pipeline overhead ---------------------------------------------------------------------
def pipeline(quick: bool, baseline: Baseline) -> Section:
    """Articles/s of crawl → extract → store → match → outbox, against extraction alone.

    The target is on the 90 real pages of extraction-dev served as the outlets' articles. The
    demo outlets' markup (small pages, where fixed per-article costs weigh more, and recent
    articles, so each is matched and queued) is reported beside it."""
    section = Section("pipeline")
    real = [html for _pid, _url, html, _body in load_pages(DEFAULT_DATA)]
    cases = [
        ("extraction-dev pages", 10 if quick else 30, 3, real),
        ("demo markup pages", 30 if quick else 100, 2, []),
    ]
    repeats = 1 if quick else 3
    details = {}
    for label, outlets, per_outlet, pages in cases:
        details[label] = _pipeline_case(
            section, label, outlets, per_outlet, pages, repeats, baseline, targeted=bool(pages)
        )
    section.details = details
    return section


def _pipeline_case(
    section: Section,
    label: str,
    outlets: int,
    per_outlet: int,
    pages: list[bytes],
    repeats: int,
    baseline: Baseline,
    targeted: bool,
) -> dict[str, object]:
    startup_wall = baseline.wall
    startup_cpu = baseline.cpu
    with SyntheticOutlets(outlets, per_outlet, pages=pages) as server, SyntheticOutlets(1) as warm:
        served = server.article_pages()
        with one_core():
            alone = median([len(served) / extraction_seconds(served) for _ in range(3)])
        runs, probes = [], []
        for _ in range(repeats):
            with scratch("pipeline") as root:
                workspace = Workspace(root)
                workspace.write_config(server.outlets_config())
                workspace.prepare_database().close()
                run = workspace.run_once()
                counts = server.take_counts()
                articles, outbox = _count(workspace.database_url)
                runs.append((run, articles, outbox, counts))
            with scratch("pipeline-probe") as root:
                probes.append(_probe(Workspace(root), server, warm, served))
    articles = runs[0][1]
    rounds = [r for p in probes for r in p["rounds"]]
    probe_cpu_rate = median([r["articles"] / r["cpu_s"] for r in rounds])
    probe_wall_rate = median([r["articles"] / r["wall_s"] for r in rounds])
    probe_alone = median([r["extraction_alone_docs_per_s"] for r in rounds])
    cpu_rate = median([a / max(run.cpu - startup_cpu, 1e-9) for run, a, _, _ in runs])
    wall_rate = median([a / max(run.wall - startup_wall, 1e-9) for run, a, _, _ in runs])
    raw_rate = median([a / run.wall for run, a, _, _ in runs])
    ratio = median([r["ratio"] for r in rounds])  # each against its pages extracted alone
    section.add(
        f"pipeline vs extraction alone, {label} (CPU, in a running process)",
        rounded(ratio, 2),
        "×",
        "≥ 0.7" if targeted else "",
        ratio >= 0.7 if targeted else None,
    )
    per_article = median([r["cpu_s"] / r["articles"] * 1000 for r in rounds])
    extracting = median([1000 / r["extraction_alone_docs_per_s"] for r in rounds])
    fetching = median([p["fetching_alone_cpu_s"] / p["pages"] * 1000 for p in probes])
    section.add(
        f"pipeline throughput, {label}",
        f"{probe_cpu_rate:.1f} per CPU-s in a running process; {raw_rate:.1f}/s over a whole "
        "run-once",
        "articles",
    )
    section.tables.append(
        (
            f"Pipeline, {label}: {outlets} outlets × {per_outlet} articles, first crawl, median "
            f"of {repeats} processes of {PROBE_ROUNDS} rounds each in a running process (after a "
            f"warm-up cycle over other pages), and of {repeats} whole run-once processes",
            ["measure", "value"],
            [
                ["articles stored / alerts queued", f"{articles} / {runs[0][2]}"],
                ["requests (robots, feeds, articles)", _requests(runs[0][3])],
                ["extraction alone (one core, CPU time)", f"{alone:.1f} docs/s"],
                [
                    "in a running process: articles per CPU-second / per wall second",
                    f"{probe_cpu_rate:.1f} / {probe_wall_rate:.1f}",
                ],
                [
                    "in a running process: extraction alone on the same pages, same process",
                    f"{probe_alone:.1f} docs/s",
                ],
                [
                    "in a running process, CPU per article: whole pipeline / extraction alone / "
                    "Scrapy alone fetching the page (a spider that does nothing) / the rest "
                    "(robots.txt, feeds, store, match, outbox)",
                    f"{per_article:.1f} / {extracting:.1f} / {fetching:.1f} / "
                    f"{per_article - extracting - fetching:.1f} ms",
                ],
                [
                    "in a running process: ratio to extraction alone (CPU; each page also "
                    "extracted alone beside the pipeline, in turns before and after)",
                    f"{ratio:.2f} (" + ", ".join(f"{r['ratio']:.2f}" for r in rounds) + ")",
                ],
                [
                    "run-once wall / CPU (median)",
                    f"{median([r.wall for r, *_ in runs]):.2f} s / "
                    f"{median([r.cpu for r, *_ in runs]):.2f} s",
                ],
                [
                    "start-up (one unchanged outlet) wall / CPU",
                    f"{startup_wall:.2f} s / {startup_cpu:.2f} s",
                ],
                ["run-once: articles per CPU-second, start-up subtracted", f"{cpu_rate:.1f}"],
                ["run-once: articles/s, wall minus start-up", f"{wall_rate:.1f}"],
                ["run-once: articles/s, whole wall", f"{raw_rate:.1f}"],
                [
                    "run-once: ratio to extraction alone, CPU / wall minus start-up / whole wall",
                    f"{cpu_rate / alone:.2f} / {wall_rate / alone:.2f} / {raw_rate / alone:.2f}",
                ],
            ],
        )
    )
    return {
        "outlets": outlets,
        "articles_per_outlet": per_outlet,
        "runs": [run.as_dict() | {"articles": a, "outbox": o} for run, a, o, _ in runs],
        "in_process_runs": probes,
        "extraction_alone_docs_per_s": rounded(alone, 2),
        "ratio_cpu_in_process": rounded(ratio, 3),
        "cpu_ms_per_article": {
            "pipeline": rounded(per_article, 2),
            "extraction_alone": rounded(extracting, 2),
            "fetching_alone": rounded(fetching, 2),
        },
        "ratio_run_once_cpu_minus_startup": rounded(cpu_rate / alone, 3),
        "ratio_run_once_wall_minus_startup": rounded(wall_rate / alone, 3),
        "ratio_run_once_whole_wall": rounded(raw_rate / alone, 3),
    }


def extraction_seconds(pages: list[tuple[str, bytes]]) -> float:
    """CPU seconds of extracting every page once."""
    started = time.process_time()
    for url, html in pages:
        extract_article(html, url)
    return time.process_time() - started


def _probe(
    workspace: Workspace,
    server: SyntheticOutlets,
    warm: SyntheticOutlets,
    served: list[tuple[str, bytes]],
    rounds: int = PROBE_ROUNDS,
) -> dict[str, Any]:
    """One bench.pipeline_probe process: a warm-up cycle over `warm`, then `rounds` first crawls
    of `server`, each into an empty database, with extraction alone measured page by page beside
    the pipeline; adds each round's ratio of the two rates."""
    warm_up = Workspace(workspace.root / "warm-up")
    warm_up.write_config(
        [outlet | {"id": f"warm-up-{outlet['id']}"} for outlet in warm.outlets_config()]
    )
    workspace.write_config(server.outlets_config())
    databases = []
    for number in range(rounds):
        round_space = Workspace(workspace.root / f"round-{number}")
        round_space.prepare_database().close()
        databases.append(round_space.database_url)
    pages = workspace.root / "pages.json"
    pages.write_text(json.dumps([[url, html.decode("latin-1")] for url, html in served]))
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.pipeline_probe",
            str(warm_up.config_dir),
            str(workspace.config_dir),
            str(pages),
            *databases,
        ],
        env=workspace.env(),
        cwd=Path(__file__).resolve().parent.parent,
        capture_output=True,
        text=True,
    )
    server.take_counts()
    if done.returncode != 0:
        raise RuntimeError(f"bench.pipeline_probe exited {done.returncode}:\n{done.stderr[-3000:]}")
    probe: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    for measured in probe["rounds"]:
        alone = measured["pages_extracted"] / measured["extraction_alone_cpu_s"]
        measured["extraction_alone_docs_per_s"] = alone
        measured["ratio"] = measured["articles"] / measured["cpu_s"] / alone
    return probe


def _requests(counts: dict[str, int]) -> str:
    feeds = counts.get("feed_200", 0) + counts.get("feed_304", 0)
    return (
        f"{counts.get('robots', 0)}, {feeds} ({counts.get('feed_304', 0)} × 304), "
        f"{counts.get('article', 0)}"
        + (f", other {counts['other']}" if counts.get("other") else "")
    )


# ----- idle cycle and growth -----------------------------------------------------------------
Counts = dict[str, int]  # requests by kind, see SyntheticOutlets.take_counts


@dataclass(frozen=True)
class ScalePoint:
    outlets: int
    full: tuple[Run, Counts]  # the first cycle
    idle: list[tuple[Run, Counts]]  # later cycles with nothing new
    singles: list[Run]  # a cycle over one outlet just before each idle one (when paired)


def scale_point(
    outlets: int, per_outlet: int, idle_repeats: int, paired: bool = False
) -> ScalePoint:
    """A first (full) cycle over ``outlets`` fresh outlets, then idle cycles with nothing new.

    ``paired``: each idle cycle right after an idle cycle over one outlet, so that the cost per
    outlet is a difference of two runs made seconds apart (start-up measured elsewhere drifts
    with the machine by more than the difference)."""
    with (
        SyntheticOutlets(outlets, per_outlet) as server,
        SyntheticOutlets(1 if paired else 0, per_outlet) as single,
        scratch(f"scale{outlets}") as root,
    ):
        workspace = Workspace(root)
        workspace.write_config(server.outlets_config())
        workspace.prepare_database().close()
        full = workspace.run_once()
        full_counts = server.take_counts()
        mark_delivered(workspace.database_url)
        one = Workspace(root / "one")
        if paired:
            one.write_config(single.outlets_config())
            one.prepare_database().close()
            one.run_once()
            mark_delivered(one.database_url)
        idle: list[tuple[Run, Counts]] = []
        singles: list[Run] = []
        for _ in range(idle_repeats):
            if paired:
                singles.append(one.run_once())
            idle.append((workspace.run_once(), server.take_counts()))
    return ScalePoint(outlets, (full, full_counts), idle, singles)


def scale(
    sizes: Sequence[int], quick: bool, baseline: Baseline, idle_size: int | None, growth: bool
) -> list[Section]:
    per_outlet = 2
    repeats = 2 if quick else 3
    points = [scale_point(n, per_outlet, repeats, paired=n == idle_size) for n in sizes]
    startup_cpu = baseline.cpu
    startup_wall = baseline.wall
    sections = []
    rows = []
    for point in points:
        n = point.outlets
        full, _full_counts = point.full
        idle = point.idle
        idle_cpu = median([r.cpu for r, _ in idle])
        idle_wall = median([r.wall for r, _ in idle])
        rows.append(
            [
                n,
                f"{full.wall:.1f}",
                f"{full.cpu:.1f}",
                f"{(full.cpu - startup_cpu) / (n - 1) * 1000:.1f}",
                f"{full.max_rss_mb:.0f}",
                f"{idle_wall:.1f}",
                f"{idle_cpu:.2f}",
                f"{(idle_cpu - startup_cpu) / (n - 1) * 1000:.2f}",
                f"{median([r.max_rss_mb for r, _ in idle]):.0f}",
                _requests(idle[-1][1]),
            ]
        )
    columns = [
        "outlets",
        "full wall s",
        "full CPU s",
        "full CPU ms/outlet",
        "full RSS MB",
        "idle wall s",
        "idle CPU s",
        "idle CPU ms/outlet",
        "idle RSS MB",
        "idle requests (robots, feeds, articles)",
    ]
    title = (
        f"Cycles by number of outlets ({per_outlet} articles each on the first crawl; idle = "
        f"median of {repeats} later runs with nothing new; per-outlet CPU = (run − run over one "
        f"unchanged outlet) / (outlets − 1); {baseline.describe()})"
    )
    if idle_size is not None:
        point = next(p for p in points if p.outlets == idle_size)
        section = Section("idle")
        idle = point.idle
        singles = point.singles
        cpu = median([r.cpu for r, _ in idle])
        per = median(
            [
                (r.cpu - s.cpu) / (idle_size - 1) * 1000
                for (r, _), s in zip(idle, singles, strict=True)
            ]
        )
        articles = max(c.get("article", 0) for _, c in idle)
        last = idle[-1][1]
        section.add(
            f"idle cycle, {idle_size} outlets: article fetches", articles, "", "0", articles == 0
        )
        section.add(
            f"idle cycle, {idle_size} outlets: CPU per unchanged outlet (each run less a run over "
            "one outlet just before it)",
            rounded(per, 2),
            "ms",
            f"≤ {IDLE_CPU_TARGET_MS:g} ms",
            per <= IDLE_CPU_TARGET_MS,
        )
        section.add(
            f"idle cycle, {idle_size} outlets: requests",
            f"{last.get('feed_304', 0)} × 304 + {last.get('feed_200', 0)} × 200 feeds, "
            f"{last.get('robots', 0)} robots.txt",
        )
        section.add(
            f"idle cycle, {idle_size} outlets: CPU / wall",
            f"{cpu:.2f} s / {median([r.wall for r, _ in idle]):.2f} s",
        )
        section.add(
            "run-once start-up, no outlets: CPU / wall",
            f"{baseline.empty_cpu:.2f} s / {baseline.empty_wall:.2f} s",
        )
        section.add(
            "run-once start-up, one unchanged outlet: CPU / wall",
            f"{startup_cpu:.2f} s / {startup_wall:.2f} s",
        )
        section.details = {
            "outlets": idle_size,
            "startup": baseline.as_dict(),
            "idle_runs": [r.as_dict() | {"requests": c} for r, c in idle],
            "one_outlet_runs": [r.as_dict() for r in singles],
            "cpu_ms_per_outlet": rounded(per, 3),
        }
        sections.append(section)
    if growth:
        section = Section("growth")
        xs = [float(p.outlets) for p in points]
        idle_cpus = [median([r.cpu for r, _ in p.idle]) for p in points]
        idle_walls = [median([r.wall for r, _ in p.idle]) for p in points]
        full_cpu = [p.full[0].cpu for p in points]
        full_wall = [p.full[0].wall for p in points]
        slopes = {}
        for name, ys in (
            ("idle_cpu", idle_cpus),
            ("idle_wall", idle_walls),
            ("full_cpu", full_cpu),
            ("full_wall", full_wall),
        ):
            slope, intercept = fit_line(xs, ys)
            slopes[name] = {
                "ms_per_outlet": rounded(slope * 1000, 3),
                "intercept_s": rounded(intercept, 2),
            }
        # Linear: what each added outlet costs stays the same from one size to the next (within
        # GROWTH_TOLERANCE); no start-up has to be subtracted, so small sizes carry no noise of it.
        marginal = {
            name: [(ys[i + 1] - ys[i]) / (xs[i + 1] - xs[i]) * 1000 for i in range(len(xs) - 1)]
            for name, ys in (("idle", idle_cpus), ("full", full_cpu))
        }
        for name, steps in marginal.items():
            label = "idle" if name == "idle" else f"first-cycle ({per_outlet} articles each)"
            section.add(
                f"growth: {label} CPU per added outlet, "
                + " → ".join(f"{int(a):,}–{int(b):,}" for a, b in itertools.pairwise(xs)),
                " → ".join(f"{step:.2f}" for step in steps),
                "ms",
                f"linear (each step within {GROWTH_TOLERANCE}× the one before)",
                all(b <= GROWTH_TOLERANCE * a for a, b in itertools.pairwise(steps)),
            )
        section.add(
            "growth: idle CPU slope",
            slopes["idle_cpu"]["ms_per_outlet"],
            "ms/outlet",
        )
        section.add("growth: idle wall slope", slopes["idle_wall"]["ms_per_outlet"], "ms/outlet")
        section.add(
            "growth: full-cycle CPU slope",
            slopes["full_cpu"]["ms_per_outlet"],
            f"ms/outlet ({per_outlet} articles each)",
        )
        section.add(
            "growth: full-cycle wall slope", slopes["full_wall"]["ms_per_outlet"], "ms/outlet"
        )
        section.details = {
            "sizes": list(sizes),
            "slopes": slopes,
            "cpu_ms_per_added_outlet": {
                name: [rounded(v, 3) for v in steps] for name, steps in marginal.items()
            },
            "points": [
                {
                    "outlets": p.outlets,
                    "full": p.full[0].as_dict() | {"requests": p.full[1]},
                    "idle": [r.as_dict() | {"requests": c} for r, c in p.idle],
                }
                for p in points
            ],
        }
        sections.append(section)
    if sections:
        sections[-1].tables.append((title, columns, rows))
    return sections


# ----- memory --------------------------------------------------------------------------------
def memory(quick: bool) -> Section:
    """Peak RSS of run-once over many outlets with a large article store."""
    section = Section("memory")
    outlets, stored = (300, 10_000) if quick else (1000, 100_000)
    with scratch("memory") as root:
        workspace = Workspace(root)
        started = time.monotonic()
        populate(workspace, stored)
        fill_seconds = time.monotonic() - started
        size_mb = workspace.database.stat().st_size / 1e6
        with SyntheticOutlets(outlets, 2) as server:
            workspace.write_config(server.outlets_config())
            full = workspace.run_once()
            full_counts = server.take_counts()
            mark_delivered(workspace.database_url)
            idle = workspace.run_once()
            idle_counts = server.take_counts()
    peak = max(full.max_rss_mb, idle.max_rss_mb)
    section.add(
        f"peak RSS of run-once, {outlets} outlets, {stored:,} stored articles",
        rounded(peak, 0),
        "MB",
        "≤ 300 MB",
        peak <= 300,
    )
    section.tables.append(
        (
            f"Memory: {outlets} outlets over a database of {stored:,} stored articles "
            f"({size_mb:.0f} MB SQLite file, filled in {fill_seconds:.0f} s)",
            ["run", "peak RSS MB", "CPU s", "wall s", "requests (robots, feeds, articles)"],
            [
                [
                    "first crawl of the outlets",
                    f"{full.max_rss_mb:.0f}",
                    f"{full.cpu:.1f}",
                    f"{full.wall:.1f}",
                    _requests(full_counts),
                ],
                [
                    "idle cycle",
                    f"{idle.max_rss_mb:.0f}",
                    f"{idle.cpu:.1f}",
                    f"{idle.wall:.1f}",
                    _requests(idle_counts),
                ],
            ],
        )
    )
    section.details = {
        "outlets": outlets,
        "stored_articles": stored,
        "database_mb": rounded(size_mb, 1),
        "full": full.as_dict() | {"requests": full_counts},
        "idle": idle.as_dict() | {"requests": idle_counts},
    }
    return section
