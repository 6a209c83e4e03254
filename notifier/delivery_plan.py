"""What each chat gets in a delivery round, decided before anything is sent.

A round takes every pending row that is due (instant alerts and notices now; a digest chat's
alerts once its period has passed; nothing for a paused chat's alerts or for a chat that blocked
the bot) from the chats no other live sender holds, claims them through the `OutboxStore` (a chat
has one sender at a time), and groups them by chat, each row rendered as it will be sent:
- Instant chats (digest off): each alert as its own message. When the queue would take longer
  than BURST_SECONDS at the chat's pace (a big news day) it is folded into one digest-style
  message instead of trickling out.
- Digest chats: one message (split at Telegram's size limit) listing the alerts queued since the
  last digest, grouped by watchlist, newest first. Rows queued after the round started wait for
  the next digest.
- Notices (operator messages, already rendered) go out at once, even to paused or digest chats.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from notifier.alert_payload import AlertPayload
from notifier.notify_ports import ChatState, ClaimedRow, OutboxStore, PendingRow, StoredArticle
from notifier.outbox_states import DIGEST_PERIODS, DigestMode, OutboxKind
from notifier.render import (
    AlertView,
    DigestItem,
    DigestSection,
    html_to_plain,
    render_alert,
    render_plain,
)

CLAIM_TIMEOUT = timedelta(minutes=15)  # a sender holding a chat longer than this has died
BURST_SECONDS = 180.0
BROKEN = "broken"  # an alert row whose article is gone: marked failed, not sent


# ----- who holds a chat ---------------------------------------------------------------------------
def claim_name() -> str:
    """A sender's name on the rows it holds: host, process, and a round of its own."""
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


def holder_gone(holder: str | None) -> bool:
    """A holder that is a process of this host no longer running (killed, crashed): its rows
    are taken over at once rather than after CLAIM_TIMEOUT."""
    if not holder:
        return False
    host, _, rest = holder.partition(":")
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


def busy_chats(
    rows: Iterable[PendingRow],
    *,
    me: str | None,
    now: datetime,
    gone: Callable[[str], bool] = lambda _holder: False,
) -> set[int]:
    """The one rule for which chats another sender is busy with: a pending row of the chat is
    held by someone else, who took it less than CLAIM_TIMEOUT ago and is not known to be gone.
    Used to plan a round and, inside the store's claiming step, to decide it."""
    stale = now - CLAIM_TIMEOUT
    return {
        row.chat_id
        for row in rows
        if row.claimed_by is not None
        and row.claimed_by != me
        and row.claimed_at is not None
        and row.claimed_at >= stale
        and not gone(row.claimed_by)
    }


# ----- what is due --------------------------------------------------------------------------------
def alerts_due(chat: ChatState | None, now: datetime) -> bool:
    """A chat's alerts are due: it is not paused, and it takes them at once or its digest
    period has passed."""
    if chat is None:
        return True
    if chat.paused:
        return False
    period = DIGEST_PERIODS.get(chat.digest)
    if period is None:
        return True
    return chat.last_digest_at is None or now - chat.last_digest_at >= period


def due_rows(
    pending: Sequence[PendingRow], chats: Mapping[int, ChatState], busy: set[int], now: datetime
) -> list[int]:
    """Rows to claim now: not of a busy or gone chat; notices always, alerts when due."""
    wanted = []
    for row in pending:
        chat = chats.get(row.chat_id)
        if row.chat_id in busy or (chat is not None and chat.gone):
            continue
        if row.kind != OutboxKind.ALERT or alerts_due(chat, now):
            wanted.append(row.id)
    return wanted


# ----- the plan -----------------------------------------------------------------------------------
@dataclass
class PlanItem:
    """One claimed row, ready to send alone or inside a digest."""

    row_id: int
    kind: str  # an OutboxKind, or BROKEN
    text: str
    first_watchlist: tuple[str, str] | None = None
    digest_item: DigestItem | None = None
    newest: datetime | None = None
    article_id: int | None = None


@dataclass
class ChatPlan:
    chat_id: int
    digest: DigestMode  # OFF, or the period of a digest that is due now
    items: list[PlanItem] = field(default_factory=list)

    @property
    def alerts(self) -> list[PlanItem]:
        return [item for item in self.items if item.kind == OutboxKind.ALERT]


