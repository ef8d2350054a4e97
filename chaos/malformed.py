"""Malformed requests mixed into the workload: each is owed a 4xx reply, never silence."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from customer_async.client.requests import CommandRecord, encode_json
from customer_async.types import Operation
from harness.topics import RunTopics


@dataclass(frozen=True, slots=True)
class Malformed:
    """One kind of malformed request and the status its reply must have."""

    kind: str
    expected: int
    build: Callable[[RunTopics, str], CommandRecord]


def _record(
    topics: RunTopics,
    operation: Operation,
    correlation_id: str,
    value: bytes,
    extra: list[tuple[str, bytes]] | None = None,
    *,
    reply_channel: str | None = None,
) -> CommandRecord:
    headers = [
        ("X-Correlation-Id", correlation_id.encode()),
        ("Reply-Channel", (reply_channel or topics.run_reply).encode()),
        *(extra or []),
    ]
    return CommandRecord(
        operation,
        correlation_id,
        topics.request(operation),
        correlation_id.encode(),
        value,
        headers,
    )


KINDS: tuple[Malformed, ...] = (
    Malformed(
        "value not JSON",
        400,
        lambda t, c: _record(t, Operation.CREATE, c, b'{"name": "half a customer",'),
    ),
    Malformed(
        "invalid UTF-8 value",
        400,
        lambda t, c: _record(t, Operation.CREATE, c, b'{"name": "\xff\xfe"}'),
    ),
    Malformed(
        "Parameters not JSON",
        400,
        lambda t, c: _record(t, Operation.RETRIEVE, c, b"", [("Parameters", b"{id: 1")]),
    ),
    Malformed(
        "Parameters of the wrong JSON type",
        400,
        lambda t, c: _record(t, Operation.DELETE, c, b"", [("Parameters", b'["id", 1]')]),
    ),
    Malformed(
        "patch without id",
        400,
        lambda t, c: _record(
            t, Operation.PATCH, c, encode_json({"description": "x"}), [("Parameters", b"{}")]
        ),
    ),
    Malformed(
        "unsupported patch Content-Type",
        415,
        lambda t, c: _record(
            t,
            Operation.PATCH,
            c,
            b"description=x",
            [("Parameters", b'{"id": "some-id"}'), ("Content-Type", b"text/plain")],
        ),
    ),
    Malformed(
        "create without engagedParty",
        400,
        lambda t, c: _record(t, Operation.CREATE, c, encode_json({"name": "no party"})),
    ),
    Malformed(
        "unknown list filter",
        400,
        lambda t, c: _record(
            t, Operation.LIST, c, b"", [("Parameters", encode_json({"noSuchAttribute": "x"}))]
        ),
    ),
    Malformed(
        "reply channel refused",
        403,
        lambda t, c: _record(
            t,
            Operation.RETRIEVE,
            c,
            b"",
            [("Parameters", b'{"id": "some-id"}')],
            reply_channel=t.request(Operation.CREATE),
        ),
    ),
)
