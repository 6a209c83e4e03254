"""`newsradar demo`: the whole cycle against bundled sample outlets; nothing leaves the machine.

The sample outlets are served on loopback addresses, the configuration and the database are
temporary, and alerts are printed instead of sent.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import yaml

from newsradar.config import ConfigError, load_config
from newsradar.database import Database
from newsradar.demo.server import SampleOutlets
from newsradar.processes import event_loop
from newsradar.processes.run_once import cycle
from newsradar.settings import Settings

WATCHLISTS = Path(__file__).with_name("watchlists.yaml")


def write_demo_config(directory: Path, outlets: list[dict[str, object]]) -> None:
    crawl = {"backfill": "24h", "download_delay": 0, "per_host_concurrency": 4, "timeout": "10s"}
    (directory / "outlets.yaml").write_text(
        yaml.safe_dump({"crawl": crawl, "outlets": outlets}, sort_keys=False), encoding="utf-8"
    )
    (directory / "watchlists.yaml").write_text(WATCHLISTS.read_text(encoding="utf-8"))


def run_demo(verbose: bool = False) -> int:
    with tempfile.TemporaryDirectory(prefix="newsradar-demo-") as tmp, SampleOutlets() as sites:
        directory = Path(tmp)
        write_demo_config(directory, sites.outlets_config())
        try:
            config = load_config(directory)
        except ConfigError as exc:  # the bundled files are tested; this guards against edits
            print(f"newsradar demo: {exc}", file=sys.stderr)
            return 2
        settings = Settings(config_dir=directory, database_url=f"sqlite:///{directory / 'demo.db'}")
        names = ", ".join(
            f"{o.name} at {o.listing_pages[0] if o.listing_pages else o.feeds[0]}"
            for o in config.outlets
        )
        print(f"Sample outlets: {names}\nAlerts that would be sent:\n", file=sys.stderr)
        db = Database(settings.database_url)
        try:
            level = "INFO" if verbose else "WARNING"
            report = event_loop.run(
                lambda: cycle(config, settings, db, print_only=True, log_level=level)
            )
        finally:
            db.close()
    stored = sum(run.articles for run in report.runs.values())
    print(
        f"\n{stored} articles stored, {report.matching.alerts_queued} alerts, "
        f"{sum(r.duplicates for r in report.runs.values())} duplicates recognised",
        file=sys.stderr,
    )
    return 0
