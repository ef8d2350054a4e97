"""The record of the run: every request sent (and resent), every reply and every event seen.

The workload writes requests here, the wire's reader writes replies and events; invariants and
figures are computed from it afterwards, and faults wait on it for the first reply after a point.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from customer_async.client.requests import CommandRecord

Partition = tuple[str, int]


@dataclass(frozen=True, slots=True)
class SeenReply:
    """A reply record as it arrived."""

    correlation_id: str
    topic: str
    status: int
    body: Any
    produced: float
    """Wall time (s) the service's producer stamped on it."""
    received: float
    """Wall time (s) the run's consumer read it."""
    retry_after: float | None = None
    """A 503's `Retry-After` (seconds)."""


@dataclass(frozen=True, slots=True)
class SeenEvent:
    """A notification record as it arrived."""

    event_id: str
    event_type: str
    correlation_id: str
    customer_id: str
    version: int | None
    body: Any
    received: float


@dataclass(eq=False)
class Request:
    """One request (one correlation id), however many times it was sent."""

    kind: str
    """`create`, `patch 1`…`patch 4`, `delete`, or `malformed: …`."""
    record: CommandRecord
    expected: int | str
    """The status its final answer must have, or "4xx"."""
    customer: int | None = None
    customer_id: str | None = None
    partition: Partition | None = None
    sends: list[float] = field(default_factory=list)
    """Wall times it was produced (acknowledged by the broker)."""
    final: SeenReply | None = None
    transient: SeenReply | None = None
    """The latest 503, until a final reply arrives."""
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def correlation_id(self) -> str:
        return self.record.correlation_id

    @property
    def malformed(self) -> bool:
        return self.kind.startswith("malformed")

    @property
    def latency(self) -> float | None:
        """Seconds from the first send to the final reply's arrival."""
        if self.final is None or not self.sends:
            return None
        return self.final.received - self.sends[0]


class Ledger:
    """Requests by correlation id, and every reply and event in arrival order."""

    def __init__(self) -> None:
        self.requests: dict[str, Request] = {}
        self.replies: list[SeenReply] = []
        self.events: list[SeenEvent] = []
        self.replies_by_correlation: dict[str, list[SeenReply]] = defaultdict(list)
        self.unknown_replies = 0
        self.send_failures = 0
        self._arrivals = asyncio.Condition()

    def add(self, request: Request) -> None:
        self.requests[request.correlation_id] = request

    @property
    def resends(self) -> int:
        return sum(max(0, len(r.sends) - 1) for r in self.requests.values())

    async def reply_seen(self, reply: SeenReply) -> None:
        """A reply arrived: the first non-503 one is its request's final answer."""
        self.replies.append(reply)
        self.replies_by_correlation[reply.correlation_id].append(reply)
        request = self.requests.get(reply.correlation_id)
        if request is None:
            self.unknown_replies += 1
        elif reply.status == 503:
            request.transient = reply
            request.changed.set()
        elif request.final is None:
            request.final = reply
            request.changed.set()
        async with self._arrivals:
            self._arrivals.notify_all()

    def event_seen(self, event: SeenEvent) -> None:
        self.events.append(event)

    def dump(self, path: Path) -> None:
        """Everything seen, one JSON object a line: each request with its sends and replies,
        then each event copy (for reading a failure back to the record)."""
        with path.open("w") as out:
            for request in self.requests.values():
                replies = self.replies_by_correlation.get(request.correlation_id, [])
                line: dict[str, object] = {
                    "request": request.correlation_id,
                    "kind": request.kind,
                    "customer_id": request.customer_id,
                    "partition": request.partition,
                    "sends": request.sends,
                    "replies": [
                        {"status": r.status, "produced": r.produced, "received": r.received}
                        for r in replies
                    ],
                }
                out.write(json.dumps(line) + "\n")
            for event in self.events:
                line = {
                    "event": event.event_id,
                    "type": event.event_type,
                    "request": event.correlation_id,
                    "customer_id": event.customer_id,
                    "version": event.version,
                    "received": event.received,
                }
                out.write(json.dumps(line) + "\n")

    async def first_reply(
        self, accept: Callable[[SeenReply, Request], bool], seconds: float
    ) -> SeenReply | None:
        """The first reply (already seen or arriving within `seconds`) to a workload request
        that `accept` takes; None if none comes in time."""
        checked = 0
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while True:
            for reply in self.replies[checked:]:
                request = self.requests.get(reply.correlation_id)
                if request is not None and not request.malformed and accept(reply, request):
                    return reply
            checked = len(self.replies)
            remaining = deadline - loop.time()
            if remaining <= 0:
                return None
            async with self._arrivals:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._arrivals.wait(), min(remaining, 0.5))
