"""From the outbox to the chats.

Each call claims the rows it will send (a compare-and-set on `claimed_by`, so an overlapping run
or a second process never sends the same row; a claim older than CLAIM_TIMEOUT, left by a crash,
is taken over), sends chat by chat (each chat's messages in order, chats side by side, the sender
keeping Telegram's pace), and marks a row sent only after Telegram accepted it. A crash between
"accepted" and "marked" can therefore repeat that one message, never lose it.

What a chat gets:
- Instant chats (digest off): each alert as its own message with buttons to mute or leave its
  first watchlist. When the queue would take longer than BURST_SECONDS at the chat's rate limit
  (a big news day), it is folded into one digest-style message instead of trickling out.
- Digest chats (hourly/daily): once per period, one message (split at Telegram's size limit)
  listing the alerts queued since the last digest, grouped by watchlist, newest first. The rows
  are chosen when the digest starts; anything queued while it is being sent goes in the next one.
- Notices (operator health messages, already rendered HTML) go out at once, without buttons,
  even to paused or digest chats.
- Paused chats keep already-queued alerts until /resume; a chat that blocked the bot (403) is
  marked gone and its rows held; a group that became a supergroup is followed to its new id.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from newsradar.config import Config
from newsradar.database import (
    Article,
    Chat,
    ChatWatchlist,
    Database,
    Mute,
    OutboxRow,
    Subscription,
    outbox_claims,
    utcnow,
)
from newsradar.database.outbox_claims import CLAIM_TIMEOUT
from notifier.bot.buttons import alert_keyboard
from notifier.render import (
    AlertView,
    DigestItem,
    DigestSection,
    html_to_plain,
    render_alert,
    render_digest,
    render_plain,
)
from notifier.sender import Outcome, Outgoing, Sender, SendResult

log = logging.getLogger(__name__)

BURST_SECONDS = 180.0
DIGEST_PERIODS = {"hourly": timedelta(hours=1), "daily": timedelta(days=1)}


@dataclass
class DeliveryReport:
    sent: int = 0  # outbox rows delivered (alone or inside a digest)
    retry_later: int = 0
    failed: int = 0
    chats_gone: int = 0
    digests: int = 0  # digest messages sent, bursts included
    bursts: int = 0  # chats whose queue was folded into a digest


def alert_view(row: OutboxRow, article: Article, config: Config) -> AlertView:
    outlet = config.outlet(article.outlet_id)
    payload = row.payload
    return AlertView(
        title=article.title or article.canonical_url,
        url=article.canonical_url,
        outlet_name=outlet.name if outlet else article.outlet_id,
        published=article.published,
        watchlists=[tuple(w) for w in payload.get("watchlists", [])],
        terms=payload.get("terms", []),
        text=article.text,
        first_hit=tuple(payload["hit"]) if payload.get("hit") else None,
    )


@dataclass
class _Item:
    """One claimed row, ready to send alone or inside a digest."""

    row_id: int
    kind: str
    text: str
    first_watchlist: tuple[str, str] | None = None
    digest_item: DigestItem | None = None
    newest: datetime | None = None


@dataclass
class _ChatPlan:
    chat_id: int
    digest: str  # "off", or the period of a digest that is due now
    items: list[_Item] = field(default_factory=list)


async def deliver_pending(
    db: Database,
    config: Config,
    sender: Sender,
    *,
    plain: bool = False,
    now: datetime | None = None,
    burst_seconds: float = BURST_SECONDS,
) -> DeliveryReport:
    """Send what is due: instant alerts, notices, and the digests whose period has passed.

    Safe to call every few seconds and from several processes at once; `now` (default: the
    clock) decides which digests are due. `plain` renders for a terminal (StdoutSender)."""
    now = now or utcnow()
    report = DeliveryReport()
    claim = f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:12]}"
    try:
        plans = _longest_first(
            await asyncio.to_thread(_claim, db, claim, now, config, plain), sender
        )
        await asyncio.gather(
            *(_deliver_chat(db, sender, plan, report, plain, now, burst_seconds) for plan in plans)
        )
    finally:
        await asyncio.to_thread(outbox_claims.release, db, claim)
    return report


# ----- claiming ----------------------------------------------------------------------------------
def _claim(db: Database, claim: str, now: datetime, config: Config, plain: bool) -> list[_ChatPlan]:
    """Claim every row due now, chat by chat, and load what sending them needs."""
    clock = utcnow()
    stale = clock - CLAIM_TIMEOUT
    with db.session() as session:
        chats = {chat.chat_id: chat for chat in session.scalars(select(Chat))}
        pending = session.execute(
            select(
                OutboxRow.id,
                OutboxRow.chat_id,
                OutboxRow.kind,
                OutboxRow.claimed_by,
                OutboxRow.claimed_at,
            )
            .where(OutboxRow.status == "pending")
            .order_by(OutboxRow.id)
        ).all()
    dead = {claimed_by for *_, claimed_by, _ in pending if _holder_gone(claimed_by)}
    busy = {
        chat_id
        for _, chat_id, _, claimed_by, claimed_at in pending
        if claimed_by is not None
        and claimed_at is not None
        and claimed_at >= stale
        and claimed_by not in dead
    }
    wanted: list[int] = []
    for row_id, chat_id, kind, _, _ in pending:
        chat = chats.get(chat_id)
        if chat_id in busy or (chat is not None and chat.gone):
            continue
        if kind != "alert" or _alerts_due(chat, now):
            wanted.append(row_id)
    for holder in dead:
        outbox_claims.release(db, holder)
    outbox_claims.claim(db, claim, candidates=wanted, now=clock, timeout=CLAIM_TIMEOUT)
    with db.session() as session:
        rows = session.execute(
            select(OutboxRow, Article)
            .outerjoin(Article, OutboxRow.article_id == Article.id)
            .where(OutboxRow.claimed_by == claim)
            .order_by(OutboxRow.id)
        ).all()
        plans: dict[int, _ChatPlan] = {}
        for row, article in rows:
            chat = chats.get(row.chat_id)
            digest = chat.digest if chat is not None and chat.digest in DIGEST_PERIODS else "off"
            plan = plans.setdefault(row.chat_id, _ChatPlan(row.chat_id, digest))
            plan.items.append(_item(row, article, config, plain))
    return list(plans.values())


def _holder_gone(claimed_by: str | None) -> bool:
    """A claim left by a process of this host that no longer runs (killed, crashed): taken over
    at once rather than after CLAIM_TIMEOUT, so the next run delivers what it was sending."""
    if not claimed_by:
        return False
    host, _, rest = claimed_by.partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname()[:30] or not pid.isdigit() or int(pid) == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False
    return False


def _alerts_due(chat: Chat | None, now: datetime) -> bool:
    if chat is None:
        return True
    if chat.paused:
        return False
    period = DIGEST_PERIODS.get(chat.digest or "off")
    if period is None:
        return True
    return chat.last_digest_at is None or now - chat.last_digest_at >= period


def _item(row: OutboxRow, article: Article | None, config: Config, plain: bool) -> _Item:
    if row.kind != "alert":
        text = str((row.payload or {}).get("text") or "")
        return _Item(row.id, row.kind, html_to_plain(text) if plain else text)
    if article is None:
        return _Item(row.id, "broken", "")
    view = alert_view(row, article, config)
    watchlists = [tuple(w) for w in row.payload.get("watchlists", [])]
    first = (str(watchlists[0][0]), str(watchlists[0][1])) if watchlists else None
    newest = article.published or article.fetched_at or row.created_at
    return _Item(
        row.id,
        "alert",
        render_plain(view) if plain else render_alert(view),
        first,
        DigestItem(row.id, view.title, view.url, view.outlet_name, article.published),
        newest,
    )


# ----- sending -----------------------------------------------------------------------------------
def _interval(sender: Sender, chat_id: int) -> float:
    """Seconds between two messages to the chat at the sender's pace (0: no pace kept)."""
    return float(getattr(sender, "interval_for", lambda _chat: 0.0)(chat_id))


