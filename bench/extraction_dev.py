"""Score the extractor against plain trafilatura on the extraction-dev pages.

Usage: uv run python bench/extraction_dev.py [DATA_DIR]   (default ../shared/extraction-dev)
Scoring as the data's README describes: 4-token shingles, per-page precision and recall averaged
over pages, F1 from the averages.
"""

from __future__ import annotations

import gzip
import json
import re
import sys
import time
from collections import Counter
from pathlib import Path

import trafilatura

from crawler.extract import extract_article


def shingles(text: str) -> Counter[tuple[str, ...]]:
    tokens = re.findall(r"\w+", text)
    return Counter(tuple(tokens[i : i + 4]) for i in range(max(len(tokens) - 3, 0)))


def precision_recall(predicted: str, truth: str) -> tuple[float, float]:
    pred, true = shingles(predicted), shingles(truth)
    overlap = sum((pred & true).values())
    precision = overlap / sum(pred.values()) if pred else (1.0 if not true else 0.0)
    recall = overlap / sum(true.values()) if true else 1.0
    return precision, recall


def main() -> None:
    data = Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/extraction-dev")
    truth = json.loads((data / "ground-truth.json").read_text())
    scores: dict[str, list[tuple[float, float]]] = {"trafilatura": [], "extract_article": []}
    timing = {"trafilatura": 0.0, "extract_article": 0.0}
    for page_id, expected in truth.items():
        html = gzip.decompress((data / "html" / f"{page_id}.html.gz").read_bytes())
        start = time.perf_counter()
        plain = trafilatura.extract(html, url=expected["url"]) or ""
        timing["trafilatura"] += time.perf_counter() - start
        start = time.perf_counter()
        ours = extract_article(html, expected["url"])
        timing["extract_article"] += time.perf_counter() - start
        body = expected["articleBody"]
        scores["trafilatura"].append(precision_recall(plain, body))
        scores["extract_article"].append(precision_recall(ours.text if ours else "", body))
    for name, values in scores.items():
        p = sum(v[0] for v in values) / len(values)
        r = sum(v[1] for v in values) / len(values)
        f1 = 2 * p * r / (p + r)
        print(f"{name:16} P {p:.3f}  R {r:.3f}  F1 {f1:.3f}  time {timing[name]:.2f}s")


if __name__ == "__main__":
    main()
