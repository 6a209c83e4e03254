"""`newsradar demo`: the whole cycle against bundled sample outlets; nothing leaves the machine.

The sample outlets are served on loopback addresses and alerts are printed instead of sent. The
configuration and the database are temporary, or, with `--keep DIR`, laid out in DIR as an
operator's workspace (`config/`, `newsradar.db`), so that `status` and `backtest` run there as
they would anywhere.
"""

from __future__ import annotations

import shlex
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import yaml

from newsradar.config import ConfigError, load_config
from newsradar.database import Database
from newsradar.demo.server import SampleOutlets
from newsradar.operations.log_setup import framework_level_name
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


DATABASE_FILE = "newsradar.db"


class DemoDirectoryTaken(Exception):
    """`--keep DIR` names a directory that already holds a config or a database."""


def run_demo(verbose: int = 0, keep: Path | None = None) -> int:
    try:
        with _workspace(keep) as workspace, SampleOutlets() as sites:
            status = _run(workspace, sites, verbose)
    except DemoDirectoryTaken as exc:
        print(f"newsradar demo: {exc}", file=sys.stderr)
        return 2
    if keep is not None and status == 0:
        where = shlex.quote(str(keep))
        print(
            f"\nKept in {keep}: config/ and {DATABASE_FILE}. Try there:\n"
            f"  cd {where} && newsradar status\n"
            f"  cd {where} && newsradar backtest --query 'Iraq militia*' --since 90d",
            file=sys.stderr,
        )
    return status


@contextmanager
def _workspace(keep: Path | None) -> Iterator[Path]:
    """A temporary directory, or `keep` (created if need be) when it holds no demo yet."""
    if keep is None:
        with tempfile.TemporaryDirectory(prefix="newsradar-demo-") as tmp:
            yield Path(tmp)
        return
    taken = [name for name in ("config", DATABASE_FILE) if (keep / name).exists()]
    if taken:
        raise DemoDirectoryTaken(
            f"{keep} already has {' and '.join(taken)}; give an empty or new directory"
        )
    try:
        keep.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DemoDirectoryTaken(f"cannot create {keep}: {exc.strerror or exc}") from None
    yield keep


def _run(workspace: Path, sites: SampleOutlets, verbose: int) -> int:
    directory = workspace / "config"
    directory.mkdir()
    write_demo_config(directory, sites.outlets_config())
    try:
        config = load_config(directory)
    except ConfigError as exc:  # the bundled files are tested; this guards against edits
        print(f"newsradar demo: {exc}", file=sys.stderr)
        return 2
    settings = Settings(config_dir=directory, database_url=f"sqlite:///{workspace / DATABASE_FILE}")
    names = ", ".join(
        f"{o.name} at {o.listing_pages[0] if o.listing_pages else o.feeds[0]}"
        for o in config.outlets
    )
    print(f"Sample outlets: {names}\nAlerts that would be sent:\n", file=sys.stderr)
    db = Database(settings.database_url)
    try:
        level = framework_level_name(verbose)
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
