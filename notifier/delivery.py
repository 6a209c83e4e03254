"""From the outbox to the chats: a delivery round sends each chat's plan through the `Sender`.

Each round claims the rows it will send (see notifier.delivery_plan: an overlapping round or a
second process never sends the same row; a claim older than CLAIM_TIMEOUT, left by a crash, is
taken over), sends chat by chat (each chat's messages in order, chats side by side, the sender
keeping Telegram's pace), and marks a row sent only after Telegram accepted it. A crash between
"accepted" and "marked" can therefore repeat that one message, never lose it.

A chat that blocked the bot (403) is marked gone and its rows held; a group that became a
supergroup is followed to its new id; a message Telegram refuses is marked failed, not retried.
A message whose answer was lost is marked uncertain and sent once more after `resend_pause`
(never a third time); a refused token ends the round with every row still queued.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from notifier.bot.buttons import alert_keyboard
from notifier.delivery_plan import (
    BROKEN,
    BURST_SECONDS,
    ChatPlan,
    PlanItem,
    claim_name,
    digest_heading,
    is_burst,
    longest_first,
    plan_round,
    sections,
)
from notifier.notify_ports import OutboxStore
from notifier.outbox_states import DigestMode, OutboxKind, OutboxStatus
from notifier.render import render_digest
from notifier.sender import Outcome, Outgoing, Sender, SendResult

log = logging.getLogger(__name__)

# What a send's outcome makes of its rows; PENDING: sent again later (Telegram is not refusing).
_STATUS = {
    Outcome.SENT: OutboxStatus.SENT,
    Outcome.RETRY_LATER: OutboxStatus.PENDING,
    Outcome.MIGRATED: OutboxStatus.PENDING,
    Outcome.CHAT_GONE: OutboxStatus.HELD,
    Outcome.REJECTED: OutboxStatus.FAILED,
    Outcome.UNCERTAIN: OutboxStatus.UNCERTAIN,
    Outcome.UNAUTHORIZED: OutboxStatus.PENDING,  # kept for when the token is fixed
    Outcome.PRINTED: OutboxStatus.PRINTED,
}
# Outcomes after which a chat takes nothing more this round (its order is kept).
_STOP = (Outcome.RETRY_LATER, Outcome.MIGRATED, Outcome.UNCERTAIN, Outcome.UNAUTHORIZED)
RESEND_PAUSE = timedelta(seconds=60)  # before a send whose answer was lost goes out again


@dataclass
class DeliveryReport:
    sent: int = 0  # outbox rows delivered (alone or inside a digest)
    retry_later: int = 0
    failed: int = 0
    chats_gone: int = 0
    digests: int = 0  # digest messages sent, bursts included
    bursts: int = 0  # chats whose queue was folded into a digest
    uncertain: int = 0  # rows written to Telegram whose answer was lost
    printed: int = 0  # rows printed on a terminal (no token): not delivered
    unauthorized: bool = False  # Telegram refused the bot token: nothing more was tried
    reached: bool = False  # Telegram answered a send (accepted or refused it)
    unreachable: bool = False  # a send got no answer at all

    @property
    def telegram(self) -> str | None:
        """What this round learnt of Telegram: ok, unreachable, unauthorized (None: nothing)."""
        if self.unauthorized:
            return "unauthorized"
        if self.reached:
            return "ok"
        return "unreachable" if self.unreachable else None


async def deliver_pending(
    store: OutboxStore,
    sender: Sender,
    *,
    outlet_names: Mapping[str, str],
    plain: bool = False,
    now: datetime | None = None,
    burst_seconds: float = BURST_SECONDS,
    resend_pause: timedelta = RESEND_PAUSE,
) -> DeliveryReport:
    """Send what is due: instant alerts, notices, and the digests whose period has passed.

    Safe to call every few seconds and from several processes at once; `now` (default: the
    clock) decides which digests are due. `outlet_names` names outlets by id in alerts;
    `plain` renders for a terminal (StdoutSender). A send whose answer was lost is sent once
    more, no sooner than `resend_pause` later."""
    now = now or datetime.now(UTC)
    report = DeliveryReport()
    holder = claim_name()
    try:
        plans = await asyncio.to_thread(plan_round, store, holder, now, outlet_names, plain)
        round_ = _Round(store, sender, report, plain, now, burst_seconds, resend_pause)
        await asyncio.gather(
            *(round_.deliver_chat(plan) for plan in longest_first(plans, round_.interval))
        )
    finally:
        # In a thread of its own: it completes even if this round is cancelled meanwhile.
        await asyncio.to_thread(store.release, holder)
    return report


class _Stop(Exception):
    """This chat cannot take more now (retry later, or gone)."""


@dataclass
class _Round:
    store: OutboxStore
    sender: Sender
    report: DeliveryReport
    plain: bool
    now: datetime
    burst_seconds: float
    resend_pause: timedelta

    def interval(self, chat_id: int) -> float:
        """Seconds between two messages to the chat at the sender's pace (0: no pace kept)."""
        return float(getattr(self.sender, "interval_for", lambda _chat: 0.0)(chat_id))

    async def deliver_chat(self, plan: ChatPlan) -> None:
        """The chat's notices and alerts in order; its alerts as one digest when it takes
        digests or its queue is a burst. Stops at the first send the chat cannot take now."""
        await self._fail_broken(plan)
        fold = plan.digest != DigestMode.OFF or self._burst(plan)
        try:
            for item in plan.items:
                if item.kind == OutboxKind.NOTICE or (item.kind == OutboxKind.ALERT and not fold):
                    await self._send(plan, item.text, self._keyboard(item), [item.row_id])
            if fold and plan.alerts:
                await self._send_digest(plan)
        except _Stop:
            return

    async def _fail_broken(self, plan: ChatPlan) -> None:
        """Alert rows whose article is gone cannot be rendered: failed, never retried."""
        broken = [item.row_id for item in plan.items if item.kind == BROKEN]
        if broken:
            missing = SendResult(Outcome.REJECTED, error="article missing")
            await asyncio.to_thread(self._finish, plan, broken, missing)

    def _burst(self, plan: ChatPlan) -> bool:
        if not is_burst(plan, self.interval(plan.chat_id), self.burst_seconds):
            return False
        self.report.bursts += 1
        log.info(
            "chat %s has %d alerts queued: sending them as one digest",
            plan.chat_id,
            len(plan.alerts),
        )
        return True

    def _keyboard(self, item: PlanItem) -> Any:
        """Mute and leave buttons for an alert's first watchlist (not on a terminal)."""
        if item.kind != OutboxKind.ALERT or not item.first_watchlist or self.plain:
            return None
        return alert_keyboard(item.first_watchlist[0])

    async def _send_digest(self, plan: ChatPlan) -> None:
        alerts = plan.alerts
        heading = digest_heading(plan.digest, len(alerts))
        for part in render_digest(heading, sections(alerts), plain=self.plain):
            await self._send(plan, part.text, None, list(part.keys))
            self.report.digests += 1
        if plan.digest != DigestMode.OFF:
            await asyncio.to_thread(self.store.digest_done, plan.chat_id, self.now)

    async def _send(self, plan: ChatPlan, text: str, keyboard: Any, row_ids: list[int]) -> None:
        if self.report.unauthorized:
            raise _Stop  # the token was refused: every other send would be refused too
        result = await self.sender.send(Outgoing(plan.chat_id, text, keyboard))
        if result.outcome is Outcome.MIGRATED and result.new_chat_id is not None:
            # The group became a supergroup: its queue follows it, and so does this message.
            await asyncio.to_thread(self.store.migrate_chat, plan.chat_id, result.new_chat_id)
            plan.chat_id = result.new_chat_id
            result = await self.sender.send(Outgoing(plan.chat_id, text, keyboard))
        await asyncio.to_thread(self._finish, plan, row_ids, result)
        if result.outcome is Outcome.CHAT_GONE:
            await asyncio.to_thread(self.store.mark_gone, plan.chat_id)
            self.report.chats_gone += 1
            raise _Stop
        if result.outcome in _STOP:
            raise _Stop  # keep this chat's order: the rest waits for the next round

    def _finish(self, plan: ChatPlan, row_ids: list[int], result: SendResult) -> None:
        status = _STATUS[result.outcome]
        count = self.store.finish(
            row_ids,
            status,
            error=None if status is OutboxStatus.SENT else result.error,
            message_id=result.message_id if status is OutboxStatus.SENT else None,
            resend_after=datetime.now(UTC) + self.resend_pause,
        )
        self._count(result, status, count)
        if status is OutboxStatus.FAILED:
            articles = [str(i.article_id) for i in plan.items if i.row_id in row_ids]
            log.error(
                "Telegram refused the message for article %s to chat %s: %s",
                ", ".join(articles) or "-",
                plan.chat_id,
                result.error,
            )
        elif status is OutboxStatus.UNCERTAIN:
            log.warning(
                "chat %s: the message was sent but Telegram's answer was lost (%s); it is sent "
                "once more after %.0f s unless that copy's answer is lost too",
                plan.chat_id,
                result.error,
                self.resend_pause.total_seconds(),
            )

    def _count(self, result: SendResult, status: OutboxStatus, count: int) -> None:
        report = self.report
        outcome = result.outcome
        if outcome is Outcome.UNAUTHORIZED:
            report.unauthorized = True
        elif outcome in (Outcome.UNCERTAIN, Outcome.RETRY_LATER) and result.retry_after is None:
            report.unreachable = True
        elif outcome is not Outcome.PRINTED:
            report.reached = True
        if status is OutboxStatus.SENT:
            report.sent += count
        elif status is OutboxStatus.PENDING:
            report.retry_later += count
        elif status is OutboxStatus.UNCERTAIN:
            report.uncertain += count
        elif status is OutboxStatus.PRINTED:
            report.printed += count
        else:
            report.failed += count
