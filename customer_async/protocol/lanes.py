"""Lanes: work sharing a key runs one at a time, in the order it asked to run.

One customer's writes share a lane, so they apply in the order their records arrived while other
customers' requests run beside them. A lane is dropped when nobody holds or waits for it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterable


class Lanes:
    """First-come, first-served locks by key (asyncio.Lock wakes waiters in arrival order)."""

    def __init__(self) -> None:
        self._locks: dict[str, asyncio.Lock] = {}
        self._users: dict[str, int] = {}

    def __len__(self) -> int:
        return len(self._locks)

    @contextlib.asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        """Wait for every earlier holder of `key`, then hold it for the block."""
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._users[key] = self._users.get(key, 0) + 1
        try:
            async with lock:
                yield
        finally:
            self._users[key] -= 1
            if not self._users[key]:
                del self._users[key], self._locks[key]

    @contextlib.asynccontextmanager
    async def hold_free(self, keys: Iterable[str]) -> AsyncIterator[list[str]]:
        """Hold, for the block, those of `keys` that nobody holds or waits for; yields them.

        Whoever asks for one of them meanwhile waits until the block ends.
        """
        held: list[str] = []
        for key in keys:
            if key in self._locks:
                continue
            lock = asyncio.Lock()
            await lock.acquire()  # free: returns at once
            self._locks[key] = lock
            self._users[key] = 1
            held.append(key)
        try:
            yield held
        finally:
            for key in held:
                self._locks[key].release()
                self._users[key] -= 1
                if not self._users[key]:
                    del self._users[key], self._locks[key]
