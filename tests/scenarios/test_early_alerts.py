"""`run-once` delivers an outlet's alerts as soon as they are matched, as `serve` does: an outlet
that answers slowly does not hold back the alerts of the others until the crawl has ended. The
alerts still go out once each (one per chat), and the run's exit is as before."""

from __future__ import annotations

import subprocess
import threading
import time
from pathlib import Path

from newsradar.demo.server import SampleOutlets
from tests.support.hostile import HostileHandler, HostileSite, listing_html
from tests.support.sample_watchlists import IRAQ_ALERTS, WATCHLISTS
from tests.support.workspace import NEWSRADAR, Workspace

SLOW_SECONDS = 15.0


def late_listing(handler: HostileHandler) -> None:
    """A listing page that takes 15 s to answer (within the crawl's time-out)."""
    if handler.site.released.wait(SLOW_SECONDS):
        return
    handler.reply(200, listing_html([]).encode())


def test_alerts_go_out_while_a_slow_outlet_is_still_crawled(tmp_path: Path) -> None:
    workspace = Workspace(tmp_path)
    with SampleOutlets() as sample, HostileSite("127.0.0.70", {"/": late_listing}) as slow:
        config = sample.outlets_config()
        config.append({"id": "slow", "name": "Slow", "listing_pages": [slow.url("/")]})
        workspace.write_config(config, WATCHLISTS, crawl={"timeout": "30s"})
        lines: list[tuple[float, str]] = []
        errors = tmp_path / "stderr.txt"
        with errors.open("w") as stderr_file:
            process = subprocess.Popen(
                [str(NEWSRADAR), "run-once"],
                env=workspace.env(),
                cwd=workspace.root,
                stdout=subprocess.PIPE,
                stderr=stderr_file,
                text=True,
            )
        assert process.stdout is not None

        def read() -> None:
            assert process.stdout is not None
            for line in process.stdout:
                lines.append((time.monotonic(), line))

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        try:
            process.wait(timeout=120)
        finally:
            process.kill()
        ended = time.monotonic()
        reader.join(timeout=5)
    stderr = errors.read_text()
    assert process.returncode == 0, stderr
    stdout = "".join(line for _, line in lines)
    first_alert = next(at for at, line in lines if line.startswith("--- to chat"))
    # The sample outlets' alerts came while the slow outlet was still being waited for.
    assert ended - first_alert > SLOW_SECONDS / 2, stdout
    for title in IRAQ_ALERTS:
        assert title in stdout, title
    messages = stdout.split("--- to chat ")[1:]
    assert len(messages) == len(set(messages)), "an alert went to a chat twice"
    assert "FAILED" not in stderr, stderr
