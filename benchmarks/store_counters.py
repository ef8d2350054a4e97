"""Store commands counted by the server: how many round trips a request costs, by command.

`serverStatus` reports `metrics.commands.<name>.total` on MongoDB and on FerretDB: every command
the server ran since it started, from every client, failed ones included. A phase's figure is
the growth of these totals over the phase divided by its requests, per command name (`find`,
`insert`, `update`, `delete`, `aggregate` …) and in sum.

Two things would make that figure wrong, and both are handled here:
- the service writes its ledger (and sweeps) just *after* replying, so the totals are read only
  once they have stopped growing (`settled`), else a phase's tail is counted in the next phase;
- the counters are server-wide, so another client working during the phase is counted too. The
  totals must be still before and after a phase while the run is idle, and the phase must show
  none of the commands only other clients send mid-run (creating or dropping databases,
  collections or indexes: a test suite at work); otherwise the figure is marked as not quiet,
  and the report shows it as an upper bound.
Connection upkeep (`hello`, `ping`, authentication) and this module's own `serverStatus` are
not request work and are left out.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

from pymongo import AsyncMongoClient
from pymongo.errors import PyMongoError

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
_OTHER_CLIENTS = frozenset(
    {
        "create",
        "createIndexes",
        "drop",
        "dropDatabase",
        "dropIndexes",
        "listCollections",
        "listDatabases",
        "listIndexes",
        "renameCollection",
    }
)
"""Commands the service sends at start-up at most, never for a request: seen during a phase,
they mean another client was using the server."""
_STILL_SECONDS = 0.3
"""Totals unchanged for this long count as settled."""
_SETTLE_LIMIT_SECONDS = 5.0
"""At most this long is waited for still totals; a busier store is reported as not quiet."""


@dataclass(frozen=True, slots=True)
class CommandSnapshot:
    """The server's command totals by name at one moment, and whether they had come to rest."""

    totals: Counter[str]
    quiet: bool


@dataclass(frozen=True, slots=True)
class CommandsPerRequest:
    """Store commands per request during a phase, in sum and by command name."""

    total: float
    by_name: dict[str, float]
    quiet: bool
    """The totals were still before and after the phase: no other client was seen working."""


def per_request(
    before: CommandSnapshot | None, after: CommandSnapshot | None, requests: int
) -> CommandsPerRequest | None:
    """What the commands counted between two snapshots cost each of `requests` requests."""
    if before is None or after is None or requests <= 0:
        return None
    grown = after.totals - before.totals  # Counter subtraction keeps positive growth only
    by_name = {name: count / requests for name, count in sorted(grown.items())}
    return CommandsPerRequest(
        total=sum(grown.values()) / requests,
        by_name=by_name,
        quiet=before.quiet and after.quiet and not _OTHER_CLIENTS & grown.keys(),
    )


class StoreCommandCounter:
    """Reads the server's command totals (request-serving commands only)."""

    def __init__(self, mongodb_uri: str) -> None:
        self._client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(
            mongodb_uri, serverSelectionTimeoutMS=10_000
        )

    async def totals(self) -> Counter[str] | None:
        """Request-serving commands the server has run so far, by name (None: it does not say)."""
        try:
            status = await self._client.admin.command("serverStatus")
        except PyMongoError:
            return None
        commands = status.get("metrics", {}).get("commands")
        if not isinstance(commands, Mapping):
            return None
        return Counter(
            {
                name: int(counts.get("total", 0))
                for name, counts in commands.items()
                if name not in _NOT_REQUEST_WORK and isinstance(counts, Mapping)
            }
        )

    async def settled(self) -> CommandSnapshot | None:
        """The totals once they stop growing (bounded); `quiet` False if they never did."""
        loop = asyncio.get_running_loop()
        give_up = loop.time() + _SETTLE_LIMIT_SECONDS
        last = await self.totals()
        while last is not None:
            await asyncio.sleep(_STILL_SECONDS)
            now = await self.totals()
            if now is None:
                return None
            if now == last:
                return CommandSnapshot(now, quiet=True)
            if loop.time() >= give_up:
                return CommandSnapshot(now, quiet=False)
            last = now
        return None

    async def server(self) -> str:
        """Which server this is: `FerretDB <version>` or `MongoDB <version>`."""
        try:
            info = await self._client.server_info()
        except PyMongoError:
            return "unknown"
        if "ferretdbVersion" in info:
            version = info["ferretdbVersion"]
            named = "FerretDB" if version in ("", "unknown") else f"FerretDB {version}"
            return f"{named} (MongoDB {info.get('version', '?')} wire protocol)"
        return f"MongoDB {info.get('version', '?')}"

    async def close(self) -> None:
        """Disconnect."""
        await self._client.close()
