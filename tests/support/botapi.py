"""A Telegram Bot API server on localhost that the real bot client talks to over HTTP.

It answers the methods newsradar uses the way the Bot API documents them, validates HTML messages
as Telegram does, and lets tests inject failures, slow answers and incoming updates. It runs in a
thread with its own event loop so both synchronous and asynchronous tests can use it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import struct
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from tests.support.background import BackgroundServer
from tests.support.telegram_html import (
    MAX_MESSAGE_UTF16,
    HtmlParseError,
    parse_html,
    utf16_length,
)

# Form fields that are plain strings even when they look like JSON (e.g. a text "123").
_STRING_FIELDS = frozenset(
    {
        "text",
        "caption",
        "parse_mode",
        "callback_query_id",
        "url",
        "language_code",
        "inline_message_id",
        "description",
        "short_description",
        "name",
        "secret_token",
    }
)
SUPERGROUP_ID_LIMIT = -1_000_000_000_000


class ApiError(Exception):
    """An error answer: HTTP status plus Telegram's description and parameters."""

    def __init__(self, status: int, description: str, parameters: dict | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters


@dataclass
class _Failure:
    method: str
    status: int
    description: str
    times: int
    parameters: dict | None
    chat_id: int | None


@dataclass
class _Delay:
    method: str
    seconds: float
    times: int


@dataclass
class _LostAnswer:
    """A call processed (a message delivered) whose answer never reaches the client."""

    method: str
    hang: float | None  # None: the connection is reset; else held this long (or until closed)
    times: int


def chat_object(chat_id: int) -> dict[str, Any]:
    """A Chat whose type follows the id's sign, as Telegram assigns ids."""
    if chat_id > 0:
        return {"id": chat_id, "type": "private", "first_name": "User", "username": f"u{chat_id}"}
    if chat_id <= SUPERGROUP_ID_LIMIT:
        return {"id": chat_id, "type": "supergroup", "title": f"Supergroup {chat_id}"}
    return {"id": chat_id, "type": "group", "title": f"Group {chat_id}"}


class FakeBotApi(BackgroundServer):
    """Bot API server on 127.0.0.1; use as a context manager or call start()/stop()."""

    thread_name = "fake-bot-api"

    def __init__(self, token: str = "123456:TEST-token") -> None:
        super().__init__()
        self.token = token
        self.url = ""
        self.sent: list[dict] = []
        self.requests: list[tuple[str, dict]] = []
        self.bot_user = {
            "id": int(token.split(":", 1)[0]) if token.split(":", 1)[0].isdigit() else 1,
            "is_bot": True,
            "first_name": "Newsradar",
            "username": "newsradar_test_bot",
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }
        self._lock = threading.Lock()
        self._failures: list[_Failure] = []
        self._delays: list[_Delay] = []
        self._lost_answers: list[_LostAnswer] = []
        self.token_refused = False  # every call answered 401, as for a revoked token
        self._updates: list[dict] = []
        self._next_update_id = 1
        self._next_message_id: dict[int, int] = {}
        self._messages: dict[tuple[int, int], dict] = {}
        self._commands: dict[str, list[dict]] = {}
        # Group admins by chat; a group not listed here treats every member as an admin.
        self.admins: dict[int, set[int]] = {}
        self._next_callback_id = 1
        self._new_update: asyncio.Event | None = None
        self._closing = False

    # ----- lifecycle -------------------------------------------------------------------------
    async def _setup(self) -> None:
        self._new_update = asyncio.Event()
        app = web.Application()
        app.router.add_route("*", "/{bot_path}/{method}", self._handle)
        runner = await self._serve(app)
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}"

    def _on_stop(self) -> None:
        """Long polls answer at once, so closing the connections need not wait for them."""
        self._closing = True
        self._wake_pollers()

    # ----- test controls ---------------------------------------------------------------------
    def messages_to(self, chat_id: int) -> list[dict]:
        """Accepted sendMessage calls addressed to one chat, oldest first."""
        return [message for message in list(self.sent) if message["chat_id"] == chat_id]

    def calls(self, method: str) -> list[dict]:
        """Parameters of every call of one method (accepted or not), oldest first."""
        wanted = method.lower()
        return [params for name, params in list(self.requests) if name.lower() == wanted]

    def fail_next(
        self,
        method: str,
        *,
        status: int,
        description: str,
        times: int = 1,
        retry_after: int | None = None,
        migrate_to_chat_id: int | None = None,
        chat_id: int | None = None,
    ) -> None:
        """Answer the next `times` calls of `method` (to `chat_id`, if given) with an error."""
        parameters: dict[str, int] = {}
        if retry_after is not None:
            parameters["retry_after"] = retry_after
        if migrate_to_chat_id is not None:
            parameters["migrate_to_chat_id"] = migrate_to_chat_id
        failure = _Failure(method.lower(), status, description, times, parameters or None, chat_id)
        with self._lock:
            self._failures.append(failure)

    def delay_next(self, method: str, seconds: float, times: int = 1) -> None:
        """Hold the next calls of `method` before answering; a call whose client gave up
        meanwhile is dropped unprocessed, as if it never reached Telegram."""
        with self._lock:
            self._delays.append(_Delay(method.lower(), seconds, times))

    def lose_answer_next(self, method: str, *, times: int = 1, hang: float | None = None) -> None:
        """Process the next `times` calls of `method` (a message is delivered), then lose the
        answer: reset the connection, or with `hang` hold it that many seconds (past the client's
        time-out) or until the client gives up."""
        with self._lock:
            self._lost_answers.append(_LostAnswer(method.lower(), hang, times))

    def push_update(self, update: dict) -> dict:
        """Queue an incoming update for getUpdates; an update_id is assigned when missing."""
        with self._lock:
            if "update_id" not in update:
                update = {"update_id": self._next_update_id, **update}
            self._next_update_id = max(self._next_update_id, update["update_id"]) + 1
            self._updates.append(update)
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._wake_pollers)
        return update

    def push_message(
        self, chat_id: int, text: str, *, user_id: int | None = None, first_name: str = "Tester"
    ) -> dict:
        """Queue a user's message (a command like "/start" gets its bot_command entity)."""
        sender_id = user_id if user_id is not None else (chat_id if chat_id > 0 else 1000)
        message: dict[str, Any] = {
            "message_id": self._take_message_id(chat_id),
            "date": int(time.time()),
            "chat": chat_object(chat_id),
            "from": {"id": sender_id, "is_bot": False, "first_name": first_name},
            "text": text,
        }
        if text.startswith("/"):
            command = text.split(maxsplit=1)[0]
            message["entities"] = [
                {"type": "bot_command", "offset": 0, "length": utf16_length(command)}
            ]
        return self.push_update({"message": message})

    def push_callback_query(
        self, chat_id: int, data: str, *, message_id: int, user_id: int | None = None
    ) -> dict:
        """Queue a button press on a message the bot sent earlier."""
        sender_id = user_id if user_id is not None else (chat_id if chat_id > 0 else 1000)
        with self._lock:
            callback_id = str(self._next_callback_id)
            self._next_callback_id += 1
            message = self._messages.get((chat_id, message_id)) or {
                "message_id": message_id,
                "date": int(time.time()),
                "chat": chat_object(chat_id),
                "from": self.bot_user,
                "text": "",
            }
        query = {
            "id": callback_id,
            "from": {"id": sender_id, "is_bot": False, "first_name": "Tester"},
            "chat_instance": str(chat_id),
            "data": data,
            "message": message,
        }
        return self.push_update({"callback_query": query})

    # ----- HTTP --------------------------------------------------------------------------------
    async def _handle(self, request: web.Request) -> web.Response:
        if self.token_refused or request.match_info["bot_path"] != f"bot{self.token}":
            return _error_response(ApiError(401, "Unauthorized"))
        method = request.match_info["method"]
        try:
            params = await _read_params(request)
        except ValueError as exc:
            return _error_response(ApiError(400, f"Bad Request: {exc}"))
        self.requests.append((method, params))

        delay = self._take(self._delays, method.lower(), None)
        if delay is not None:
            await asyncio.sleep(delay.seconds)
            transport = request.transport
            if transport is None or transport.is_closing():
                return web.Response(status=499)

        failure = self._take(self._failures, method.lower(), params.get("chat_id"))
        if failure is not None:
            # "{path}" in a description echoes the request path, token and all, as some
            # proxies and self-hosted servers do.
            description = failure.description.replace("{path}", request.path)
            return _error_response(ApiError(failure.status, description, failure.parameters))

        handler = self._methods().get(method.lower())
        if handler is None:
            return _error_response(ApiError(404, "Not Found"))
        try:
            result = await handler(params)
        except ApiError as exc:
            return _error_response(exc)
        lost = self._take(self._lost_answers, method.lower(), None)
        if lost is not None:
            await _lose_answer(request, lost.hang)
            return web.Response(status=499)
        return web.json_response({"ok": True, "result": result})

    def _take(self, rules: list[Any], method: str, chat_id: object) -> Any:
        with self._lock:
            for rule in rules:
                chat_matches = getattr(rule, "chat_id", None) in (None, chat_id)
                if rule.method == method and chat_matches:
                    rule.times -= 1
                    if rule.times <= 0:
                        rules.remove(rule)
                    return rule
        return None

    def _methods(self) -> dict[str, Callable[[dict], Awaitable[Any]]]:
        return {
            "getme": self._get_me,
            "sendmessage": self._send_message,
            "setmycommands": self._set_my_commands,
            "getmycommands": self._get_my_commands,
            "deletemycommands": self._delete_my_commands,
            "deletewebhook": self._true,
            "getupdates": self._get_updates,
            "answercallbackquery": self._true,
            "editmessagereplymarkup": self._edit_reply_markup,
            "editmessagetext": self._edit_text,
            "deletemessage": self._delete_message,
            "sendchataction": self._true,
            "getchatmember": self._get_chat_member,
        }

    # ----- methods -----------------------------------------------------------------------------
    async def _true(self, params: dict) -> bool:
        return True

    async def _get_me(self, params: dict) -> dict:
        return self.bot_user

    async def _get_chat_member(self, params: dict) -> dict:
        chat_id, user_id = _chat_id(params), int(params["user_id"])
        admins = self.admins.get(chat_id)
        status = "administrator" if admins is None or user_id in admins else "member"
        member: dict[str, Any] = {
            "status": status,
            "user": {"id": user_id, "is_bot": False, "first_name": "Tester"},
        }
        if status == "administrator":
            member.update(
                {
                    flag: True
                    for flag in (
                        "can_be_edited",
                        "is_anonymous",
                        "can_manage_chat",
                        "can_delete_messages",
                        "can_manage_video_chats",
                        "can_restrict_members",
                        "can_promote_members",
                        "can_change_info",
                        "can_invite_users",
                        "can_post_stories",
                        "can_edit_stories",
                        "can_delete_stories",
                    )
                }
            )
            member["can_be_edited"] = member["is_anonymous"] = False
        return member

    async def _send_message(self, params: dict) -> dict:
        chat_id = _chat_id(params)
        raw_text = params.get("text")
        if not isinstance(raw_text, str) or not raw_text.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        text, entities = _parse_text(raw_text, params.get("parse_mode"))
        message: dict[str, Any] = {
            "message_id": self._take_message_id(chat_id),
            "from": self.bot_user,
            "chat": chat_object(chat_id),
            "date": int(time.time()),
            "text": text,
        }
        if entities:
            message["entities"] = entities
        if params.get("reply_markup"):
            message["reply_markup"] = params["reply_markup"]
        with self._lock:
            self._messages[(chat_id, message["message_id"])] = message
        self.sent.append(
            {
                "chat_id": chat_id,
                "text": raw_text,
                "plain_text": text,
                "parse_mode": params.get("parse_mode"),
                "reply_markup": params.get("reply_markup"),
                "link_preview_options": params.get("link_preview_options"),
                "message_id": message["message_id"],
                "time": time.monotonic(),
            }
        )
        return message

    async def _set_my_commands(self, params: dict) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise ApiError(400, 'Bad Request: parameter "commands" is required')
        with self._lock:
            self._commands[_commands_key(params)] = commands
        return True

    async def _get_my_commands(self, params: dict) -> list[dict]:
        with self._lock:
            return list(self._commands.get(_commands_key(params), []))

    async def _delete_my_commands(self, params: dict) -> bool:
        with self._lock:
            self._commands.pop(_commands_key(params), None)
        return True

    async def _get_updates(self, params: dict) -> list[dict]:
        offset = int(params.get("offset") or 0)
        limit = max(1, min(100, int(params.get("limit") or 100)))
        deadline = time.monotonic() + float(params.get("timeout") or 0)
        while True:
            with self._lock:
                if offset > 0:
                    self._updates = [u for u in self._updates if u["update_id"] >= offset]
                    ready = self._updates[:limit]
                elif offset < 0:
                    ready = self._updates[offset:][:limit]
                else:
                    ready = self._updates[:limit]
            remaining = deadline - time.monotonic()
            if ready or remaining <= 0 or self._closing or self._new_update is None:
                return ready
            event = self._new_update
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), remaining)

    async def _edit_reply_markup(self, params: dict) -> dict | bool:
        message = self._stored_message(params)
        markup = params.get("reply_markup")
        if message.get("reply_markup") == markup or (not markup and "reply_markup" not in message):
            raise ApiError(
                400,
                "Bad Request: message is not modified: specified new message content and reply "
                "markup are exactly the same as a current content and reply markup of the message",
            )
        if markup:
            message["reply_markup"] = markup
        else:
            message.pop("reply_markup", None)
        return message

    async def _edit_text(self, params: dict) -> dict:
        message = self._stored_message(params)
        raw_text = params.get("text")
        if not isinstance(raw_text, str) or not raw_text.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        text, entities = _parse_text(raw_text, params.get("parse_mode"))
        message["text"] = text
        message["edit_date"] = int(time.time())
        if entities:
            message["entities"] = entities
        else:
            message.pop("entities", None)
        if params.get("reply_markup"):
            message["reply_markup"] = params["reply_markup"]
        return message

    async def _delete_message(self, params: dict) -> bool:
        chat_id = _chat_id(params)
        with self._lock:
            if self._messages.pop((chat_id, int(params.get("message_id") or 0)), None) is None:
                raise ApiError(400, "Bad Request: message to delete not found")
        return True

    # ----- helpers -----------------------------------------------------------------------------
    def _stored_message(self, params: dict) -> dict:
        chat_id = _chat_id(params)
        with self._lock:
            message = self._messages.get((chat_id, int(params.get("message_id") or 0)))
        if message is None:
            raise ApiError(400, "Bad Request: message to edit not found")
        return message

    def _take_message_id(self, chat_id: int) -> int:
        with self._lock:
            message_id = self._next_message_id.get(chat_id, 0) + 1
            self._next_message_id[chat_id] = message_id
        return message_id

    def _wake_pollers(self) -> None:
        if self._new_update is not None:
            event, self._new_update = self._new_update, asyncio.Event()
            event.set()


