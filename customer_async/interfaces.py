"""What the service's parts publish, count and trace through, each with a default that does
nothing: the interfaces, so that no part below ops/ imports an implementation in ops/.

- `Sink`: replies and events out to the broker (`edge.kafka.KafkaSink`; `Answering` sends
  through it);
- `Metrics`: what the service counts (`ops.metrics.ServiceMetrics` keeps it for Prometheus);
- `Tracing`: the spans of each request (`ops.otel.OpenTelemetryTracing`, loaded by
  `ops.tracing.tracing_for` only when tracing is switched on):

      customerManagement.<operation>   CONSUMER, child of the caller's `traceparent`
      ├── decode                       the record into a command (edge/decode.py)
      ├── store                        the read handler, or the whole write path (writes.py)
      └── publish                      replies and events to Kafka (within `store` for a write)

A part built without metrics or tracing (a unit test, a tool) gets `NO_METRICS` and `NO_TRACING`:
no registry, nothing of OpenTelemetry imported, requests handled exactly as with them.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import Final, Literal, Protocol

from customer_async.edge.decode import Rejection
from customer_async.edge.records import IncomingRecord
from customer_async.types import Command, Event, Operation, Reply, ReplyAddress

Delivery = tuple[ReplyAddress, Reply, Sequence[Event]]
"""One reply to send, with the events that go out before it."""


class Sink(Protocol):
    """Publishes replies and events; returns once the broker acknowledged every record."""

    async def deliver(self, batch: Sequence[Delivery]) -> None:
        """Publish each item's events, then its reply, in the order given; raise if impossible."""
        ...


class Metrics:
    """What the service reports; this base ignores it (the default where metrics are optional)."""

    def request_handled(self, operation: str, status: int, seconds: float) -> None:
        """A request got its reply, with `status`, `seconds` after its handling began."""

    def event_published(self, event_type: str) -> None:
        """The broker acknowledged one notification of `event_type`."""

    def store_retried(self, command: str) -> None:
        """A store command failed to connect and is tried again."""

    def outbox_swept(self, customers: int) -> None:
        """The last sweep found this many customers with entries nobody had published."""


NO_METRICS: Final = Metrics()


SpanName = Literal["decode", "store"]
"""The children of a request's span that the service's parts open (publish opens itself)."""


class RequestSpan:
    """The span of one request, as the service's parts see it; this base records nothing."""

    def decoded(self, request: Command | Rejection) -> Command | Rejection:
        """`request` with what decoding found noted, and its trace headers naming this span."""
        return request

    def answered(self, status: int) -> None:
        """The request got its reply with `status`."""


NO_REQUEST_SPAN: Final = RequestSpan()
_NOTHING: Final = contextlib.nullcontext()
_NO_REQUEST: Final = contextlib.nullcontext(NO_REQUEST_SPAN)


class Tracing:
    """Where the service's parts open their spans; this base traces nothing (tracing off)."""

    enabled = False

    def request(
        self, record: IncomingRecord, operation: Operation
    ) -> AbstractContextManager[RequestSpan]:
        """The span of handling `record`, current while its context is entered."""
        del record, operation
        return _NO_REQUEST

    def span(self, name: SpanName) -> AbstractContextManager[None]:
        """A child of the current request's span, around one step of its handling."""
        del name
        return _NOTHING

    def answered(self, status: int) -> None:
        """The current request got its reply with `status`."""

    def sink(self, sink: Sink) -> Sink:
        """`sink`, its deliveries traced as `publish` spans of the request they serve."""
        return sink

    async def shutdown(self) -> None:
        """Export what is left, then stop exporting."""


NO_TRACING: Final = Tracing()