def _longest_first(plans: list[_ChatPlan], sender: Sender) -> list[_ChatPlan]:
    """Chats whose queue takes longest at their own pace (groups: 3 s a message) go first.

    Each chat takes its place in the overall rate when it asks, so the chats that decide when
    the run ends should ask first rather than leave a tail of group-only sends."""
    return sorted(
        plans, key=lambda plan: len(plan.items) * _interval(sender, plan.chat_id), reverse=True
    )


class _Stop(Exception):
    """This chat cannot take more now (retry later, or gone)."""


async def _deliver_chat(
    db: Database,
    sender: Sender,
    plan: _ChatPlan,
    report: DeliveryReport,
    plain: bool,
    now: datetime,
    burst_seconds: float,
) -> None:
    alerts = [item for item in plan.items if item.kind == "alert"]
    for item in plan.items:
        if item.kind == "broken":
            await _finished(
                db, [item.row_id], SendResult(Outcome.REJECTED, error="article missing"), report
            )
    fold = plan.digest != "off"
    if not fold:
        fold = len(alerts) * _interval(sender, plan.chat_id) > burst_seconds
        if fold:
            report.bursts += 1
            log.info(
                "chat %s has %d alerts queued: sending them as one digest",
                plan.chat_id,
                len(alerts),
            )
    try:
        for item in plan.items:
            if item.kind == "alert" and fold:
                continue
            if item.kind in ("alert", "notice"):
                keyboard = None
                if item.kind == "alert" and item.first_watchlist and not plain:
                    keyboard = alert_keyboard(item.first_watchlist[0])
                await _send(db, sender, plan, item.text, keyboard, [item.row_id], report)
        if fold and alerts:
            heading = _digest_heading(plan.digest, len(alerts))
            for part in render_digest(heading, _sections(alerts), plain=plain):
                await _send(db, sender, plan, part.text, None, list(part.keys), report)
                report.digests += 1
            if plan.digest != "off":
                await asyncio.to_thread(_digest_done, db, plan.chat_id, now)
    except _Stop:
        return