async def _lose_answer(request: web.Request, hang: float | None) -> None:
    """Reset the connection (RST, not a clean close), or hold it without a word."""
    transport = request.transport
    if transport is None:
        return
    if hang is None:
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        transport.abort()
        return
    deadline = time.monotonic() + hang
    while time.monotonic() < deadline and not transport.is_closing():
        await asyncio.sleep(0.05)


def _parse_text(raw_text: str, parse_mode: object) -> tuple[str, list[dict]]:
    if isinstance(parse_mode, str) and parse_mode.lower() == "html":
        try:
            parsed = parse_html(raw_text)
        except HtmlParseError as exc:
            raise ApiError(400, str(exc)) from exc
        text, entities = parsed.text, parsed.entities
    else:
        text, entities = raw_text, []
    if utf16_length(text) > MAX_MESSAGE_UTF16:
        raise ApiError(400, "Bad Request: message is too long")
    if not text.strip():
        raise ApiError(400, "Bad Request: message text is empty")
    return text, entities


def _chat_id(params: dict) -> int:
    chat_id = params.get("chat_id")
    if chat_id in (None, ""):
        raise ApiError(400, "Bad Request: chat_id is empty")
    if isinstance(chat_id, bool) or not isinstance(chat_id, int):
        raise ApiError(400, "Bad Request: chat not found")
    return chat_id


def _commands_key(params: dict) -> str:
    scope = params.get("scope") or {"type": "default"}
    return json.dumps([scope, params.get("language_code") or ""], sort_keys=True)


async def _read_params(request: web.Request) -> dict[str, Any]:
    params: dict[str, Any] = {
        key: _decode_field(key, value) for key, value in request.query.items()
    }
    if not request.can_read_body:
        return params
    if request.content_type == "application/json":
        body = await request.json()
        if not isinstance(body, dict):
            raise ValueError("request body must be a JSON object")
        params.update(body)
        return params
    form = await request.post()
    for key, value in form.items():
        if isinstance(value, str):
            params[key] = _decode_field(key, value)
    return params


def _decode_field(key: str, value: str) -> Any:
    """Form values are JSON-serialised by clients except for plain strings."""
    if key in _STRING_FIELDS:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def _error_response(error: ApiError) -> web.Response:
    body: dict[str, Any] = {
        "ok": False,
        "error_code": error.status,
        "description": error.description,
    }
    if error.parameters:
        body["parameters"] = error.parameters
    return web.json_response(body, status=error.status)
