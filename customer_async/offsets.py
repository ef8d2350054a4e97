"""Which offsets may be committed while records of one partition finish out of order.

Records are handled concurrently, so a later record of a partition may be done before an earlier
one. A partition's commit point is the offset of its earliest record not yet done (or one past
the last record when all are): a crash then redelivers every unfinished record, never skips one.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable

Partition = tuple[str, int]
"""A topic and a partition number."""


class OffsetTracker:
    """Records started and done, per partition, in the order each partition delivered them."""

    def __init__(self) -> None:
        self._pending: dict[Partition, deque[int]] = {}
        self._done: dict[Partition, set[int]] = {}
        self._next: dict[Partition, int] = {}
        self._committed: dict[Partition, int] = {}

    def started(self, partition: Partition, offset: int) -> None:
        """A record was taken from `partition` (offsets arrive in increasing order)."""
        self._pending.setdefault(partition, deque()).append(offset)
        self._next[partition] = offset + 1

    def done(self, partition: Partition, offset: int) -> None:
        """The record is fully handled (its reply and events acknowledged)."""
        pending = self._pending.get(partition)
        if pending is None:
            return  # the partition was revoked meanwhile; its records come again elsewhere
        done = self._done.setdefault(partition, set())
        done.add(offset)
        while pending and pending[0] in done:
            done.discard(pending.popleft())

    def committable(self) -> dict[Partition, int]:
        """Commit points that moved since the last `committed` call."""
        points: dict[Partition, int] = {}
        for partition, pending in self._pending.items():
            point = pending[0] if pending else self._next[partition]
            if self._committed.get(partition) != point:
                points[partition] = point
        return points

    def committed(self, points: dict[Partition, int]) -> None:
        """Those commit points reached the broker."""
        self._committed.update(points)

    def forget(self, partitions: Iterable[Partition]) -> None:
        """Partitions this member no longer owns: their records are not ours to commit."""
        for partition in partitions:
            for table in (self._pending, self._done, self._next, self._committed):
                table.pop(partition, None)

    @property
    def in_flight(self) -> int:
        """Records started and not yet done."""
        return sum(len(p) for p in self._pending.values())
