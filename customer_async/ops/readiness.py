"""When an instance is ready to take its share of the requests: the rules of `/readyz`.

Ready means all of:
- the service is serving (started, not stopping);
- its consumer joined the group (with or without partitions: a group may have more members
  than partitions, and an idle member is still a healthy one) and its polls do not fail;
- its producer is connected (started, and its last send did not fail);
- the store answered a ping within the last `STORE_ANSWER_MAX_AGE` seconds, and the latest
  ping did not fail;
- its writes stored and not yet published are below the limit at which it stops fetching
  (`unpublished_limit`): past it, the instance sheds intake until they drain.

`assess` applies the rules to a snapshot and names what is not ready; `StorePing` pings the
store in the background so that a readiness probe never waits on it.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Final

PING_INTERVAL: Final = 2.0
"""Seconds between store pings."""
STORE_ANSWER_MAX_AGE: Final = 10.0
"""A store that answered no ping for this long is not ready, even if no ping failed (one hung)."""


class Phase(StrEnum):
    """Where the instance is in its life."""

    STARTING = "starting"
    SERVING = "serving"
    STOPPING = "stopping"


@dataclass(frozen=True, slots=True)
class StoreAnswer:
    """What the store's pings found: when it last answered, and why the latest ping failed."""

    answered_at: float | None = None
    """`time.monotonic()` of the last answered ping; None before the first."""
    failure: str | None = None
    """Why the latest ping failed; None when it was answered (or none ended yet)."""


@dataclass(frozen=True, slots=True)
class Dependencies:
    """A snapshot of what readiness depends on."""

    phase: Phase
    consumer_joined: bool
    producer_connected: bool
    store: StoreAnswer
    unpublished: int = 0
    unpublished_limit: int | None = None


@dataclass(frozen=True, slots=True)
class Readiness:
    """The verdict: ready, or what is not ready and why."""

    not_ready: dict[str, str] = field(default_factory=dict)

    @property
    def ready(self) -> bool:
        """Whether nothing is missing."""
        return not self.not_ready

    def body(self) -> dict[str, object]:
        """The JSON body of `/readyz`."""
        if self.ready:
            return {"status": "ready"}
        return {"status": "not ready", "notReady": dict(self.not_ready)}


def assess(
    dependencies: Dependencies, now: float, *, store_max_age: float = STORE_ANSWER_MAX_AGE
) -> Readiness:
    """Apply the rules (module docstring) at monotonic time `now`."""
    not_ready: dict[str, str] = {}
    if dependencies.phase is not Phase.SERVING:
        not_ready["service"] = str(dependencies.phase)
    if not dependencies.consumer_joined:
        not_ready["consumer"] = "not in the consumer group"
    if not dependencies.producer_connected:
        not_ready["producer"] = "not connected to the broker"
    store = dependencies.store
    if store.failure is not None:
        not_ready["store"] = f"ping failed: {store.failure}"
    elif store.answered_at is None:
        not_ready["store"] = "no ping answered yet"
    elif now - store.answered_at > store_max_age:
        not_ready["store"] = f"no ping answered for {now - store.answered_at:.0f} s"
    limit = dependencies.unpublished_limit
    if limit is not None and dependencies.unpublished >= limit:
        not_ready["publishing"] = f"{dependencies.unpublished} writes to publish"
    return Readiness(not_ready)


class StorePing:
    """Pings the store every `interval` seconds and keeps the latest `StoreAnswer`."""

    def __init__(
        self,
        ping: Callable[[], Awaitable[None]],
        *,
        interval: float = PING_INTERVAL,
        timeout: float = STORE_ANSWER_MAX_AGE,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ping = ping
        self._interval = interval
        self._timeout = timeout
        self._clock = clock
        self.answer = StoreAnswer()

    async def ping_once(self) -> None:
        """One ping; its outcome becomes `answer`."""
        try:
            await asyncio.wait_for(self._ping(), self._timeout)
        except TimeoutError:
            failure = f"no answer within {self._timeout:g} s"
        except Exception as exc:  # whatever the store raises, readiness reports it and goes on
            failure = " ".join(str(exc).split()) or type(exc).__name__
        else:
            self.answer = StoreAnswer(answered_at=self._clock())
            return
        self.answer = StoreAnswer(answered_at=self.answer.answered_at, failure=failure)

    async def run(self, stop: asyncio.Event) -> None:
        """Ping until `stop` is set."""
        while not stop.is_set():
            await self.ping_once()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self._interval)
