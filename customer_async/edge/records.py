"""Kafka records as plain values, so decoding and encoding need no Kafka client."""

from __future__ import annotations

from collections.abc import Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class IncomingRecord:
    """A consumed record: where it came from and what it holds."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: Sequence[tuple[str, bytes | None]] = ()


@dataclass(frozen=True, slots=True)
class OutgoingRecord:
    """A record to produce."""

    topic: str
    key: bytes | None
    value: bytes | None
    headers: list[tuple[str, bytes]] = field(default_factory=list)


HANDLING: ContextVar[IncomingRecord | None] = ContextVar("handling", default=None)
"""The request record the current task answers: a dead letter names its partition and offset."""
