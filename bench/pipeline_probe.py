"""The pipeline's throughput inside a running process, start-up excluded exactly.

    python -m bench.pipeline_probe WARM_UP_CONFIG_DIR CONFIG_DIR DATABASE_URL

Runs the cycle `run-once` runs (crawl → extract → store → match → outbox → delivery), twice in
one process on one event loop, as `serve` does: first over the warm-up outlets (other pages, so
that every lazily loaded part has been loaded), then over the measured outlets, timing only the
second. Prints one JSON line: the second cycle's articles, CPU seconds and wall seconds.
"""

from __future__ import annotations

import io
import json
import sys
import time
from pathlib import Path

from newsradar import loop
from newsradar.config import load_config
from newsradar.cycle import CycleReport, cycle
from newsradar.settings import Settings
from newsradar.storage import Database


def main(argv: list[str]) -> int:
    warm_up_dir, config_dir, database_url = argv
    warm_up, config = load_config(Path(warm_up_dir)), load_config(Path(config_dir))
    settings = Settings(config_dir=Path(config_dir), database_url=database_url)
    db = Database(database_url)
    printed = io.StringIO()  # alerts go to digest chats: nothing is due, nothing is printed

    async def both() -> tuple[CycleReport, float, float]:
        await cycle(warm_up, settings, db, out=printed, print_only=True)
        cpu, wall = time.process_time(), time.perf_counter()
        report = await cycle(config, settings, db, out=printed, print_only=True)
        return report, time.process_time() - cpu, time.perf_counter() - wall

    try:
        report, cpu, wall = loop.run(both)
    finally:
        db.close()
    articles = sum(run.articles for run in report.runs.values())
    print(json.dumps({"articles": articles, "cpu_s": cpu, "wall_s": wall}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
