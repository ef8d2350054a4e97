"""Every request handled is counted by operation and status, timed, and logged once."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from typing import cast

import pytest

from customer_async.answering import Answering
from customer_async.dispatch import Dispatcher
from customer_async.edge.decode import Rejection
from customer_async.errors import CustomerNotFound, InvalidJson
from customer_async.interfaces import Metrics
from customer_async.ops.json_logs import REQUEST_LOGGER, JsonFormatter
from customer_async.protocol.writes import WritePath
from customer_async.types import Command, Event, Operation, Reply, ReplyAddress

Delivered = tuple[ReplyAddress, Reply, Sequence[Event]]


class RecordingMetrics(Metrics):
    def __init__(self) -> None:
        self.handled: list[tuple[str, int]] = []
        self.seconds: list[float] = []

    def request_handled(self, operation: str, status: int, seconds: float) -> None:
        self.handled.append((operation, status))
        self.seconds.append(seconds)


class Sink:
    def __init__(self, *, broken: bool = False) -> None:
        self.delivered: list[Delivered] = []
        self.broken = broken

    async def deliver(self, batch: Sequence[Delivered]) -> None:
        if self.broken:
            raise RuntimeError("the sink is broken")
        self.delivered.extend(batch)


class Writes:
    """Stands in for the write path: answers 201 (it delivers its reply itself)."""

    async def apply(self, command: Command, address: ReplyAddress) -> Reply:
        del command, address
        return Reply(201, {"id": "1"})


async def retrieve(command: Command) -> Reply:
    if command.parameters.get("id") == "missing":
        raise CustomerNotFound("no customer with id 'missing'")
    return Reply(200, {"id": command.parameters["id"]})


def command(operation: Operation, correlation_id: str = "c-1", **parameters: str) -> Command:
    return Command(
        operation, correlation_id, f"{operation}.request", f"{operation}.reply", parameters
    )


def dispatcher(metrics: Metrics, sink: Sink) -> Dispatcher:
    return Dispatcher(
        {Operation.RETRIEVE: retrieve},
        cast(WritePath, Writes()),
        Answering(sink),
        metrics=metrics,
    )


async def test_reads_writes_refusals_and_rejections_are_counted_by_status() -> None:
    metrics, sink = RecordingMetrics(), Sink()
    handling = dispatcher(metrics, sink)
    await handling.dispatch(command(Operation.RETRIEVE, id="7"))
    await handling.dispatch(command(Operation.RETRIEVE, id="missing"))
    await handling.dispatch(command(Operation.CREATE))
    rejected = Rejection(
        Operation.PATCH, "c-2", "patch.request", "patch.reply", None, InvalidJson("x")
    )
    await handling.dispatch(rejected)
    assert metrics.handled == [
        ("retrieve", 200),
        ("retrieve", 404),
        ("create", 201),
        ("patch", 400),
    ]
    assert all(seconds >= 0 for seconds in metrics.seconds)
    assert [reply.status for _, reply, _ in sink.delivered] == [200, 404, 400]


async def test_a_request_whose_reply_cannot_be_delivered_counts_as_500() -> None:
    metrics = RecordingMetrics()
    with pytest.raises(RuntimeError, match="broken"):
        await dispatcher(metrics, Sink(broken=True)).dispatch(command(Operation.RETRIEVE, id="7"))
    assert metrics.handled == [("retrieve", 500)]


async def test_one_request_line_with_correlation_id_status_and_duration(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.INFO, logger=REQUEST_LOGGER):
        await dispatcher(RecordingMetrics(), Sink()).dispatch(
            command(Operation.RETRIEVE, "corr-42", id="missing")
        )
    lines = [r for r in caplog.records if r.name == REQUEST_LOGGER]
    assert len(lines) == 1
    entry = json.loads(JsonFormatter().format(lines[0]))
    assert entry["level"] == "INFO"
    assert entry["correlation_id"] == "corr-42"
    assert entry["operation"] == "retrieve"
    assert entry["status"] == 404
    assert entry["duration_ms"] >= 0
    assert entry["message"].startswith("retrieve corr-42 answered 404 in ")
