"""`serve`'s delivery loop against the local Bot API server: rounds that overlap, chats that
keep one sender each, and alerts that do not wait for the next tick."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from newsradar.operations.metrics import Metrics
from newsradar.processes.serving.delivery_loop import DeliveryLoop
from notifier.sender import TelegramSender
from tests.support.botapi import FakeBotApi
from tests.support.newsroom import Newsroom

PRIVATE = 901


def test_an_alert_queued_while_its_chat_is_held_goes_out_when_the_round_ends(
    bot_api: FakeBotApi, tmp_path: Path
) -> None:
    """Telegram takes 2 s to answer the first alert; a second one for the same chat, queued
    meanwhile, is left by the rounds that start then (the chat has one sender at a time), and
    goes out as soon as the first round ends, not at the next tick (30 s here)."""
    room = Newsroom.create(
        tmp_path, [{"id": "iraq", "title": "Iraq", "query": "Iraq", "chats": [PRIVATE]}]
    )

    async def scenario() -> float:
        stopping = asyncio.Event()
        loop = DeliveryLoop(room.db, lambda: room.config, Metrics(), 30, stopping)
        async with TelegramSender(bot_api.token, bot_api.url) as sender:
            delivery = asyncio.create_task(loop.run(sender, False))
            room.add_article("Story 1 on Iraq")
            room.match()
            bot_api.delay_next("sendMessage", 2.0)
            loop.wake()
            await asyncio.sleep(0.5)  # the first round is waiting for Telegram's answer
            room.add_article("Story 2 on Iraq")
            room.match()
            queued = time.monotonic()
            loop.wake()  # as matching does
            while len(bot_api.messages_to(PRIVATE)) < 2 and time.monotonic() - queued < 20:
                await asyncio.sleep(0.1)
            took = time.monotonic() - queued
            stopping.set()
            loop.wake()
            await asyncio.wait_for(delivery, 10)
            return took

    took = asyncio.run(scenario())
    texts = [m["plain_text"] for m in bot_api.messages_to(PRIVATE)]
    assert len(texts) == 2 and "Story 1" in texts[0] and "Story 2" in texts[1]
    assert took < 5  # 1.5 s left of the first answer, then the chat's 1 s pace
