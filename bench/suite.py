"""newsradar's benchmark suite: one command, every figure, a table in bench/results/.

    bench/run [--quick] [--only SECTION,...]   (extraction, pipeline, idle, budget, growth,
                                                matching, memory, delivery, latency)

It starts its own localhost outlet servers and Bot API server, runs the real `newsradar run-once`
and `newsradar serve` commands against them, and writes ``latest.md`` and ``latest.json`` plus a
dated copy of each into bench/results/. The machine is shared and noisy: figures are medians over
repeated runs, and every comparison is a ratio measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import sys
import time
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from bench import budget_figures, cpu_figures, crawl_figures, telegram_figures
from bench.report import Section

RESULTS = Path(__file__).resolve().parent / "results"
SECTIONS = (
    "extraction",
    "pipeline",
    "idle",
    "budget",
    "growth",
    "matching",
    "memory",
    "delivery",
    "latency",
)
PACKAGES = (
    "newsradar",
    "scrapy",
    "twisted",
    "trafilatura",
    "lxml",
    "sqlalchemy",
    "python-telegram-bot",
    "pyahocorasick",
    "aiohttp",
    "apscheduler",
)


def machine() -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    packages = {}
    for name in PACKAGES:
        try:
            packages[name] = version(name)
        except PackageNotFoundError:
            packages[name] = "–"
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "ram_gb": round(ram_gb, 1),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "packages": packages,
        "load_average_at_start": [round(v, 2) for v in os.getloadavg()],
    }


def run(selected: list[str], quick: bool) -> list[Section]:
    sections: list[Section] = []

    def timed(name: str, work: Callable[[], list[Section] | Section]) -> None:
        started = time.monotonic()
        print(f"bench: {name} ...", file=sys.stderr, flush=True)
        try:
            made = work()
        except Exception:  # one broken figure must not lose the others
            failed = Section(name)
            failed.add(f"{name}: FAILED", "error", ok=False)
            failed.notes.append(traceback.format_exc())
            made = failed
            print(traceback.format_exc(), file=sys.stderr)
        elapsed = time.monotonic() - started
        for section in made if isinstance(made, list) else [made]:
            section.seconds = elapsed
            sections.append(section)
            for figure in section.figures:
                print(f"  {figure.name}: {figure.value} {figure.unit}", file=sys.stderr)

    if "extraction" in selected:
        timed("extraction", lambda: cpu_figures.extraction(quick))
    if "matching" in selected:
        timed("matching", lambda: cpu_figures.matching(quick))
    baseline: dict[str, crawl_figures.Baseline] = {}
    if {"pipeline", "idle", "growth"} & set(selected):
        timed("start-up", lambda: _startup(baseline, 2 if quick else 3))
    if "pipeline" in selected:
        timed("pipeline", lambda: crawl_figures.pipeline(quick, baseline["runs"]))
    if "idle" in selected or "growth" in selected:
        idle_size = 300 if quick else 1000
        if "growth" in selected:
            sizes = [100, 300] if quick else [100, 1000, 5000]
        else:
            sizes = [idle_size]
        timed(
            "idle/growth",
            lambda: crawl_figures.scale(
                sizes,
                quick,
                baseline["runs"],
                idle_size if "idle" in selected else None,
                "growth" in selected,
            ),
        )
    if "budget" in selected:
        timed("budget", lambda: budget_figures.budget(quick))
    if "memory" in selected:
        timed("memory", lambda: crawl_figures.memory(quick))
    if "delivery" in selected:
        timed("delivery", lambda: telegram_figures.delivery(quick))
    if "latency" in selected:
        timed("latency", lambda: telegram_figures.latency(quick))
    order = {name: n for n, name in enumerate(SECTIONS)}
    return sorted(sections, key=lambda s: order.get(s.name, len(order)))


def _startup(store: dict[str, crawl_figures.Baseline], repeats: int) -> list[Section]:
    store["runs"] = crawl_figures.startup(repeats)
    return []


def markdown(result: dict[str, Any], sections: list[Section]) -> str:
    m = result["machine"]
    packages = ", ".join(f"{k} {v}" for k, v in m["packages"].items())
    lines = [
        f"# newsradar benchmarks{' (quick run)' if result['quick'] else ''}",
        "",
        f"- date: {result['date']}",
        f"- command: `{result['command']}`",
        f"- machine: {m['cpu']}, {m['cores']} cores, {m['ram_gb']} GB RAM, {m['os']}; shared "
        f"with other work (load average {', '.join(map(str, m['load_average_at_start']))} at "
        "start)",
        f"- Python {m['python']}; {packages}",
        f"- total time: {result['seconds'] / 60:.1f} min",
        "",
        "| figure | value | target | |",
        "|---|---|---|---|",
    ]
    for section in sections:
        for f in section.figures:
            mark = {True: "✅", False: "❌", None: ""}[f.ok]
            unit = f" {f.unit}" if f.unit else ""
            lines.append(f"| {f.name} | {f.value}{unit} | {f.target} | {mark} |")
    for section in sections:
        for title, columns, rows in section.tables:
            lines += [
                "",
                f"### {title}",
                "",
                "| " + " | ".join(columns) + " |",
                "|" + "---|" * len(columns),
            ]
            lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
        for note in section.notes:
            lines += ["", "```", note.rstrip(), "```"]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--only", help=f"comma-separated subset of: {','.join(SECTIONS)} (default: all)"
    )
    parser.add_argument(
        "--quick", action="store_true", help="small sizes, few repeats: a smoke run"
    )
    parser.add_argument("--out", type=Path, default=RESULTS, help="results folder")
    args = parser.parse_args(argv)
    selected = list(SECTIONS)
    if args.only:
        selected = [s.strip() for s in args.only.split(",") if s.strip()]
        unknown = set(selected) - set(SECTIONS)
        if unknown:
            parser.error(f"unknown section(s): {', '.join(sorted(unknown))}")
    started = time.monotonic()
    date = datetime.now(UTC)
    info = machine()
    sections = run(selected, args.quick)
    result = {
        "date": f"{date:%Y-%m-%d %H:%M} UTC",
        "command": "bench/run " + shlex.join(sys.argv[1:] if argv is None else argv),
        "quick": args.quick,
        "sections": selected,
        "machine": info,
        "seconds": round(time.monotonic() - started, 1),
        "figures": {s.name: s.as_dict() for s in sections},
    }
    result["command"] = result["command"].strip()
    args.out.mkdir(parents=True, exist_ok=True)
    text = markdown(result, sections)
    stem = f"{date:%Y-%m-%d-%H%M}{'-quick' if args.quick else ''}"
    for name in ("latest", stem):
        (args.out / f"{name}.md").write_text(text, encoding="utf-8")
        (args.out / f"{name}.json").write_text(
            json.dumps(result, indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
        )
    print(text)
    print(f"bench: wrote {args.out / 'latest.md'} and {args.out / (stem + '.md')}", file=sys.stderr)
    return 0 if all(f.ok is not False for s in sections for f in s.figures) else 1


if __name__ == "__main__":
    sys.exit(main())
