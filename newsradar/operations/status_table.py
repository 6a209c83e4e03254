"""The per-outlet health table (`newsradar status`).

Consecutive failures stay the last column, so that scripts can read them with `split()[-1]`.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from newsradar.config import Config
from newsradar.database import Database, OutletHealth
from newsradar.database.models import OutboxRow
from newsradar.settings import Settings
from notifier.outbox_states import OutboxStatus
from notifier.timestamps import utc_minute

# What the outbox line says of a status, beyond its name.
_MEANING = {
    OutboxStatus.UNCERTAIN: "answer lost, sent once more",
    OutboxStatus.UNCONFIRMED: "sent twice, both answers lost",
    OutboxStatus.PRINTED: "no bot token, not delivered",
    OutboxStatus.PRINTED_EARLIER: "printed earlier, not sent",
}


def print_status(config: Config, settings: Settings) -> None:
    db = Database(settings.database_url, read_only=True)
    with db.session() as session:
        health = {row.outlet_id: row for row in session.query(OutletHealth)}
        outbox = dict(
            session.execute(select(OutboxRow.status, func.count()).group_by(OutboxRow.status)).all()
        )
    db.close()
    rows = [
        (
            "outlet",
            "last success",
            "last error",
            "articles (last/total)",
            "pages",
            "no text (last/total)",
            "alerted",
            "failures",
        )
    ]
    for outlet in config.outlets:
        row = health.get(outlet.id)
        if row is None:
            rows.append((outlet.id, "never crawled", "", "", "", "", "", ""))
            continue
        error = ""
        if row.last_error:
            error = f"{_when(row.last_error_at)} {row.last_error}"[:80]
        rows.append(
            (
                outlet.id + ("" if outlet.enabled else " (disabled)"),
                _when(row.last_success_at),
                error,
                f"{row.articles_last_run}/{row.articles_total}",
                str(row.pages_fetched_last_run or 0),
                f"{row.pages_without_text_last_run or 0}/{row.extraction_failures_total or 0}",
                _alerted(row),
                str(row.consecutive_failures),
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(r, widths, strict=True)).rstrip())
    print(f"\noutbox: {_outbox_line(outbox)}")


def _outbox_line(counts: dict[str, int]) -> str:
    """Messages by state, e.g. "12 sent, 1 uncertain (answer lost, sent once more)"."""
    parts = []
    for status in OutboxStatus:
        if counts.get(status):
            meaning = _MEANING.get(status)
            parts.append(f"{counts[status]} {status}" + (f" ({meaning})" if meaning else ""))
    return ", ".join(parts) or "empty"


def _alerted(row: OutletHealth) -> str:
    """Troubles the operators were told about and that have not recovered yet."""
    troubles = [
        name
        for name, flag in (("failing", row.failing_alerted), ("no-text", row.layout_alerted))
        if flag
    ]
    return ",".join(troubles) or "-"


def _when(value: datetime | None) -> str:
    return utc_minute(value) if value else "-"
