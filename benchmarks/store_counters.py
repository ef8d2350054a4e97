"""Store commands counted by the server, for an estimate of store round trips per request.

`serverStatus` reports `metrics.commands.<name>.total` on MongoDB and on FerretDB. The counters
are server-wide, so whatever else uses the server during a phase is counted too: the figure is
an estimate, exact only on a server the benchmark has to itself.
"""

from __future__ import annotations

from collections.abc import Mapping

from pymongo import AsyncMongoClient
from pymongo.errors import PyMongoError

# Connection upkeep and this module's own question, not work done for a request.
_NOT_REQUEST_WORK = frozenset(
    {
        "hello",
        "ismaster",
        "isMaster",
        "ping",
        "buildInfo",
        "buildinfo",
        "endSessions",
        "serverStatus",
        "saslStart",
        "saslContinue",
        "getLastError",
        "getParameter",
    }
)


class StoreCommandCounter:
    """Reads the server's total of request-serving commands."""

    def __init__(self, mongodb_uri: str) -> None:
        self._client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(
            mongodb_uri, serverSelectionTimeoutMS=10_000
        )

    async def total(self) -> int | None:
        """Commands the server has run so far (None when it does not say)."""
        try:
            status = await self._client.admin.command("serverStatus")
        except PyMongoError:
            return None
        commands = status.get("metrics", {}).get("commands")
        if not isinstance(commands, Mapping):
            return None
        return sum(
            int(counts.get("total", 0))
            for name, counts in commands.items()
            if name not in _NOT_REQUEST_WORK and isinstance(counts, Mapping)
        )

    async def close(self) -> None:
        """Disconnect."""
        await self._client.close()
