"""Time as the protocol sees it: wall time for what is stored, a monotonic clock for budgets, and
sleeping. The service uses the system's; the simulation in tests/protocol runs a virtual one, so
thousands of steps with 30-second waits take milliseconds."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    """Where the protocol reads the time and waits."""

    def now(self) -> datetime:
        """Wall time (UTC): what is stored, e.g. when a lease expires."""
        ...

    def monotonic(self) -> float:
        """Seconds on a clock that never goes back: budgets and intervals."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Wait that long."""
        ...


class SystemClock:
    """The machine's clocks and asyncio's sleep."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


SYSTEM_CLOCK: Clock = SystemClock()