async def _send(
    db: Database,
    sender: Sender,
    plan: _ChatPlan,
    text: str,
    keyboard: Any,
    row_ids: list[int],
    report: DeliveryReport,
) -> None:
    result = await sender.send(Outgoing(chat_id=plan.chat_id, text=text, reply_markup=keyboard))
    if result.outcome is Outcome.MIGRATED and result.new_chat_id is not None:
        await asyncio.to_thread(migrate_chat, db, plan.chat_id, result.new_chat_id)
        plan.chat_id = result.new_chat_id
        result = await sender.send(Outgoing(chat_id=plan.chat_id, text=text, reply_markup=keyboard))
    await _finished(db, row_ids, result, report)
    if result.outcome is Outcome.CHAT_GONE:
        await asyncio.to_thread(_mark_gone, db, plan.chat_id)
        report.chats_gone += 1
        raise _Stop
    if result.outcome in (Outcome.RETRY_LATER, Outcome.MIGRATED):
        raise _Stop  # keep this chat's order: the rest waits for the next call


async def _finished(
    db: Database, row_ids: list[int], result: SendResult, report: DeliveryReport
) -> None:
    """`_finish` in a thread (database work never runs on the event loop); its counts are added
    to the round's report here, on the loop, as chats finish side by side."""
    counts = DeliveryReport()
    await asyncio.to_thread(_finish, db, row_ids, result, counts)
    report.sent += counts.sent
    report.retry_later += counts.retry_later
    report.failed += counts.failed


def _finish(db: Database, row_ids: list[int], result: SendResult, report: DeliveryReport) -> None:
    with db.session() as session, session.begin():
        for row in session.scalars(select(OutboxRow).where(OutboxRow.id.in_(row_ids))):
            row.attempts = (row.attempts or 0) + 1
            row.claimed_by = row.claimed_at = None
            if result.outcome is Outcome.SENT:
                row.status, row.sent_at, row.message_id = "sent", utcnow(), result.message_id
                row.last_error = None
                report.sent += 1
            elif result.outcome in (Outcome.RETRY_LATER, Outcome.MIGRATED):
                row.last_error = result.error  # stays pending: Telegram is not refusing it
                report.retry_later += 1
            elif result.outcome is Outcome.CHAT_GONE:
                row.status, row.last_error = "held", result.error
                report.failed += 1
            else:
                row.status, row.last_error = "failed", result.error
                report.failed += 1
                log.error(
                    "Telegram refused the message for article %s to chat %s: %s",
                    row.article_id,
                    row.chat_id,
                    result.error,
                )


