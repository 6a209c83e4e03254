"""An aiohttp application served from its own event loop in a daemon thread.

Local test and benchmark servers run this way so that synchronous and asynchronous callers alike
reach them over real sockets, and a caller's own event loop never has to serve them.
"""

from __future__ import annotations

import asyncio
import threading
from types import TracebackType
from typing import ClassVar, Self

from aiohttp import web


class BackgroundServer:
    """Start and stop an application served from a background thread; a context manager.

    Subclasses implement ``_setup`` (build the application, start its sites) and may override
    ``_on_stop``; the class attributes name the thread and bound how long start and stop wait.
    """

    thread_name: ClassVar[str] = "background-server"
    start_timeout: ClassVar[float] = 10
    stop_timeout: ClassVar[float] = 10

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None

    async def _setup(self) -> None:
        """Runs on the server loop at start: serve the application, usually via ``_serve``."""
        raise NotImplementedError

    def _on_stop(self) -> None:
        """Runs on the server loop when stopping, before the runner shuts connections down."""

    async def _serve(self, app: web.Application) -> web.AppRunner:
        """A set-up runner for ``app``, cleaned up on stop; the caller adds its sites."""
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        return self._runner

    def start(self) -> Self:
        """Serve in a new thread; returns once set up, raising here whatever set-up raised."""
        ready = threading.Event()
        errors: list[BaseException] = []

        def serve() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(self._setup())
            except BaseException as exc:  # reported to the starting thread
                errors.append(exc)
                ready.set()
                loop.close()
                return
            ready.set()
            loop.run_forever()
            loop.close()

        self._thread = threading.Thread(target=serve, name=self.thread_name, daemon=True)
        self._thread.start()
        ready.wait(self.start_timeout)
        if errors:
            self._loop = self._thread = None
            raise errors[0]
        return self

    def stop(self) -> None:
        """Close the sites and their connections, then end the loop and its thread."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        loop.call_soon_threadsafe(self._on_stop)
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), loop).result(self.stop_timeout)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(self.stop_timeout)
        self._loop = self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
