"""Hot reload of `config/`: a saved edit takes effect, a broken one is refused and reported.

The directory is looked at every `interval` seconds (see `newsradar.processes.config_reload`);
reading and parsing the files, and queueing the operators' notice, happen in a thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import logging
from collections.abc import Callable, Collection

from newsradar.config import Config, ConfigError
from newsradar.database import Database
from newsradar.operations.metrics import Metrics
from newsradar.operations.operator_notices import queue_notice
from newsradar.processes.config_reload import ConfigWatcher

log = logging.getLogger("newsradar.serve")


class ReloadLoop:
    """`on_change` gets each valid edit; `on_notice` is told an operator notice was queued.
    `config_error` describes the broken edit being refused (None once the files are valid)."""

    def __init__(
        self,
        watcher: ConfigWatcher,
        db: Database,
        operator_chats: Collection[int],
        metrics: Metrics,
        *,
        interval: float,
        stopping: asyncio.Event,
        on_change: Callable[[Config], None],
        on_notice: Callable[[], None],
    ) -> None:
        self.watcher = watcher
        self.db = db
        self.operator_chats = operator_chats
        self.metrics = metrics
        self.interval = interval
        self.stopping = stopping
        self.on_change = on_change
        self.on_notice = on_notice
        self.config_error: str | None = None

    async def run(self) -> None:
        while not self.stopping.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stopping.wait(), timeout=self.interval)
            if self.stopping.is_set():
                return
            await self.reload()

    async def reload(self) -> None:
        try:
            config = await asyncio.to_thread(self.watcher.poll)
        except ConfigError as exc:
            await self._refuse(exc)
            return
        if config is None:
            return
        self.config_error = None
        self.on_change(config)
        self.metrics.config_reloads.labels("ok").inc()
        log.warning(
            "configuration reloaded: %d outlets, %d watchlists",
            len(config.enabled_outlets),
            len(config.watchlists),
        )

    async def _refuse(self, exc: ConfigError) -> None:
        self.metrics.config_reloads.labels("refused").inc()
        problems = [str(p) for p in exc.problems]
        self.config_error = "; ".join(problems)
        log.error(
            "configuration edit refused, the previous configuration stays in force:\n  %s",
            "\n  ".join(problems),
        )
        notice = (
            "<b>Configuration edit refused</b>; the previous configuration stays in force.\n"
            + "\n".join(f"• {html.escape(p)}" for p in problems)
        )
        try:
            await asyncio.to_thread(queue_notice, self.db, self.operator_chats, notice)
        except Exception:  # the refusal stands and is logged; the notice is not worth a crash
            log.exception("could not queue the operators' notice of the refused edit")
            return
        self.on_notice()
