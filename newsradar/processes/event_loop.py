"""One event loop for everything: Twisted's asyncio reactor drives asyncio, so Scrapy crawls,
the Telegram client, the scheduler and delivery all share it.

The reactor cannot be restarted, so a process runs one `run()`; that is what `run-once`, `serve`
and `demo` each do.
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from scrapy.utils.reactor import install_reactor, is_reactor_installed

T = TypeVar("T")

ASYNCIO_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"


def run(main: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run `main()` on the asyncio reactor and return its result (or raise its exception)."""
    # What start-up built (modules, config, engines) lives as long as the process: frozen, it
    # is no longer walked by every full collection of the objects each crawl makes. A crawl
    # allocates in bulk (requests, responses, page trees) and frees nearly all of it by
    # reference count, so collections run far less often than the interpreter's defaults
    # (700 allocations, then 10 and 10): otherwise full collections over every outlet's live
    # objects grow with the square of the outlets.
    gc.freeze()
    gc.set_threshold(10_000, 20, 20)
    if not is_reactor_installed():
        install_reactor(ASYNCIO_REACTOR)
    from twisted.internet import reactor  # the asyncio reactor just installed

    outcome: dict[str, Any] = {}

    def start() -> None:
        task = asyncio.ensure_future(main())
        task.add_done_callback(finish)

    def finish(task: asyncio.Future[T]) -> None:
        if task.cancelled():
            outcome["error"] = asyncio.CancelledError()
        elif task.exception() is not None:
            outcome["error"] = task.exception()
        else:
            outcome["result"] = task.result()
        reactor.stop()  # type: ignore[misc]  # why: Twisted declares its interface methods without self, so mypy misreads the call

    reactor.callWhenRunning(start)
    # Signals are the caller's to handle (serve stops gracefully; run-once is killed plainly).
    reactor.run(installSignalHandlers=False)  # type: ignore[misc,call-arg]  # why: Twisted declares its interface methods without self, so mypy misreads the call, and installSignalHandlers is the reactor class's, not the interface's
    if "error" in outcome:
        raise outcome["error"]
    return outcome["result"]
