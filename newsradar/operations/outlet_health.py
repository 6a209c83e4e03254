"""Outlet health: what each crawl did per outlet, and the operators' alerts when an outlet breaks.

Two troubles are watched: an outlet failing `crawl.alert_after_failures` runs in a row (every
discovery source down), and an outlet whose pages stop yielding article text (a layout change:
pages fetched but extraction empty, or far shorter than the outlet's typical length). Each trouble
sends one notice when it starts and one when it ends, nothing in between. The flag saying a notice
went out is written in the transaction that queues the notice in the outbox, so a crash neither
loses nor repeats one. Notices go to the operator chats (NEWSRADAR_OPERATOR_CHATS) and are always
logged as warnings.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from statistics import median

from sqlalchemy import select
from sqlalchemy.orm import Session

from crawler.outlet_run import OutletRun
from newsradar.config import Config
from newsradar.database import Database, OutletHealth, utcnow
from newsradar.database.in_lists import in_lists
from newsradar.operations.operator_notices import add_notice
from notifier.telegram_message import html_to_plain

log = logging.getLogger("newsradar.health")

# Text extraction counts as broken only on this many pages in one run, so that one video page
# or one short news brief does not wake anybody.
MIN_PAGES_FOR_VERDICT = 2
# "Far shorter than usual": the run's median body below this share of the typical length.
SHORT_TEXT_RATIO = 0.25
# Weight of the newest healthy run in the typical length (a moving average).
TYPICAL_WEIGHT = 0.2
MAX_ERROR_CHARS = 500
# Workers: an outlet's pages are pooled across workers until there are this many, and judged
# together. A worker's share of a crawl may be two short briefs whose median says nothing.
POOLED_VERDICT_PAGES = 10
MAX_POOLED_PAGES = 1000


@dataclass(frozen=True)
class Notice:
    outlet_id: str
    kind: str  # failing, failing-recovered, no-text, no-text-recovered
    text: str  # Telegram HTML, everything from outside escaped

    @property
    def is_problem(self) -> bool:
        return not self.kind.endswith("-recovered")


def record_health(
    db: Database,
    runs: Mapping[str, OutletRun],
    config: Config,
    operator_chats: Collection[int] = (),
    pooled: bool = False,
) -> list[Notice]:
    """Store each outlet's share of a crawl; queue the notices its changes of state call for.

    `pooled`: the runs are a worker's share of crawls that other workers share too; whether the
    pages still yield text is judged on what all of them saw (`POOLED_VERDICT_PAGES`)."""
    now = utcnow()
    notices: list[Notice] = []
    with db.session() as session, session.begin():
        known = _load(session, sorted(runs))
        for run in sorted(runs.values(), key=lambda run: run.outlet_id):  # rows made in id order
            health = known.get(run.outlet_id)
            if health is None:
                health = OutletHealth(
                    outlet_id=run.outlet_id,
                    consecutive_failures=0,
                    articles_total=0,
                    extraction_failures_total=0,
                    failing_alerted=False,
                    layout_alerted=False,
                )
                session.add(health)
            notices += _update(health, run, config, now, pooled)
        for notice in notices:
            add_notice(session, operator_chats, notice.text)
    for notice in notices:
        (log.warning if notice.is_problem else log.info)(
            "outlet health: %s", html_to_plain(notice.text)
        )
    return notices


def _load(session: Session, outlet_ids: list[str]) -> dict[str, OutletHealth]:
    """The outlets' health rows, a few queries for all of them (not one each: with a thousand
    outlets, loading them one by one cost as much as the crawl that found nothing new).

    The rows are locked until the transaction ends (on PostgreSQL; SQLite has one writer at a
    time anyway): workers recording the same outlet at once take turns, so neither's counts
    overwrite the other's. Locked in id order, so two workers never wait on each other."""
    rows: dict[str, OutletHealth] = {}
    for batch in in_lists(outlet_ids):
        query = (
            select(OutletHealth)
            .where(OutletHealth.outlet_id.in_(batch))
            .order_by(OutletHealth.outlet_id)
            .with_for_update()
        )
        for row in session.scalars(query):
            rows[row.outlet_id] = row
    return rows


def _update(
    health: OutletHealth, run: OutletRun, config: Config, now: datetime, pooled: bool
) -> list[Notice]:
    """Fold one run into the outlet's health row; the notices its changes of state call for."""
    outlet = config.outlet(run.outlet_id)
    label = _label(run.outlet_id, outlet.name if outlet else run.outlet_id)
    _count_run(health, run, now)
    failures_before = health.consecutive_failures or 0
    if run.failed:
        return _failed_run(health, run, label, config.crawl.alert_after_failures)
    judged = _pooled_pages(health, run) if pooled else run
    return [
        *_succeeded_run(health, run, label, failures_before, now),
        *(_text_verdict(health, judged, label) if judged is not None else ()),
    ]


