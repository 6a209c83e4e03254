"""The run-once lock on both backends: exclusive, and free again the moment its holder is killed."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from newsradar.processes.run_lock import RunLockBusy, run_lock

HOLDER = """
import sys, time
from newsradar.processes.run_lock import run_lock
with run_lock(sys.argv[1], wait=0):
    print("held", flush=True)
    time.sleep(120)
"""


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'newsradar.db'}"
    return request.getfixturevalue("pg_url")


def test_one_holder_at_a_time(database_url: str) -> None:
    with run_lock(database_url, wait=0):
        started = time.monotonic()
        with pytest.raises(RunLockBusy) as busy, run_lock(database_url, wait=0.5):
            pass
        assert time.monotonic() - started >= 0.5  # it waited before giving up
        assert busy.value.waited == 0.5
    with run_lock(database_url, wait=0):  # released on exit
        pass


def test_a_killed_holder_leaves_the_lock_free(database_url: str) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, database_url], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        with pytest.raises(RunLockBusy), run_lock(database_url, wait=0):
            pass
    finally:
        holder.kill()
        holder.wait(timeout=30)
    # The kernel (flock) or the server (the session ended) let go of it.
    with run_lock(database_url, wait=10):
        pass
