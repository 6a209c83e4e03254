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
from newsradar.config_problems import cut
from newsradar.database import Database
from newsradar.operations.metrics import Metrics
from newsradar.operations.operator_notices import queue_notice
from newsradar.processes.config_reload import ConfigWatcher

log = logging.getLogger("newsradar.serve")
# A refused edit is told in one log record and one Telegram notice (under Telegram's 4,096
# characters), however many problems the edit has and however long they are.
MAX_LOGGED_PROBLEMS = 20
MAX_NOTICE_CHARS = 3500


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
        """Load a changed edit and put it in force; anything it raises refuses it and the last
        good config stays, so the task lives on to load the next edit."""
        previous = self.watcher.current
        try:
            config = await asyncio.to_thread(self.watcher.poll)
            if config is None:
                return
            self.on_change(config)
        except ConfigError as exc:
            await self._refuse([str(p) for p in exc.problems])
            return
        except Exception as exc:
            log.debug("putting the edited configuration in force failed", exc_info=True)
            self._roll_back(previous)
            await self._refuse([cut(f"the edit could not be put in force: {exc!r}")])
            return
        self.config_error = None
        self.metrics.config_reloads.labels("ok").inc()
        log.info(
            "configuration reloaded: %d outlets, %d watchlists",
            len(config.enabled_outlets),
            len(config.watchlists),
        )

    def _roll_back(self, previous: Config) -> None:
        self.watcher.current = previous
        try:
            self.on_change(previous)
        except Exception:
            log.exception("could not bring the schedules back to the last good configuration")

    async def _refuse(self, problems: list[str]) -> None:
        self.metrics.config_reloads.labels("refused").inc()
        self.config_error = cut("; ".join(problems), MAX_NOTICE_CHARS)
        shown, more = _first(problems, MAX_LOGGED_PROBLEMS)
        log.error(
            "configuration edit refused, the previous configuration stays in force:\n  %s",
            "\n  ".join(shown + more),
        )
        try:
            await asyncio.to_thread(queue_notice, self.db, self.operator_chats, _notice(problems))
        except Exception:  # the refusal stands and is logged; the notice is not worth a crash
            log.exception("could not queue the operators' notice of the refused edit")
            return
        self.on_notice()


def _first(problems: list[str], count: int) -> tuple[list[str], list[str]]:
    """The first `count` problems, and a line saying how many more there are (if any)."""
    rest = len(problems) - count
    return problems[:count], [f"... and {rest} more"] if rest > 0 else []


def _notice(problems: list[str]) -> str:
    """The operators' notice: as many problems as fit in one Telegram message."""
    lines = ["<b>Configuration edit refused</b>; the previous configuration stays in force."]
    size = len(lines[0])
    for position, problem in enumerate(problems):
        line = f"• {html.escape(cut(problem, 600))}"
        if size + len(line) > MAX_NOTICE_CHARS:
            lines.append(f"... and {len(problems) - position} more (see the log)")
            break
        lines.append(line)
        size += len(line) + 1
    return "\n".join(lines)
