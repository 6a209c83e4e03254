"""Alerts printed while no bot token was set, once a token is: sent if still new, else not.

A first run without a token prints its alerts on the terminal; they never reached a chat. When a
token is set, an alert whose article is still within its outlet's backfill window (a notice:
queued within the default window) is sent as if it had just been queued; an older one is kept
as "printed earlier, not sent", as the back catalogue of a new outlet is.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from newsradar.config import Config, parse_duration
from newsradar.database import Database
from newsradar.database.outbox_store import OutboxStore


@dataclass(frozen=True)
class PrintedEarlier:
    queued: int = 0  # printed earlier, now sent
    not_sent: int = 0  # printed earlier, too old to send now

    def describe(self) -> str | None:
        """One line for the operator, or None when there were none."""
        if not (self.queued or self.not_sent):
            return None
        return (
            f"{self.queued + self.not_sent} alerts were printed earlier without a bot token: "
            f"{self.queued} sent now (within the backfill window), {self.not_sent} printed "
            "earlier, not sent (older than the backfill window)"
        )


def still_due(
    config: Config, now: datetime | None = None
) -> Callable[[str | None, datetime], bool]:
    """Whether something dated `when` of this outlet (None: a notice) may still be sent."""
    now = now or datetime.now(UTC)
    default = config.crawl.backfill_window
    windows = {o.id: parse_duration(o.backfill) if o.backfill else default for o in config.outlets}

    def due(outlet_id: str | None, when: datetime) -> bool:
        window = windows.get(outlet_id, default) if outlet_id else default
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        return now - when <= window

    return due


def send_printed_earlier(config: Config, db: Database) -> PrintedEarlier:
    """Run in a thread before the first delivery round that has a token."""
    queued, not_sent = OutboxStore(db).requeue_printed(still_due(config))
    return PrintedEarlier(queued, not_sent)