def _digest_done(db: Database, chat_id: int, now: datetime) -> None:
    with db.session() as session, session.begin():
        chat = session.get(Chat, chat_id)
        if chat is not None:
            chat.last_digest_at = now


def _sections(alerts: Iterable[_Item]) -> list[DigestSection]:
    """Alerts grouped by their first watchlist, newest first; busiest-recent group first."""
    groups: dict[tuple[str, str], list[_Item]] = defaultdict(list)
    for item in alerts:
        groups[item.first_watchlist or ("", "Other")].append(item)
    sections = []
    for (watchlist_id, title), items in groups.items():
        items.sort(key=lambda i: (i.newest is not None, i.newest, i.row_id), reverse=True)
        sections.append(
            DigestSection(watchlist_id, title, [i.digest_item for i in items if i.digest_item])
        )
    newest = {id(s): groups[(s.watchlist_id, s.title)][0] for s in sections}
    sections.sort(
        key=lambda s: (newest[id(s)].newest is not None, newest[id(s)].newest), reverse=True
    )
    return sections


def _digest_heading(digest: str, count: int) -> str:
    articles = f"{count} article{'s' if count != 1 else ''}"
    if digest == "off":
        return f"{articles} arrived at once"
    return f"Your {digest} digest: {articles}"


# ----- chats that changed ------------------------------------------------------------------------
def _mark_gone(db: Database, chat_id: int) -> None:
    with db.session() as session, session.begin():
        chat = session.get(Chat, chat_id) or Chat(chat_id=chat_id, paused=False, digest="off")
        chat.gone = True
        session.add(chat)
        session.execute(
            update(OutboxRow)
            .where(OutboxRow.chat_id == chat_id, OutboxRow.status == "pending")
            .values(status="held", claimed_by=None, claimed_at=None)
        )


def migrate_chat(db: Database, old: int, new: int) -> None:
    """A group became a supergroup: its settings, subscriptions, own watchlists, mutes and queue
    follow it to the new id (without doubling an alert the new id already has), and so do the
    alerts of watchlists whose YAML still lists the old id."""
    log.warning(
        "group %s became supergroup %s: its alerts follow it (list it as %s in watchlists.yaml)",
        old,
        new,
        new,
    )
    with db.session() as session, session.begin():
        _move_keyed(session, Subscription, old, new, "watchlist_id")
        _move_keyed(session, Mute, old, new, "watchlist_id")
        session.execute(
            update(ChatWatchlist).where(ChatWatchlist.chat_id == old).values(chat_id=new)
        )
        old_chat, new_chat = session.get(Chat, old), session.get(Chat, new)
        if old_chat is None:
            old_chat = Chat(chat_id=old, kind="group")
            session.add(old_chat)
        if new_chat is None:
            session.add(
                Chat(
                    chat_id=new,
                    paused=bool(old_chat.paused),
                    gone=False,
                    digest=old_chat.digest or "off",
                    kind="supergroup",
                    last_digest_at=old_chat.last_digest_at,
                )
            )
        old_chat.moved_to = new  # watchlists that list the old id are matched to the new one
        taken = set(
            session.scalars(
                select(OutboxRow.article_id).where(
                    OutboxRow.chat_id == new, OutboxRow.article_id.is_not(None)
                )
            )
        )
        for row in session.scalars(
            select(OutboxRow).where(
                OutboxRow.chat_id == old, OutboxRow.status.in_(("pending", "held"))
            )
        ):
            if row.article_id in taken:
                row.status = "merged"  # the new id already has (or had) this article
            else:
                row.chat_id = new


def _move_keyed(session: Session, model: Any, old: int, new: int, key: str) -> None:
    existing = set(session.scalars(select(getattr(model, key)).where(model.chat_id == new)))
    for row in session.scalars(select(model).where(model.chat_id == old)):
        if getattr(row, key) in existing:
            session.delete(row)
        else:
            session.execute(
                update(model)
                .where(model.chat_id == old, getattr(model, key) == getattr(row, key))
                .values(chat_id=new)
            )
