"""Running the real `newsradar run-once` command and measuring that process alone.

Each run is a child process started the way cron starts it; its CPU time and peak RSS come from
``os.wait4`` (that child's own rusage, not the sum over every child), wall time from the clock.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import yaml
from sqlalchemy import insert

from bench.outlets import WATCHLIST_QUERIES
from newsradar.database import Chat, Database, utcnow
from notifier.outbox_states import DigestMode

NEWSRADAR = Path(sys.executable).with_name("newsradar")
# Compiled bytecode for the measured processes, kept outside the source tree and the virtualenv.
# An installed newsradar runs from cached bytecode; without it every process would spend seconds
# of CPU compiling its imports (this environment may set PYTHONDONTWRITEBYTECODE).
PYCACHE = Path(tempfile.gettempdir()) / "newsradar-bench-pycache"
# Chats of the bench watchlists: daily digests whose digest was just sent, so every match is
# queued in the outbox (the end of the pipeline being measured) and nothing is delivered.
DIGEST_CHATS = (1001, 1002)


@dataclass(frozen=True)
class Run:
    wall: float  # seconds
    cpu: float  # user + system seconds of the run-once process
    max_rss_mb: float
    exit_code: int
    summary: str  # the command's last stderr line

    def as_dict(self) -> dict[str, object]:
        return {
            "wall_s": round(self.wall, 3),
            "cpu_s": round(self.cpu, 3),
            "max_rss_mb": round(self.max_rss_mb, 1),
            "exit_code": self.exit_code,
            "summary": self.summary,
        }


class Workspace:
    """A config directory and a SQLite database for one measured setup."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self.config_dir = root / "config"
        self.database = root / "newsradar.db"

    @property
    def database_url(self) -> str:
        return f"sqlite:///{self.database}"

    def write_config(
        self,
        outlets: list[dict[str, object]],
        watchlists: list[dict[str, object]] | None = None,
        crawl: dict[str, object] | None = None,
    ) -> None:
        self.config_dir.mkdir(exist_ok=True)
        # Politeness off for the localhost outlets: what is measured is newsradar's own cost.
        crawl = {"download_delay": 0, "timeout": "30s", **(crawl or {})}
        if watchlists is None:
            watchlists = bench_watchlists()
        (self.config_dir / "outlets.yaml").write_text(
            yaml.safe_dump({"crawl": crawl, "outlets": outlets}, sort_keys=False)
        )
        (self.config_dir / "watchlists.yaml").write_text(
            yaml.safe_dump({"watchlists": watchlists}, sort_keys=False)
        )

    def prepare_database(self) -> Database:
        """Migrate the schema and add the digest chats; the caller closes the Database."""
        db = Database(self.database_url)
        now = utcnow()
        with db.engine.begin() as connection:
            connection.execute(
                insert(Chat),
                [
                    {
                        "chat_id": chat,
                        "paused": False,
                        "gone": False,
                        "digest": DigestMode.DAILY,
                        "created_at": now,
                        "last_digest_at": now,
                    }
                    for chat in DIGEST_CHATS
                ],
            )
        return db

    def env(self, **extra: str) -> dict[str, str]:
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith("NEWSRADAR_") and k != "PYTHONDONTWRITEBYTECODE"
        }
        env.update(
            PYTHONPYCACHEPREFIX=str(PYCACHE),
            NEWSRADAR_CONFIG_DIR=str(self.config_dir),
            NEWSRADAR_DATABASE_URL=self.database_url,
            **extra,
        )
        return env

    def run_once(self, timeout: float = 3600, **env: str) -> Run:
        return measure([str(NEWSRADAR), "run-once"], self.env(**env), self.root, timeout)


def bench_watchlists() -> list[dict[str, object]]:
    return [
        {
            "id": f"bench-{n}",
            "title": f"Bench watchlist {n}",
            "query": query,
            "chats": list(DIGEST_CHATS),
        }
        for n, query in enumerate(WATCHLIST_QUERIES)
    ]


def measure(command: list[str], env: dict[str, str], cwd: Path, timeout: float) -> Run:
    """Run ``command`` to its end; wall, CPU and peak RSS of that process.

    CPU comes from ``wait4``. Its ``ru_maxrss`` cannot serve as the peak: Linux carries the
    high-water mark of the memory a child was forked from (this process's) across ``exec``. The
    peak is read instead from the process's own ``VmHWM`` while it runs.
    """
    started = time.monotonic()
    process = subprocess.Popen(
        command,
        env=env,
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    peak = _PeakWatcher(process.pid)
    peak.start()
    # stderr is small (a summary line, warnings); read it while waiting so the pipe never fills.
    stderr_lines: list[str] = []
    deadline = started + timeout
    for line in process.stderr:
        stderr_lines.append(line.rstrip())
        if time.monotonic() > deadline:
            process.kill()
    _pid, status, usage = os.wait4(process.pid, 0)
    wall = time.monotonic() - started
    peak.stop.set()
    peak.join()
    process.returncode = os.waitstatus_to_exitcode(status)
    summary = next((line for line in reversed(stderr_lines) if line.strip()), "")
    if process.returncode != 0:
        tail = "\n".join(stderr_lines[-20:])
        raise RuntimeError(f"{' '.join(command)} exited {process.returncode}:\n{tail}")
    return Run(
        wall=wall,
        cpu=usage.ru_utime + usage.ru_stime,
        max_rss_mb=peak.kib / 1024,
        exit_code=process.returncode,
        summary=summary,
    )


class _PeakWatcher(threading.Thread):
    """Follows a process's VmHWM (its own peak resident memory) until it exits."""

    def __init__(self, pid: int, interval: float = 0.02) -> None:
        super().__init__(daemon=True)
        self.path = Path(f"/proc/{pid}/status")
        self.interval = interval
        self.kib = 0
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                status = self.path.read_text()
            except OSError:
                return
            for line in status.splitlines():
                if line.startswith("VmHWM:"):
                    self.kib = max(self.kib, int(line.split()[1]))
                    break
            else:
                return  # a zombie: its memory is gone, the peak is known
            self.stop.wait(self.interval)
