"""Figures that are pure CPU in this process: extraction speed and matching cost.

Both pin the process to one core while they time (CPU time, engines interleaved round by round so
the shared machine's noise hits every engine alike) and report medians and same-run ratios.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator

from bench import bench_matcher
from bench.extraction_dev import (
    DEFAULT_DATA,
    ENGINES,
    load_pages,
    lxml_parse,
    precision_recall,
    summary,
)
from bench.report import Section, median, rounded


@contextlib.contextmanager
def one_core() -> Iterator[None]:
    """Pin this process to one CPU for the duration, then give the others back."""
    if not hasattr(os, "sched_setaffinity"):
        yield
        return
    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {min(before)})
    try:
        yield
    finally:
        os.sched_setaffinity(0, before)


def extraction(quick: bool) -> Section:
    section = Section("extraction")
    pages = load_pages(DEFAULT_DATA)
    rounds = 2 if quick else 5
    engines = {
        "newsradar": ENGINES["newsradar"],
        "trafilatura": ENGINES["trafilatura"],
        "lxml parse alone": lxml_parse,
    }
    quality = {}
    for name in ("newsradar", "trafilatura"):
        scores = {pid: precision_recall(engines[name](h, u), body) for pid, u, h, body in pages}
        quality[name] = summary(scores)
    timings: dict[str, list[float]] = {name: [] for name in engines}
    order = list(engines.items())
    with one_core():
        for _ in range(rounds):
            # Engine by engine on each page, in turns: this machine's speed drifts over seconds,
            # and a drift then weighs on every engine alike instead of on whichever ran then.
            spent = dict.fromkeys(engines, 0.0)
            for number, (_pid, url, html, _body) in enumerate(pages):
                for name, engine in order if number % 2 == 0 else reversed(order):
                    started = time.process_time()
                    engine(html, url)
                    spent[name] += time.process_time() - started
            for name, seconds in spent.items():
                timings[name].append(len(pages) / seconds)
    speed = {name: median(values) for name, values in timings.items()}
    plain = timings["trafilatura"]
    ratios = [ours / base for ours, base in zip(timings["newsradar"], plain, strict=True)]
    ratio = _ratio(timings["newsradar"], plain)
    section.add(
        "extraction speed vs plain trafilatura", rounded(ratio, 2), "×", "≥ 1.0×", ratio >= 1.0
    )
    section.add("newsradar extractor", rounded(speed["newsradar"], 1), "docs/s")
    section.add("plain trafilatura.extract", rounded(speed["trafilatura"], 1), "docs/s")
    section.add("lxml parse floor", rounded(speed["lxml parse alone"], 1), "docs/s")
    rows = []
    for name in engines:
        f1 = p = r = "–"
        if name in quality:
            p, r, f1 = (f"{v:.3f}" for v in quality[name])
        rows.append([name, f1, p, r, f"{speed[name]:.1f}", f"{_ratio(timings[name], plain):.2f}×"])
    section.tables.append(
        (
            f"Extraction on {len(pages)} extraction-dev pages, one core, median of {rounds} "
            "rounds, engines taking turns on each page (CPU time)",
            ["engine", "F1", "precision", "recall", "docs/s", "vs plain"],
            rows,
        )
    )
    section.details = {
        "pages": len(pages),
        "rounds": rounds,
        "docs_per_s": {k: rounded(v, 2) for k, v in speed.items()},
        "ratio_per_round": [rounded(v, 3) for v in ratios],
        "quality": {
            k: dict(zip(("precision", "recall", "f1"), v, strict=False)) for k, v in quality.items()
        },
    }
    return section


def _ratio(rates: list[float], base: list[float]) -> float:
    """The median of each round's ratio: rounds, not engines' medians, are what ran together."""
    return median([rate / other for rate, other in zip(rates, base, strict=True)])


def matching(quick: bool) -> Section:
    """bench_matcher's measurement: 10 vs 2,000 ten-term watchlists over the seed articles, a
    fifth of them with NEAR."""
    section = Section("matching")
    sizes = (10, 2000)
    shares = (0.05,) if quick else (0.01, 0.05, 0.1)
    repeats = 5 if quick else 25
    articles = bench_matcher.load_articles(bench_matcher.SEEDS)
    rows = []
    worst = 0.0
    per_share = {}
    with one_core():
        for share in shares:
            result = bench_matcher.compare(articles, share, sizes, repeats)
            for size in sizes:
                worst = max(worst, result.ratio[size])
                rows.append(
                    [
                        share,
                        size,
                        f"{result.ms_per_article[size]:.3f}",
                        f"{result.matches_per_article[size]:.1f}",
                        f"{result.ratio[size]:.2f}×",
                    ]
                )
            per_share[str(share)] = {
                str(size): rounded(result.ms_per_article[size], 4) for size in sizes
            }
    section.add(
        "matching: 2,000 vs 10 watchlists, a fifth with NEAR (worst share)",
        rounded(worst, 2),
        "×",
        "≤ 2×",
        worst <= 2.0,
    )
    section.tables.append(
        (
            f"Matching CPU per article ({len(articles)} seed articles; one watchlist in "
            f"{bench_matcher.NEAR_EVERY} uses NEAR; median of {repeats} adjacent rounds; the "
            "ratio is the median of the rounds' ratios)",
            ["term share", "watchlists", "ms/article", "matches/article", "vs 10"],
            rows,
        )
    )
    section.details = {"ms_per_article": per_share, "repeats": repeats}
    return section
