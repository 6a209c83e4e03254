"""Delivering one message to one chat, at Telegram's pace, with a precise account of the result.

The sender knows nothing of the outbox: it answers with an Outcome so the caller can decide to
mark the alert delivered, try again later, drop the chat or follow a group's migration. It never
reports SENT unless Telegram accepted the message, and the bot token never leaves it: not in
log lines, not in exception text, not in SendResult.error.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import itertools
import logging
import math
import sys
import warnings
from dataclasses import dataclass
from datetime import timedelta
from types import TracebackType
from typing import Protocol, TextIO

import httpx
from telegram import Bot, InlineKeyboardMarkup, LinkPreviewOptions, Message
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
)
from telegram.request import HTTPXRequest
from telegram.warnings import PTBDeprecationWarning

from notifier.redaction import protect_token, redact
from notifier.sender_pacing import Pacer

logger = logging.getLogger(__name__)

# The HTTP client logs every request URL, and Bot API URLs carry the token.
logging.getLogger("httpx").setLevel(logging.WARNING)

DEFAULT_API_URL = "https://api.telegram.org"
_CHAT_GONE_BAD_REQUESTS = (
    "chat not found",
    "peer_id_invalid",
    "group chat was deactivated",
    "user not found",
)
_MAX_BACKOFF = 30.0
# Telegram allows about 30 messages a second; the default pace of 28 keeps 2 below it.
_DEFAULT_PACE = 28
_CEILING_HEADROOM = 2
_PACER_PRUNE_SIZE = 10_000


class Outcome(enum.Enum):
    SENT = "sent"
    RETRY_LATER = "retry_later"  # Telegram unreachable, overloaded or flooded: keep the alert
    CHAT_GONE = "chat_gone"  # blocked, kicked or chat not found: stop sending to this chat
    REJECTED = "rejected"  # Telegram refused this message itself: retrying will not help
    MIGRATED = "migrated"  # the group became a supergroup: resend to new_chat_id
    # The request was written and its answer lost (reset, or no answer within the time-out):
    # Telegram may have delivered it, so it is not retried here (see OutboxStatus.UNCERTAIN).
    UNCERTAIN = "uncertain"
    UNAUTHORIZED = "unauthorized"  # the token is unknown or revoked: nothing can be sent
    PRINTED = "printed"  # no token: printed on a terminal, not delivered to the chat


@dataclass(frozen=True)
class Outgoing:
    """One message; `text` is Telegram HTML (parse_mode=HTML) for TelegramSender."""

    chat_id: int
    text: str
    reply_markup: InlineKeyboardMarkup | None = None


@dataclass(frozen=True)
class SendResult:
    outcome: Outcome
    message_id: int | None = None
    new_chat_id: int | None = None
    error: str | None = None  # never contains the token
    retry_after: float | None = None  # seconds Telegram asked to wait, when it did


class Sender(Protocol):
    async def send(self, message: Outgoing) -> SendResult: ...


_OVERALL = "overall"


class TelegramSender:
    """Sends through the Bot API; use as an async context manager."""

    def __init__(
        self,
        token: str,
        api_url: str = DEFAULT_API_URL,
        *,
        overall_per_second: float = _DEFAULT_PACE,
        per_chat_interval: float = 1.0,
        group_per_minute: int = 20,
        max_attempts: int = 4,
        timeout: float = 10.0,
        retry_backoff: float = 1.0,
        max_retry_after: float = 60.0,
    ) -> None:
        """`retry_backoff` is the first pause after a network error (doubling after each);
        a 429 asking to wait longer than `max_retry_after` is returned as RETRY_LATER at once.

        Telegram's ceiling is about 30 messages a second, counted as they arrive; sending at 28
        leaves room for the network's jitter, which bunches departures up on arrival. Whatever
        the jitter, no more than the pace plus that headroom (30) can arrive in one second."""
        if not token:
            raise ValueError("a bot token is required")
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        protect_token(token)
        self._token = token
        self._overall_interval = 1.0 / overall_per_second if overall_per_second > 0 else 0.0
        self._arrival_ceiling = math.ceil(overall_per_second) + _CEILING_HEADROOM
        self._chat_interval = per_chat_interval
        self._group_interval = 60.0 / group_per_minute if group_per_minute > 0 else 0.0
        self._max_attempts = max_attempts
        self._retry_backoff = retry_backoff
        self._max_retry_after = max_retry_after
        base = api_url.rstrip("/")
        # The bot client wants a second connection pool for polling; this one is never used.
        self._requests = (
            HTTPXRequest(
                connect_timeout=timeout,
                read_timeout=timeout,
                write_timeout=timeout,
                pool_timeout=timeout,
            ),
            HTTPXRequest(connection_pool_size=1),
        )
        self._bot = Bot(
            token,
            base_url=f"{base}/bot",
            base_file_url=f"{base}/file/bot",
            request=self._requests[0],
            get_updates_request=self._requests[1],
        )
        self._pacer = Pacer()
        self._chat_locks: dict[int, asyncio.Lock] = {}
        self._chat_users: dict[int, int] = {}
        self._started = False

    async def __aenter__(self) -> TelegramSender:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def start(self) -> None:
        """Open the HTTP connection pool; no request is made, so this works offline."""
        if not self._started:
            await asyncio.gather(*(request.initialize() for request in self._requests))
            self._started = True

    async def close(self) -> None:
        if self._started:
            await asyncio.gather(*(request.shutdown() for request in self._requests))
            self._started = False

    def interval_for(self, chat_id: int) -> float:
        """Seconds between two messages to this chat at the pace this sender keeps."""
        group = self._group_interval if chat_id < 0 else 0.0
        return max(self._chat_interval, group, self._overall_interval)

    async def send(self, message: Outgoing) -> SendResult:
        """Deliver one message; messages to one chat go out one at a time, in call order."""
        if not self._started:
            await self.start()
        chat_id = message.chat_id
        lock = self._chat_locks.setdefault(chat_id, asyncio.Lock())
        self._chat_users[chat_id] = self._chat_users.get(chat_id, 0) + 1
        try:
            async with lock:
                return await self._send_with_retries(message)
        finally:
            self._chat_users[chat_id] -= 1
            if not self._chat_users[chat_id]:
                del self._chat_users[chat_id], self._chat_locks[chat_id]
            if len(self._pacer) > _PACER_PRUNE_SIZE:
                self._pacer.forget_idle()

    async def _send_with_retries(self, message: Outgoing) -> SendResult:
        error = "not attempted"
        for attempt in range(1, self._max_attempts + 1):
            await self._wait_for_slot(message.chat_id)
            try:
                sent = await self._send_once(message)
            except RetryAfter as exc:
                error = self._describe(exc)
                gave_up = await self._wait_out_flood(exc, error, last=attempt == self._max_attempts)
                if gave_up is not None:
                    return gave_up
            except (ChatMigrated, Forbidden, InvalidToken, BadRequest) as exc:
                return self._final_result(exc)
            except (NetworkError, TelegramError) as exc:  # timeouts, 5xx, connection failures
                error = self._describe(exc)
                if answer_lost(exc):
                    return SendResult(Outcome.UNCERTAIN, error=error)
                if attempt < self._max_attempts:
                    await self._back_off(message.chat_id, error, attempt)
            else:
                return SendResult(Outcome.SENT, message_id=sent.message_id)
        return SendResult(Outcome.RETRY_LATER, error=error)

    async def _wait_out_flood(
        self, exc: RetryAfter, error: str, *, last: bool
    ) -> SendResult | None:
        """Honour a 429: hold every chat for the time asked and wait it out before the next try;
        too long a wait, or none left to try, gives the alert back for later."""
        wait = _retry_after_seconds(exc)
        # Flood control usually covers the whole bot: hold every chat, not just this one.
        self._pacer.hold(_OVERALL, wait)
        if wait > self._max_retry_after or last:
            return SendResult(Outcome.RETRY_LATER, error=error, retry_after=wait)
        logger.info("Telegram asked to wait %.1fs before sending again", wait)
        await asyncio.sleep(wait)
        return None

    async def _back_off(self, chat_id: int, error: str, attempt: int) -> None:
        """Pause before retrying a network error, doubling the pause after each failure."""
        pause = min(self._retry_backoff * 2 ** (attempt - 1), _MAX_BACKOFF)
        logger.info(
            "sending to chat %s failed (%s); retry %d in %.2fs", chat_id, error, attempt, pause
        )
        await asyncio.sleep(pause)

    def _final_result(
        self, exc: ChatMigrated | Forbidden | InvalidToken | BadRequest
    ) -> SendResult:
        """The outcome of an answer that retrying at once cannot change."""
        error = self._describe(exc)
        if isinstance(exc, ChatMigrated):
            return SendResult(Outcome.MIGRATED, new_chat_id=int(exc.new_chat_id), error=error)
        if isinstance(exc, Forbidden):
            return SendResult(Outcome.CHAT_GONE, error=error)
        if isinstance(exc, InvalidToken):
            # A configuration problem: nothing can be sent until the token is fixed.
            return SendResult(Outcome.UNAUTHORIZED, error=error)
        lowered = exc.message.lower()
        if any(reason in lowered for reason in _CHAT_GONE_BAD_REQUESTS):
            return SendResult(Outcome.CHAT_GONE, error=error)
        return SendResult(Outcome.REJECTED, error=error)

    async def _send_once(self, message: Outgoing) -> Message:
        try:
            async with self._in_flight():
                return await self._bot.send_message(
                    chat_id=message.chat_id,
                    text=message.text,
                    parse_mode=ParseMode.HTML,
                    link_preview_options=LinkPreviewOptions(is_disabled=True),
                    reply_markup=message.reply_markup,
                )
        finally:
            # Telegram counts arrivals, and network delays vary: the next message to this chat
            # leaves a full interval after this one was answered, not merely after it left.
            self._pacer.hold(("chat", message.chat_id), self._chat_interval)
            if message.chat_id < 0:
                self._pacer.hold(("group", message.chat_id), self._group_interval)

    async def _wait_for_slot(self, chat_id: int) -> None:
        own: dict[object, float] = {("chat", chat_id): self._chat_interval}
        if chat_id < 0:
            own[("group", chat_id)] = self._group_interval
        await self._pacer.wait_all(own, (_OVERALL, self._overall_interval))

    def _in_flight(self) -> contextlib.AbstractAsyncContextManager[None]:
        """Counts the message against the overall ceiling until a second after its answer."""
        if self._overall_interval <= 0:
            return contextlib.nullcontext()
        return self._pacer.flight(self._arrival_ceiling)

    def _describe(self, exc: BaseException) -> str:
        return redact(f"{type(exc).__name__}: {exc}", self._token)


# The request went out whole and no answer came back: Telegram may well have delivered it.
_ANSWER_LOST = (httpx.ReadTimeout, httpx.ReadError, httpx.RemoteProtocolError)


def answer_lost(exc: BaseException) -> bool:
    """Whether the error came after the request was written (connection reset or closed while
    waiting for the answer, or the answer later than the time-out), not before it left."""
    return isinstance(exc.__cause__, _ANSWER_LOST)


def _retry_after_seconds(exc: RetryAfter) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    if isinstance(value, timedelta):
        return value.total_seconds()
    return float(value)


class StdoutSender:
    """Prints messages instead of sending them (no bot token configured); always PRINTED:
    the chat has not received them, and the outbox records that."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream
        self._message_ids = itertools.count(1)

    async def __aenter__(self) -> StdoutSender:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None

    async def send(self, message: Outgoing) -> SendResult:
        stream = self._stream if self._stream is not None else sys.stdout
        stream.write(f"--- to chat {message.chat_id} ---\n{message.text.rstrip()}\n\n")
        stream.flush()
        return SendResult(Outcome.PRINTED, message_id=next(self._message_ids))
