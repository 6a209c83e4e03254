"""When the machine fails newsradar (metrics port taken, the database's disk read-only or full,
Redis away when a worker starts), a command says so in one line and ends with its documented
exit code (README "Commands"), or, for a worker, waits as documented: never a traceback.

Read-only and full disks are real ones: a read-only bind mount and a full tmpfs, each in a
mount namespace of the command's own (`unshare --mount`), so nothing outside it sees them.
"""

from __future__ import annotations

import shutil
import signal
import socket
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from newsradar.database import Database
from newsradar.processes.exit_codes import EXIT_IO, EXIT_TEMPFAIL, EXIT_UNAVAILABLE
from tests.support.workspace import NEWSRADAR, Workspace


def configure(workspace: Workspace, database_dir: Path | None = None) -> None:
    workspace.write_config(
        [{"id": "gone", "name": "Gone", "listing_pages": ["http://127.0.0.9:9/"]}],
        [{"id": "iraq", "title": "Iraq", "query": "Iraq", "chats": [1]}],
        crawl={"timeout": "2s"},
    )
    if database_dir is not None:
        workspace.database_override = f"sqlite:///{database_dir / 'newsradar.db'}"


def assert_one_line(stderr: str, *expected: str) -> None:
    assert "Traceback" not in stderr, stderr
    last = stderr.strip().splitlines()[-1]
    assert last.startswith("newsradar: "), stderr
    for text in expected:
        assert text in last, stderr


def test_metrics_port_in_use(workspace: Workspace) -> None:
    configure(workspace)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = workspace.run("serve", "--metrics-port", str(port), timeout=60)
    assert result.returncode == EXIT_UNAVAILABLE, result.stderr
    assert_one_line(result.stderr, f"metrics port 127.0.0.1:{port} is already in use")


def in_own_mounts(
    workspace: Workspace, setup: str, *command: str
) -> subprocess.CompletedProcess[str]:
    """Run `newsradar COMMAND` after the shell lines `setup`, in a mount namespace of its own."""
    if shutil.which("unshare") is None:
        pytest.skip("needs unshare(1) to give the command a mount namespace of its own")
    script = f"set -e\n{setup}\nexec {NEWSRADAR} {' '.join(command)}"
    result = subprocess.run(
        ["unshare", "--mount", "sh", "-c", script],
        env=workspace.env(),
        cwd=workspace.root,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if "mount:" in result.stderr or "unshare:" in result.stderr:
        pytest.skip(f"cannot mount here: {result.stderr.strip()[:200]}")
    return result


def create_database(workspace: Workspace) -> None:
    """The database as a first run leaves it: created and migrated."""
    Database(workspace.database_url).close()


def test_database_on_a_read_only_disk(workspace: Workspace) -> None:
    """Writing needs write access; reading does not."""
    data = workspace.root / "data"
    data.mkdir()
    configure(workspace, data)
    create_database(workspace)
    read_only = f"mount --bind {data} {data}\nmount -o remount,bind,ro {data}"
    result = in_own_mounts(workspace, read_only, "run-once")
    assert result.returncode == EXIT_IO, result.stderr
    assert_one_line(result.stderr, "read-only")
    status = in_own_mounts(workspace, read_only, "status")
    assert status.returncode == 0, status.stderr
    assert status.stdout.startswith("outlet") and "gone" in status.stdout
    backtest = in_own_mounts(workspace, read_only, "backtest", "--query", "Iraq")
    assert backtest.returncode == 0, backtest.stderr
    assert "0 matching articles" in backtest.stderr


@pytest.mark.parametrize("room_kb", [0, 40])
def test_database_on_a_full_disk(workspace: Workspace, room_kb: int) -> None:
    """Full before the run (not even the run's lock file fits) and full during it (the
    database cannot grow)."""
    data = workspace.root / "data"
    data.mkdir()
    configure(workspace, data)
    create_database(workspace)
    saved = workspace.root / "saved.db"
    shutil.copy(data / "newsradar.db", saved)
    fill = (
        f"mount -t tmpfs -o size=1m tmpfs {data}\ncp {saved} {data}/newsradar.db\n"
        f"dd if=/dev/zero of={data}/filler bs=4k 2>/dev/null || true\nrm {data}/filler\n"
        f"free=$(df -k {data} | tail -1 | awk '{{print $4}}')\n"
        f"dd if=/dev/zero of={data}/filler bs=4k count=$(( (free - {room_kb}) / 4 )) 2>/dev/null"
    )
    result = in_own_mounts(workspace, fill, "run-once")
    assert result.returncode == EXIT_IO, result.stderr
    assert_one_line(result.stderr, "full")


def test_database_locked_past_its_time_out(workspace: Workspace) -> None:
    """Another process holds the write lock for longer than SQLite's 30 s wait (about 40 s)."""
    configure(workspace)
    create_database(workspace)
    holder = sqlite3.connect(workspace.root / "newsradar.db", isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")
        result = workspace.run("run-once", timeout=150)
    finally:
        holder.close()
    assert result.returncode == EXIT_TEMPFAIL, result.stderr
    assert_one_line(result.stderr, "locked", "try again later")


def test_worker_waits_for_redis_at_start(workspace: Workspace, tmp_path: Path) -> None:
    """Unreachable at start: one line, then it waits; once Redis answers it says so; SIGTERM
    ends it with 0."""
    configure(workspace)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    log = tmp_path / "worker.log"
    with log.open("w") as out:
        worker = subprocess.Popen(
            [str(NEWSRADAR), "worker"],
            env=workspace.env(NEWSRADAR_REDIS_URL=f"redis://127.0.0.1:{port}/0"),
            cwd=workspace.root,
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
        )
    redis_server: subprocess.Popen[bytes] | None = None
    try:
        wait_for(lambda: "frontier unreachable" in log.read_text(), worker, 60)
        time.sleep(1.0)  # several retries go by without another line
        assert worker.poll() is None, log.read_text()
        if shutil.which("redis-server") is not None:
            redis_server = subprocess.Popen(
                ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", ""],
                cwd=tmp_path,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            wait_for(lambda: "frontier reachable again" in log.read_text(), worker, 30)
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=60) == 0, log.read_text()
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
        if redis_server is not None:
            redis_server.terminate()
            redis_server.wait(timeout=10)
    text = log.read_text()
    assert "Traceback" not in text, text
    assert text.count("frontier unreachable") == 1, text


def wait_for(check: object, process: subprocess.Popen[str], seconds: float) -> None:
    assert callable(check)
    deadline = time.monotonic() + seconds
    while not check():
        assert process.poll() is None, f"exited with {process.returncode}"
        assert time.monotonic() < deadline, "waited too long"
        time.sleep(0.1)
