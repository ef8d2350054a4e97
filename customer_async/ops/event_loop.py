"""Which event loop `serve` runs on: uvloop where it is installed, else asyncio's own.

The service spends much of each request in the event loop itself (35 % of its main thread in a
py-spy profile of retrieves on asyncio's loop: waking tasks, futures, sockets). uvloop, the loop
of libuv behind a drop-in asyncio interface (well kept, by the asyncio maintainers' MagicStack),
does that work in C; the benchmark's before/after is in docs/benchmark.md. It is a dependency on
every platform it builds for (not Windows); `CUSTOMER_ASYNC_EVENT_LOOP=asyncio` chooses asyncio's
loop, to compare or to rule the loop out.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any, Literal, TypeVar

log = logging.getLogger(__name__)

EventLoopChoice = Literal["uvloop", "asyncio"]
LoopFactory = Callable[[], asyncio.AbstractEventLoop]
T = TypeVar("T")


def loop_factory(choice: EventLoopChoice) -> LoopFactory | None:
    """The factory of the loop `choice` names; None for asyncio's default loop (also when
    uvloop is asked for and not installed, which is said once in the log)."""
    if choice == "asyncio":
        return None
    try:
        import uvloop  # noqa: PLC0415 - only a serving process needs it, and it may be missing
    except ImportError:
        log.warning("uvloop is not installed here; serving on asyncio's event loop")
        return None
    factory: LoopFactory = uvloop.new_event_loop
    return factory


def run_on(choice: EventLoopChoice, main: Coroutine[Any, Any, T]) -> T:
    """Run `main` to its end on the loop `choice` names (as `asyncio.run` on the default)."""
    with asyncio.Runner(loop_factory=loop_factory(choice)) as runner:
        return runner.run(main)
