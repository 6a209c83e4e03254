"""Delivering one message to one chat, at Telegram's pace, with a precise account of the result.

The sender knows nothing of the outbox: it answers with an Outcome so the caller can decide to
mark the alert delivered, try again later, drop the chat or follow a group's migration. It never
reports SENT unless Telegram accepted the message, and the bot token never leaves it: not in
log lines, not in exception text, not in SendResult.error.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import enum
import itertools
import logging
import math
import sys
import time
import warnings
from collections.abc import AsyncIterator, Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from types import TracebackType
from typing import Protocol, TextIO

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

from notifier.redaction import redact

logger = logging.getLogger(__name__)

# The HTTP client logs every request URL, and Bot API URLs carry the token.
logging.getLogger("httpx").setLevel(logging.WARNING)

DEFAULT_API_URL = "https://api.telegram.org"
# Loggers of the bot client and its HTTP stack that may see URLs or tokens.
CLIENT_LOGGERS = (
    "telegram",
    "telegram.Bot",
    "telegram.ext.ExtBot",
    "telegram.ext.Application",
    "telegram.ext.Updater",
    "telegram.request.BaseRequest",
    "telegram.request.HTTPXRequest",
    "httpx",
    "httpcore.connection",
    "httpcore.http11",
    "httpcore.http2",
    "httpcore.proxy",
    "httpcore.socks",
)
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


class _RedactingFilter(logging.Filter):
    """Rewrites records of the client loggers so that no registered token is emitted."""

    def __init__(self) -> None:
        super().__init__("newsradar-token-redaction")
        self.tokens: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.tokens:
            return True
        message = record.getMessage()
        cleaned = self._clean(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info:
            formatted = logging.Formatter().formatException(record.exc_info)
            record.exc_text = self._clean(formatted)
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = self._clean(record.exc_text)
        return True

    def _clean(self, text: str) -> str:
        for token in self.tokens:
            text = redact(text, token)
        return text


_REDACTION = _RedactingFilter()


def protect_token(token: str, loggers: Iterable[str] = CLIENT_LOGGERS) -> None:
    """Keep `token` out of everything the bot client and its HTTP stack log.

    Call before creating any Bot or Application that uses the token (the bot client logs its
    API URL when it is created)."""
    if token:
        _REDACTION.tokens.add(token)
    for name in loggers:
        named = logging.getLogger(name)
        if _REDACTION not in named.filters:
            named.addFilter(_REDACTION)


@dataclass
class _Flight:
    """One message from leaving to its answer: Telegram saw it arrive somewhere in between."""

    landed: float = math.inf  # until answered, it may yet arrive at any moment


class _Pacer:
    """Hands out send slots so that every rate limit holds: each key gets one slot per interval.

    Slots are reserved before sleeping, so concurrent callers queue up instead of racing."""

    def __init__(self) -> None:
        self._next_slot: dict[object, float] = {}
        self._timetable: list[float] = []  # shared slots taken, in time order
        self._flights: list[_Flight] = []
        self._gate = asyncio.Lock()
        self._landed = asyncio.Event()

    async def wait_all(
        self, own: Mapping[object, float], shared: tuple[object, float] | None = None
    ) -> None:
        """Sleep until the slot `reserve` hands out."""
        delay = self.reserve(own, shared) - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)

    def reserve(
        self, own: Mapping[object, float], shared: tuple[object, float] | None = None
    ) -> float:
        """Take the next slot of every `own` key and the first free `shared` slot no earlier.

        Taking both at once orders messages by when they can really leave: a group waiting out
        its interval already holds its place in the shared rate, instead of queueing behind
        every chat that came due meanwhile, and those chats fill the gaps before it."""
        now = time.monotonic()
        slot = max([now, *(self._next_slot.get(k, now) for k, i in own.items() if i > 0)])
        if shared is not None and shared[1] > 0:
            key, spacing = shared
            slot = self._book(max(slot, self._next_slot.get(key, slot)), spacing, now)
        for key, interval in own.items():
            if interval > 0:
                self._next_slot[key] = slot + interval
        return slot

    def _book(self, ready: float, spacing: float, now: float) -> float:
        """The first moment from `ready` at least `spacing` from every shared slot taken."""
        del self._timetable[: bisect.bisect_left(self._timetable, now - spacing)]
        index = bisect.bisect_left(self._timetable, ready)
        slot = max(ready, self._timetable[index - 1] + spacing) if index else ready
        while index < len(self._timetable) and self._timetable[index] < slot + spacing:
            slot = self._timetable[index] + spacing
            index += 1
        self._timetable.insert(index, slot)
        return slot

    @contextlib.asynccontextmanager
    async def flight(self, limit: int, window: float = 1.0) -> AsyncIterator[None]:
        """At most `limit` messages may arrive in any `window` seconds, wherever in its flight
        each one arrives.

        A message counts from leaving until `window` after its answer: slots alone let
        messages that overslept (a busy event loop) leave together, and counting departures
        alone lets a message held up on the way land together with the ones sent after it."""
        async with self._gate:
            while self._in_window(window) >= limit:
                await self._one_less(window)
            flight = _Flight()
            self._flights.append(flight)
        try:
            yield
        finally:
            flight.landed = time.monotonic()
            self._landed.set()

    def _in_window(self, window: float) -> int:
        now = time.monotonic()
        self._flights = [f for f in self._flights if f.landed + window > now]
        return len(self._flights)

    async def _one_less(self, window: float) -> None:
        """Wait until the earliest-answered message stops counting, or one is answered."""
        first = min(flight.landed for flight in self._flights)
        if first == math.inf:
            self._landed.clear()
            await self._landed.wait()
        else:
            await asyncio.sleep(first + window - time.monotonic())

    def hold(self, key: object, seconds: float) -> None:
        """Push the next slot of `key` at least `seconds` into the future."""
        if seconds <= 0:
            return
        until = time.monotonic() + seconds
        self._next_slot[key] = max(self._next_slot.get(key, until), until)

    def __len__(self) -> int:
        return len(self._next_slot)

    def forget_idle(self) -> None:
        """Drop keys whose next slot has passed: they no longer constrain anyone."""
        now = time.monotonic()
        for key in [k for k, slot in self._next_slot.items() if slot < now]:
            del self._next_slot[key]


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
        self._pacer = _Pacer()
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
                wait = _retry_after_seconds(exc)
                error = self._describe(exc)
                # Flood control usually covers the whole bot: hold every chat, not just this one.
                self._pacer.hold(_OVERALL, wait)
                if wait > self._max_retry_after or attempt == self._max_attempts:
                    return SendResult(Outcome.RETRY_LATER, error=error, retry_after=wait)
                logger.info("Telegram asked to wait %.1fs before sending again", wait)
                await asyncio.sleep(wait)
            except ChatMigrated as exc:
                return SendResult(
                    Outcome.MIGRATED, new_chat_id=int(exc.new_chat_id), error=self._describe(exc)
                )
            except Forbidden as exc:
                return SendResult(Outcome.CHAT_GONE, error=self._describe(exc))
            except InvalidToken as exc:
                # A configuration problem: nothing can be sent until the token is fixed.
                return SendResult(Outcome.RETRY_LATER, error=self._describe(exc))
            except BadRequest as exc:
                lowered = exc.message.lower()
                if any(reason in lowered for reason in _CHAT_GONE_BAD_REQUESTS):
                    return SendResult(Outcome.CHAT_GONE, error=self._describe(exc))
                return SendResult(Outcome.REJECTED, error=self._describe(exc))
            except (NetworkError, TelegramError) as exc:  # timeouts, 5xx, connection failures
                error = self._describe(exc)
                if attempt < self._max_attempts:
                    pause = min(self._retry_backoff * 2 ** (attempt - 1), _MAX_BACKOFF)
                    logger.info(
                        "sending to chat %s failed (%s); retry %d in %.2fs",
                        message.chat_id,
                        error,
                        attempt,
                        pause,
                    )
                    await asyncio.sleep(pause)
            else:
                return SendResult(Outcome.SENT, message_id=sent.message_id)
        return SendResult(Outcome.RETRY_LATER, error=error)

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
        own = {("chat", chat_id): self._chat_interval}
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


def _retry_after_seconds(exc: RetryAfter) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    if isinstance(value, timedelta):
        return value.total_seconds()
    return float(value)


class StdoutSender:
    """Prints messages instead of sending them (no bot token configured); always SENT."""

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
        return SendResult(Outcome.SENT, message_id=next(self._message_ids))
