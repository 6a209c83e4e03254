"""How the sender shares Telegram's overall rate among private chats and slower groups.

Checked where Telegram checks: the arrival times the local Bot API server records.
"""

from __future__ import annotations

import asyncio
import bisect
import itertools
import time
from typing import Any

from notifier.sender import Outcome, Outgoing, TelegramSender
from notifier.sender_pacing import Pacer
from tests.support.botapi import FakeBotApi

TELEGRAM_PER_SECOND = 30  # Telegram's own ceiling, counted as messages arrive
# Telegram's limits scaled up so the test takes seconds, keeping the proportions that matter:
# one round over every chat at the overall rate (50 chats / 100 per s = 0.5 s) takes a little
# longer than a group's interval (0.43 s), as 100 chats at 28/s (3.6 s) do against 3 s.
FAST: dict[str, Any] = {
    "overall_per_second": 100,
    "per_chat_interval": 0.1,
    "group_per_minute": 140,
    "timeout": 2.0,
}
PRIVATES = list(range(1, 46))
GROUPS = [-(100 + n) for n in range(5)]
PER_CHAT = 4


def most_in_window(times: list[float], width: float) -> int:
    """Most arrivals in any half-open window [t, t + width), as Telegram would count them."""
    ordered = sorted(times)
    return max(bisect.bisect_left(ordered, t + width) - i for i, t in enumerate(ordered))


async def send_queues(sender: TelegramSender, chats: list[int], per_chat: int) -> None:
    """Every chat's queue side by side, each in order: what delivery does."""

    async def queue(chat: int) -> None:
        for n in range(per_chat):
            result = await sender.send(Outgoing(chat, f"alert {n}"))
            assert result.outcome is Outcome.SENT

    await asyncio.gather(*(queue(chat) for chat in chats))


def test_groups_keep_pace_with_private_chats_within_every_limit(bot_api: FakeBotApi) -> None:
    async def scenario() -> None:
        async with TelegramSender(bot_api.token, bot_api.url, **FAST) as sender:
            # Groups last, as the outbox may list them: the sender must still not starve them.
            await send_queues(sender, PRIVATES + GROUPS, PER_CHAT)

    asyncio.run(scenario())

    arrivals = sorted(m["time"] for m in bot_api.sent)
    assert len(arrivals) == len(PRIVATES + GROUPS) * PER_CHAT
    group_interval = 60 / FAST["group_per_minute"]
    for chat in PRIVATES + GROUPS:
        received = bot_api.messages_to(chat)
        assert [m["plain_text"] for m in received] == [f"alert {n}" for n in range(PER_CHAT)]
        least = group_interval if chat < 0 else FAST["per_chat_interval"]
        gaps = [b["time"] - a["time"] for a, b in itertools.pairwise(received)]
        assert min(gaps) >= least * 0.99, (chat, min(gaps))
    assert most_in_window(arrivals, 1.0) <= FAST["overall_per_second"] * 1.05
    # A group's interval is shorter than a round over all chats, so nothing but the overall
    # rate should bound the run: groups finish with everyone else, not in a tail of their own.
    last_group = max(m["time"] for m in bot_api.sent if m["chat_id"] < 0)
    last_private = max(m["time"] for m in bot_api.sent if m["chat_id"] > 0)
    assert last_group - last_private < group_interval
    at_overall_rate = (len(arrivals) - 1) / FAST["overall_per_second"]
    assert arrivals[-1] - arrivals[0] < at_overall_rate * 1.15


def test_late_arrivals_do_not_bunch_above_telegrams_ceiling(bot_api: FakeBotApi) -> None:
    """Messages held up between leaving and arriving (a slow network, a stalled server) must
    not land together with the ones sent after them, above 30 in a second."""
    bot_api.delay_next("sendMessage", 0.4, times=6)

    async def scenario() -> None:
        # The default pace, 28 a second: the 2 messages of headroom below 30 are not enough.
        async with TelegramSender(
            bot_api.token, bot_api.url, per_chat_interval=0.0, timeout=2.0
        ) as sender:
            await send_queues(sender, list(range(1, 46)), 1)

    asyncio.run(scenario())

    arrivals = [m["time"] for m in bot_api.sent]
    assert len(arrivals) == 45
    assert most_in_window(arrivals, 1.0) <= TELEGRAM_PER_SECOND


def test_departures_never_exceed_the_ceiling_even_after_a_stall() -> None:
    """Callers that overslept together (a busy loop) still leave within the ceiling."""

    async def main() -> list[float]:
        pacer = Pacer()
        departures: list[float] = []

        async def send() -> None:
            await pacer.wait_all({"overall": 0.01})
            async with pacer.flight(5, window=0.2):
                departures.append(time.monotonic())

        tasks = [asyncio.create_task(send()) for _ in range(20)]
        time.sleep(0.15)  # the event loop stalls: every slot so far is overslept
        await asyncio.gather(*tasks)
        return departures

    departures = asyncio.run(main())
    assert len(departures) == 20
    for i, start in enumerate(departures):
        assert sum(1 for t in departures[i:] if t - start < 0.2 - 1e-3) <= 5