def _pooled_pages(health: OutletHealth, run: OutletRun) -> OutletRun | None:
    """The pages the workers saw since the outlet's last text verdict, this run's included,
    once there are enough to judge (the pool is emptied); None while it is still filling."""
    lengths = [*(health.pooled_text_chars or ()), *run.text_chars][-MAX_POOLED_PAGES:]
    textless = min((health.pooled_textless or 0) + run.pages_without_text, MAX_POOLED_PAGES)
    if len(lengths) + textless < POOLED_VERDICT_PAGES:
        health.pooled_text_chars = lengths
        health.pooled_textless = textless
        health.text_chars_last_run = int(median(run.text_chars)) if run.text_chars else None
        return None
    health.pooled_text_chars = None
    health.pooled_textless = None
    return OutletRun(run.outlet_id, text_chars=lengths, textless=[("", "")] * textless)


def _count_run(health: OutletHealth, run: OutletRun, now: datetime) -> None:
    """What the run did, whether it failed or not: articles, pages and its error."""
    health.last_run_at = now
    health.articles_last_run = run.articles
    health.articles_total = (health.articles_total or 0) + run.articles
    health.pages_fetched_last_run = run.pages_fetched
    health.pages_without_text_last_run = run.pages_without_text
    health.extraction_failures_total = (
        health.extraction_failures_total or 0
    ) + run.pages_without_text
    if run.error_summary:
        health.last_error = run.error_summary
        health.last_error_at = now


def _failed_run(health: OutletHealth, run: OutletRun, label: str, alert_after: int) -> list[Notice]:
    """One failure more; the operators hear once, when the failures in a row reach
    `alert_after`."""
    health.consecutive_failures = (health.consecutive_failures or 0) + 1
    if health.consecutive_failures < alert_after or health.failing_alerted:
        return []
    health.failing_alerted = True
    error = html.escape((run.error_summary or "unknown error")[:MAX_ERROR_CHARS])
    return [
        Notice(
            run.outlet_id,
            "failing",
            f"⚠️ <b>Outlet failing</b>: {label} failed "
            f"{health.consecutive_failures} runs in a row.\nLast error: {error}",
        )
    ]


def _succeeded_run(
    health: OutletHealth, run: OutletRun, label: str, failures_before: int, now: datetime
) -> list[Notice]:
    """The failures in a row end; a recovery notice when the operators had heard of them."""
    health.consecutive_failures = 0
    health.last_success_at = now
    health.first_crawl_at = health.first_crawl_at or now
    if not health.failing_alerted:
        return []
    health.failing_alerted = False
    return [
        Notice(
            run.outlet_id,
            "failing-recovered",
            f"✅ <b>Outlet recovered</b>: {label} works again after {failures_before} failed runs.",
        )
    ]


def _text_verdict(health: OutletHealth, run: OutletRun, label: str) -> list[Notice]:
    """Whether the outlet's pages still yield article text: the typical length learns from
    healthy runs, and a notice goes out when the verdict turns (broken, or back)."""
    lengths = run.text_chars
    health.text_chars_last_run = int(median(lengths)) if lengths else None
    broken = extraction_broken(run, health.typical_text_chars)
    if broken is False and lengths:
        typical = health.typical_text_chars
        current = median(lengths)
        health.typical_text_chars = round(
            current if typical is None else typical + TYPICAL_WEIGHT * (current - typical)
        )
    if broken and not health.layout_alerted:
        health.layout_alerted = True
        return [Notice(run.outlet_id, "no-text", _no_text(label, run, health))]
    if broken is False and health.layout_alerted:
        health.layout_alerted = False
        return [
            Notice(
                run.outlet_id,
                "no-text-recovered",
                f"✅ <b>Article text is back</b>: {label}: {len(lengths)} of "
                f"{len(lengths) + run.pages_without_text} pages fetched yielded article text "
                f"(median {int(median(lengths)):,} characters).",
            )
        ]
    return []


def extraction_broken(run: OutletRun, typical_chars: int | None) -> bool | None:
    """True when the run's pages stopped yielding article text, None when it cannot tell."""
    extracted = len(run.text_chars) + run.pages_without_text
    if extracted < MIN_PAGES_FOR_VERDICT:
        return None
    if not run.text_chars:
        return True
    return bool(typical_chars) and median(run.text_chars) < (typical_chars or 0) * SHORT_TEXT_RATIO


def _no_text(label: str, run: OutletRun, health: OutletHealth) -> str:
    extracted = len(run.text_chars) + run.pages_without_text
    if run.text_chars:
        what = (
            f"article text far shorter than usual: median {int(median(run.text_chars)):,} "
            f"characters over {extracted} pages, typically {health.typical_text_chars:,}"
        )
    else:
        what = f"none of the {extracted} pages fetched yielded article text"
    return (
        f"⚠️ <b>Outlet pages yield no article text</b>: {label}: {what}. Its page layout may "
        "have changed (check <code>content_xpath</code> in outlets.yaml)."
    )


def _label(outlet_id: str, name: str) -> str:
    return f"{html.escape(name)} (<code>{html.escape(outlet_id)}</code>)"
