"""How much each -v shows (newsradar/operations/log_setup.py): newsradar's own lines with -v,
the frameworks' with -vv, the Telegram client's request lines (which carry the token) never."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from newsradar.operations.log_setup import framework_level_name, setup_logging
from tests.support.logging_state import logging_restored

LINES = {
    "newsradar.serve": "ours: serving",
    "crawler.store_pipeline": "ours: stored",
    "notifier.delivery": "ours: sent",
    "scrapy.statscollectors": "framework: Dumping Scrapy stats",
    "apscheduler.scheduler": "framework: Added job",
    "alembic.runtime.migration": "framework: Context impl SQLiteImpl",
    "httpx": "token: POST https://api.telegram.org/bot.../sendMessage",
}


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    with logging_restored():
        yield


def shown(verbosity: int, capsys: pytest.CaptureFixture[str], level: int) -> set[str]:
    setup_logging(verbosity, None)
    for name, message in LINES.items():
        logging.getLogger(name).log(level, message)
    err = capsys.readouterr().err
    return {message.split(":")[0] for message in LINES.values() if message in err}


def test_without_v_only_warnings(capsys: pytest.CaptureFixture[str]) -> None:
    assert shown(0, capsys, logging.INFO) == set()
    assert shown(0, capsys, logging.WARNING) == {"ours", "framework", "token"}


def test_v_shows_newsradars_own_lines_only(capsys: pytest.CaptureFixture[str]) -> None:
    assert shown(1, capsys, logging.INFO) == {"ours"}
    assert shown(1, capsys, logging.DEBUG) == set()


def test_vv_adds_the_frameworks_lines(capsys: pytest.CaptureFixture[str]) -> None:
    assert shown(2, capsys, logging.INFO) == {"ours", "framework"}
    assert shown(2, capsys, logging.DEBUG) == {"ours"}
    assert shown(3, capsys, logging.DEBUG) == {"ours", "framework"}


def test_scrapy_is_told_the_same_level() -> None:
    assert [framework_level_name(n) for n in range(4)] == ["WARNING", "WARNING", "INFO", "DEBUG"]