def plan_round(
    store: OutboxStore,
    holder: str,
    now: datetime,
    outlet_names: Mapping[str, str],
    plain: bool,
) -> list[ChatPlan]:
    """Claim every row due at `now` for `holder`, and plan what each chat gets."""
    clock = datetime.now(UTC)  # claims are stamped with the real time, whatever `now` says
    chats = store.chat_states()
    pending = store.pending_rows()
    dead = {row.claimed_by for row in pending if row.claimed_by and holder_gone(row.claimed_by)}
    for gone_holder in dead:
        store.release(gone_holder)
    busy = busy_chats(pending, me=holder, now=clock, gone=dead.__contains__)
    store.claim(holder, due_rows(pending, chats, busy, now), clock)
    return chat_plans(store.claimed(holder), chats, outlet_names, plain)


def chat_plans(
    rows: Iterable[ClaimedRow],
    chats: Mapping[int, ChatState],
    outlet_names: Mapping[str, str],
    plain: bool,
) -> list[ChatPlan]:
    plans: dict[int, ChatPlan] = {}
    for row in rows:
        chat = chats.get(row.chat_id)
        digest = chat.digest if chat is not None and chat.digest in DIGEST_PERIODS else None
        plan = plans.setdefault(row.chat_id, ChatPlan(row.chat_id, digest or DigestMode.OFF))
        plan.items.append(plan_item(row, outlet_names, plain))
    return list(plans.values())


def alert_view(
    payload: AlertPayload, article: StoredArticle, outlet_names: Mapping[str, str]
) -> AlertView:
    return AlertView(
        title=article.title or article.canonical_url,
        url=article.canonical_url,
        outlet_name=outlet_names.get(article.outlet_id, article.outlet_id),
        published=article.published,
        watchlists=payload.watchlists,
        terms=payload.terms,
        text=article.text,
        first_hit=payload.hit,
    )


def plan_item(row: ClaimedRow, outlet_names: Mapping[str, str], plain: bool) -> PlanItem:
    if row.kind != OutboxKind.ALERT:
        text = str(row.payload.get("text") or "")
        return PlanItem(row.id, row.kind, html_to_plain(text) if plain else text)
    if row.article is None:
        return PlanItem(row.id, BROKEN, "", article_id=row.article_id)
    article = row.article
    payload = AlertPayload.from_json(row.payload)
    view = alert_view(payload, article, outlet_names)
    return PlanItem(
        row.id,
        OutboxKind.ALERT,
        render_plain(view) if plain else render_alert(view),
        payload.first_watchlist,
        DigestItem(row.id, view.title, view.url, view.outlet_name, article.published),
        article.published or article.fetched_at or row.created_at,
        article.id,
    )


# ----- folding into one message -------------------------------------------------------------------
def longest_first(plans: list[ChatPlan], interval: Callable[[int], float]) -> list[ChatPlan]:
    """Chats whose queue takes longest at their own pace (groups: 3 s a message) go first.

    Each chat takes its place in the overall rate when it asks, so the chats that decide when
    the round ends should ask first rather than leave a tail of group-only sends."""
    return sorted(plans, key=lambda plan: len(plan.items) * interval(plan.chat_id), reverse=True)


def is_burst(plan: ChatPlan, interval: float, burst_seconds: float) -> bool:
    """An instant chat whose alerts would take longer than `burst_seconds` at its pace."""
    return plan.digest == DigestMode.OFF and len(plan.alerts) * interval > burst_seconds


def sections(alerts: Iterable[PlanItem]) -> list[DigestSection]:
    """Alerts grouped by their first watchlist, newest first; busiest-recent group first."""
    groups: dict[tuple[str, str], list[PlanItem]] = defaultdict(list)
    for item in alerts:
        groups[item.first_watchlist or ("", "Other")].append(item)
    found = []
    for (watchlist_id, title), items in groups.items():
        items.sort(key=lambda i: (i.newest is not None, i.newest, i.row_id), reverse=True)
        found.append(
            DigestSection(watchlist_id, title, [i.digest_item for i in items if i.digest_item])
        )
    newest = {id(s): groups[(s.watchlist_id, s.title)][0] for s in found}
    found.sort(key=lambda s: (newest[id(s)].newest is not None, newest[id(s)].newest), reverse=True)
    return found


def digest_heading(digest: DigestMode, count: int) -> str:
    articles = f"{count} article{'s' if count != 1 else ''}"
    if digest == DigestMode.OFF:
        return f"{articles} arrived at once"
    return f"Your {digest} digest: {articles}"
