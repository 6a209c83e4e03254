"""/healthz (JSON) and /metrics (Prometheus text) on a local port.

/healthz asks the database in a thread, at most one question at a time: when it has no answer
within DATABASE_ANSWER_SECONDS (another process holds a lock, say), the page says
`"database": "busy"` rather than wait, and the next request is told how that question ended.
It is 503 when the database failed to answer or the service is stopping.
"""

from __future__ import annotations

import asyncio
import errno
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import web
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from newsradar.database import Database
from newsradar.database.outbox_store import OutboxStore
from newsradar.operations.metrics import Metrics
from notifier.redaction import scrub

DATABASE_ANSWER_SECONDS = 1.0


@dataclass(frozen=True)
class ServiceFacts:
    """What the other loops report for /healthz."""

    stopping: bool
    outlets_scheduled: int
    crawls_running: int
    config_error: str | None
    last_crawl: dict[str, float] = field(default_factory=dict)  # outlet id -> unix time
    telegram: str = "ok"  # ok, unreachable, unauthorized (the bot token refused)


class HealthEndpoint:
    def __init__(self, db: Database, metrics: Metrics, facts: Callable[[], ServiceFacts]) -> None:
        self.db = db
        self.metrics = metrics
        self.facts = facts
        self.started = time.time()
        self._probe: asyncio.Task[int] | None = None
        self._last_pending: int | None = None
        self._runner: web.AppRunner | None = None

    async def start(self, host: str, port: int) -> None:
        """Serve /metrics and /healthz on host:port (loopback unless the operator says so)."""
        app = web.Application()
        app.router.add_get("/metrics", self._metrics_page)
        app.router.add_get("/healthz", self._health_page)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        try:
            await web.TCPSite(self._runner, host, port).start()
        except OSError as exc:
            await self._runner.cleanup()
            if exc.errno == errno.EADDRINUSE:  # said plainly: the CLI turns it into one line
                raise OSError(exc.errno, f"metrics port {host}:{port} is already in use") from exc
            raise

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _metrics_page(self, _request: web.Request) -> web.Response:
        return web.Response(
            body=self.metrics.exposition(), headers={"Content-Type": CONTENT_TYPE_LATEST}
        )

    async def _health_page(self, _request: web.Request) -> web.Response:
        report = await self.health()
        status = 200 if report.get("ok") else 503
        return web.Response(
            text=json.dumps(report, default=str), status=status, content_type="application/json"
        )

    async def health(self) -> dict[str, Any]:
        database, pending = await self._ask_database()
        facts = self.facts()
        return {
            "ok": database in ("ok", "busy") and not facts.stopping,
            "uptime_seconds": round(time.time() - self.started, 1),
            "database": database,
            "outlets_scheduled": facts.outlets_scheduled,
            "crawls_running": facts.crawls_running,
            "outbox_pending": pending,
            "config_error": scrub(facts.config_error) if facts.config_error else None,
            "telegram": facts.telegram,
            "last_crawl": {
                k: datetime.fromtimestamp(v, UTC).isoformat() for k, v in facts.last_crawl.items()
            },
        }

    async def _ask_database(self) -> tuple[str, int | None]:
        """("ok", messages pending), ("busy", the last count known) or (the error's name, None);
        a health check reports, it does not raise."""
        if self._probe is None:
            self._probe = asyncio.create_task(asyncio.to_thread(OutboxStore(self.db).count_pending))
            self._probe.add_done_callback(_retrieved)
        probe = self._probe
        await asyncio.wait({probe}, timeout=DATABASE_ANSWER_SECONDS)
        if not probe.done():
            return "busy", self._last_pending
        self._probe = None
        if probe.cancelled():
            return "CancelledError", None
        error = probe.exception()
        if error is not None:
            return type(error).__name__, None
        self._last_pending = probe.result()
        return "ok", self._last_pending


def _retrieved(task: asyncio.Task[Any]) -> None:
    """A probe whose requester stopped waiting may end in an error nobody asks about again."""
    if not task.cancelled():
        task.exception()
