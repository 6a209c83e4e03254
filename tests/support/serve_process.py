"""`newsradar serve` started as a service manager would, with its metrics port to ask, and waiting
for what it should do before a deadline."""

from __future__ import annotations

import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from newsradar.demo.server import SampleOutlets
from tests.support.workspace import NEWSRADAR, Workspace


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def eventually(check: Callable[[], object], timeout: float, what: str) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


class Service:
    def __init__(self, process: subprocess.Popen[str], port: int, log: Path) -> None:
        self.process, self.port, self.log = process, port, log

    def get(self, path: str) -> tuple[int, str]:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=5) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()

    def metric(self, name: str, **labels: str) -> float:
        wanted = ",".join(f'{k}="{v}"' for k, v in labels.items())
        series = f"{name}{{{wanted}}}" if labels else name
        for line in self.get("/metrics")[1].splitlines():
            if line.startswith(series + " "):
                return float(line.rsplit(" ", 1)[1])
        return 0.0

    def stderr(self) -> str:
        return self.log.read_text()


@contextmanager
def serving(workspace: Workspace, **env: str) -> Iterator[Service]:
    port = free_port()
    log = workspace.root / "serve.log"
    with log.open("w") as sink:
        process = subprocess.Popen(
            [str(NEWSRADAR), "serve", "--metrics-port", str(port)],
            env=workspace.env(**env),
            cwd=workspace.root,
            stdout=subprocess.DEVNULL,
            stderr=sink,
            text=True,
        )
    service = Service(process, port, log)
    try:
        eventually(lambda: _answers(service), 30, "the metrics port to answer")
        yield service
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def _answers(service: Service) -> bool:
    assert service.process.poll() is None, service.stderr()
    try:
        return service.get("/healthz")[0] == 200
    except OSError:
        return False


def stop(service: Service, within: float = 40) -> float:
    started = time.monotonic()
    service.process.send_signal(signal.SIGTERM)
    assert service.process.wait(timeout=within) == 0, service.stderr()
    return time.monotonic() - started


def outlets_every(outlets: SampleOutlets, every: str) -> list[dict[str, object]]:
    config = outlets.outlets_config()
    for outlet in config:
        outlet["every"] = every
    return config
