"""The command line's habits (newsradar/processes/cli.py), run in-process: -v before or after the
command, --version, and the commands that only read refusing to invent a database."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

import pytest

from newsradar.database import Database, OutletHealth
from newsradar.processes.cli import main
from newsradar.processes.exit_codes import EXIT_CONFIG, EXIT_DATAERR, EXIT_NOINPUT
from tests.support.config_files import OUTLETS
from tests.support.logging_state import logging_restored
from tests.support.newer_schema import NEWER_REVISION, newer_database


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    with logging_restored():
        yield


@pytest.fixture
def config_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "config"
    directory.mkdir()
    (directory / "outlets.yaml").write_text(OUTLETS)
    (directory / "watchlists.yaml").write_text("watchlists: []\n")
    monkeypatch.setenv("NEWSRADAR_CONFIG_DIR", str(directory))
    monkeypatch.setenv("NEWSRADAR_DATABASE_URL", f"sqlite:///{tmp_path / 'newsradar.db'}")
    monkeypatch.delenv("NEWSRADAR_TELEGRAM_TOKEN", raising=False)
    return directory


@pytest.mark.parametrize(
    ("argv", "ours", "frameworks"),
    [
        (["check-config"], logging.WARNING, logging.WARNING),
        (["-v", "check-config"], logging.INFO, logging.WARNING),
        (["check-config", "-v"], logging.INFO, logging.WARNING),
        (["check-config", "--verbose"], logging.INFO, logging.WARNING),
        (["-v", "check-config", "-v"], logging.DEBUG, logging.INFO),
        (["-vv", "check-config"], logging.DEBUG, logging.INFO),
    ],
)
def test_v_counts_wherever_it_is_given(
    config_dir: Path, argv: list[str], ours: int, frameworks: int
) -> None:
    assert main(argv) == 0
    assert logging.getLogger("newsradar.serve").getEffectiveLevel() == ours
    assert logging.getLogger("scrapy.core.engine").getEffectiveLevel() == frameworks


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out == f"newsradar {version('newsradar')}\n"


@pytest.mark.parametrize("argv", [["status"], ["backtest", "--query", "Iraq"], ["-v", "status"]])
def test_readers_refuse_a_database_that_does_not_exist(
    config_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    assert main(argv) == EXIT_NOINPUT
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith(f"newsradar: no database at {tmp_path / 'newsradar.db'}")
    assert line.endswith(f"(exit {EXIT_NOINPUT})")
    assert not (tmp_path / "newsradar.db").exists()


@pytest.mark.parametrize("argv", [["status"], ["backtest", "--query", "Iraq"], ["run-once"]])
def test_a_database_of_a_newer_version_is_one_line_saying_to_upgrade(
    config_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    newer_database(tmp_path / "newsradar.db")

    assert main(argv) == EXIT_DATAERR

    (line,) = capsys.readouterr().err.splitlines()
    assert "made by a newer newsradar" in line and NEWER_REVISION in line
    assert "upgrade newsradar" in line and line.endswith(f"(exit {EXIT_DATAERR})")


def test_status_says_the_zone_of_its_times(
    config_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = Database(f"sqlite:///{tmp_path / 'newsradar.db'}")
    with db.session() as session, session.begin():
        when = datetime(2026, 12, 4, 22, 10, tzinfo=UTC)
        session.add(OutletHealth(outlet_id="rs", last_success_at=when, consecutive_failures=0))
    db.close()

    assert main(["status"]) == 0
    row = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("rs "))
    assert "2026-12-04 22:10 UTC" in row


def test_check_config_says_one_line_per_problem_never_a_traceback(
    config_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (config_dir / "watchlists.yaml").write_text(
        "watchlists:\n  - id: w\n    title: W\n    query: Iraq\n    chats: 5\n"
    )
    assert main(["check-config"]) == EXIT_CONFIG
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert f"{config_dir / 'watchlists.yaml'}:5: watchlist 'w' chats:" in err


def test_check_config_names_what_it_looked_for(
    config_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (config_dir / "watchlists.yaml").rename(config_dir / "lists.yaml")
    assert main(["check-config"]) == EXIT_CONFIG
    assert "no watchlists.yaml (or watchlists.yml) in" in capsys.readouterr().err
