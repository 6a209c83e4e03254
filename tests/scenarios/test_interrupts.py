"""Ctrl-C (SIGINT) sent to the installed command: while it loads its modules, while `run-once`
waits for another run's lock, and mid-crawl, it ends with one line and exit 130, never a
traceback; `serve`, once running, still stops cleanly on it and exits 0."""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from newsradar.processes.exit_codes import EXIT_INTERRUPTED
from newsradar.processes.run_lock import run_lock
from tests.support import hostile
from tests.support.hostile import HostileSite
from tests.support.serve_process import eventually, serving
from tests.support.workspace import NEWSRADAR, Workspace

IRAQ = {"id": "iraq", "title": "Iraq", "query": "Iraq", "chats": [7]}
INTERRUPTED = f"newsradar: interrupted (exit {EXIT_INTERRUPTED})"


def _start(workspace: Workspace, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [str(NEWSRADAR), *args],
        env=workspace.env(),
        cwd=workspace.root,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _interrupt_when(process: subprocess.Popen[str], ready: Callable[[], bool]) -> str:
    """SIGINT once `ready()`; returns stderr after checking the exit code."""
    eventually(lambda: ready() or process.poll() is not None, 60, "the moment to interrupt")
    assert process.poll() is None, process.communicate()
    process.send_signal(signal.SIGINT)
    try:
        _, stderr = process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        raise
    assert process.returncode == EXIT_INTERRUPTED, stderr
    return stderr


def _loaded(process: subprocess.Popen[str], library: str) -> bool:
    """The process has loaded this extension module: it is importing newsradar's modules."""
    try:
        return library in Path(f"/proc/{process.pid}/maps").read_text()
    except OSError:
        return False


def _has_open(process: subprocess.Popen[str], path: Path) -> bool:
    try:
        fds = list(Path(f"/proc/{process.pid}/fd").iterdir())
        return any(fd.readlink() == path for fd in fds)
    except OSError:
        return False


@pytest.mark.parametrize("command", ["run-once", "serve", "check-config"])
def test_ctrl_c_while_a_command_starts_is_one_line_and_130(
    workspace: Workspace, command: str
) -> None:
    workspace.write_config([], [IRAQ])
    process = _start(workspace, command)

    # pydantic's compiled core is loaded while the command line's modules are imported.
    stderr = _interrupt_when(process, lambda: _loaded(process, "pydantic_core"))

    assert stderr.strip() == INTERRUPTED


def test_ctrl_c_while_run_once_waits_for_the_lock_is_one_line_and_130(
    workspace: Workspace,
) -> None:
    workspace.write_config([], [IRAQ])
    lock = workspace.root / "newsradar.db.run-once.lock"
    with run_lock(workspace.database_url, wait=0):
        process = _start(workspace, "run-once", "--wait", "60")
        stderr = _interrupt_when(process, lambda: _has_open(process, lock))

    assert stderr.strip() == INTERRUPTED
    assert workspace.run("run-once").returncode == 0  # nothing left held


def test_ctrl_c_mid_crawl_is_one_line_and_130_and_the_next_run_works(
    workspace: Workspace,
) -> None:
    with HostileSite("127.0.0.44") as site:
        site.routes["/robots.txt"] = hostile.page("User-agent: *\nAllow: /\n", "text/plain")
        site.routes["/"] = hostile.stall(60)
        outlet = {"id": "slow", "name": "Slow", "listing_pages": [site.url("/")], "every": "15m"}
        workspace.write_config([outlet], [IRAQ], crawl={"timeout": "60s"})
        process = _start(workspace, "run-once")

        stderr = _interrupt_when(process, lambda: site.requests()["/"] > 0)

        assert stderr.strip() == INTERRUPTED
        site.routes["/"] = hostile.page(hostile.listing_html([]))
        again = workspace.run("run-once")
    assert again.returncode == 0, again.stderr


def test_serve_once_running_still_stops_cleanly_on_ctrl_c(workspace: Workspace) -> None:
    workspace.write_config([], [IRAQ])
    with serving(workspace) as service:
        started = time.monotonic()
        service.process.send_signal(signal.SIGINT)
        assert service.process.wait(timeout=40) == 0, service.stderr()
    assert time.monotonic() - started < 40
    assert "Traceback" not in service.stderr() and INTERRUPTED not in service.stderr()
