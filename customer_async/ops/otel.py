"""Tracing with OpenTelemetry: what `tracing.tracing_for` loads once tracing is switched on.

Spans go to a `TracerProvider` of the service's own (none is installed globally), exported in
batches by OTLP over HTTP from the SDK's own thread; the exporter, the batching and the sampler
read OpenTelemetry's standard variables (`OTEL_EXPORTER_OTLP_*`, `OTEL_BSP_*`,
`OTEL_TRACES_SAMPLER`, `OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES`).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator, Sequence
from contextvars import ContextVar
from dataclasses import replace

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.propagators.textmap import Getter
from opentelemetry.sdk.resources import SERVICE_NAME, SERVICE_VERSION, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import Span, SpanKind, Status, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from opentelemetry.util.types import AttributeValue

from customer_async import __version__
from customer_async.customer_ids import command_customer_id
from customer_async.edge.decode import TRACEPARENT, Rejection
from customer_async.edge.records import IncomingRecord
from customer_async.errors import CustomerAsyncError
from customer_async.interfaces import Delivery, RequestSpan, Sink, SpanName, Tracing
from customer_async.settings import Settings
from customer_async.types import Command, Operation

INSTRUMENTATION = "customer_async"
"""The tracer's (instrumentation scope's) name."""
STATUS_CODE = "customer_async.status_code"
CUSTOMER_ID = "customer_async.customer.id"
EVENTS = "customer_async.events"

Headers = Sequence[tuple[str, bytes | None]]

_PROPAGATOR = TraceContextTextMapPropagator()
_CURRENT: ContextVar[_RequestSpan | None] = ContextVar("request_span", default=None)
"""The span of the request the current task handles."""


class _KafkaHeaders(Getter[Headers]):
    """Reads W3C trace headers from Kafka headers as decoding does: exact names, first wins."""

    def get(self, carrier: Headers, key: str) -> list[str] | None:
        for name, value in carrier:
            if name == key and value is not None:
                return [value.decode("utf-8", errors="replace")]
        return None

    def keys(self, carrier: Headers) -> list[str]:
        return [name for name, _ in carrier]


_KAFKA_HEADERS = _KafkaHeaders()


class _RequestSpan(RequestSpan):
    def __init__(self, span: Span) -> None:
        self.span = span

    def decoded(self, request: Command | Rejection) -> Command | Rejection:
        self.span.set_attribute("messaging.message.conversation_id", request.correlation_id)
        if isinstance(request, Command) and request.operation is not Operation.LIST:
            customer = command_customer_id(request)
            if customer is not None:
                self.span.set_attribute(CUSTOMER_ID, customer)
        return replace(request, echo=self._joined(request.echo))

    def _joined(self, echo: tuple[tuple[str, bytes], ...]) -> tuple[tuple[str, bytes], ...]:
        """The echoed `traceparent` (the caller's trace) names this span and its sampling."""
        ids = self.span.get_span_context()
        trace_id = trace.format_trace_id(ids.trace_id)
        ours = f"00-{trace_id}-{trace.format_span_id(ids.span_id)}-{ids.trace_flags:02x}"
        # Decoding wrote `00-{trace}-{span}-{flags}`; only the caller's own trace is joined.
        return tuple(
            (name, ours.encode())
            if name == TRACEPARENT and value.split(b"-")[1:2] == [trace_id.encode()]
            else (name, value)
            for name, value in echo
        )

    def answered(self, status: int) -> None:
        self.span.set_attribute(STATUS_CODE, status)
        if status >= 500:
            self.span.set_status(Status(StatusCode.ERROR, f"answered {status}"))


class OpenTelemetryTracing(Tracing):
    """Spans of each request, from `provider` (which the caller configures and owns)."""

    enabled = True

    def __init__(self, provider: TracerProvider, settings: Settings) -> None:
        self._provider = provider
        self._tracer = provider.get_tracer(INSTRUMENTATION, __version__)
        self._consumer_group = settings.group_id
        self._steps: dict[SpanName, tuple[SpanKind, dict[str, AttributeValue]]] = {
            "decode": (SpanKind.INTERNAL, {}),
            "store": (
                SpanKind.CLIENT,
                {"db.system.name": "mongodb", "db.namespace": settings.mongodb_database},
            ),
        }

    @contextlib.contextmanager
    def request(self, record: IncomingRecord, operation: Operation) -> Iterator[RequestSpan]:
        parent = _PROPAGATOR.extract(record.headers, getter=_KAFKA_HEADERS)
        attributes: dict[str, AttributeValue] = {
            "messaging.system": "kafka",
            "messaging.operation.type": "process",
            "messaging.destination.name": record.topic,
            "messaging.destination.partition.id": str(record.partition),
            "messaging.kafka.offset": record.offset,
            "messaging.consumer.group.name": self._consumer_group,
            "customer_async.operation": str(operation),
        }
        with self._tracer.start_as_current_span(
            f"customerManagement.{operation}",
            context=parent,
            kind=SpanKind.CONSUMER,
            attributes=attributes,
        ) as span:
            current = _RequestSpan(span)
            token = _CURRENT.set(current)
            try:
                yield current
            finally:
                _CURRENT.reset(token)

    @contextlib.contextmanager
    def span(self, name: SpanName) -> Iterator[None]:
        kind, attributes = self._steps[name]
        with self._tracer.start_as_current_span(
            name,
            kind=kind,
            attributes=attributes,
            record_exception=False,
            set_status_on_exception=False,
        ) as span:
            try:
                yield
            except Exception as exc:
                # A refusal (404, 409, ...) is an answer, not a failure of the step.
                if not isinstance(exc, CustomerAsyncError) or exc.status >= 500:
                    span.record_exception(exc)
                    span.set_status(Status(StatusCode.ERROR, f"{type(exc).__name__}: {exc}"))
                raise

    def answered(self, status: int) -> None:
        current = _CURRENT.get()
        if current is not None:
            current.answered(status)

    def sink(self, sink: Sink) -> Sink:
        return _TracedSink(sink, self._tracer)

    async def shutdown(self) -> None:
        # Flushes the batch through the exporter: blocking I/O, so off the event loop.
        await asyncio.to_thread(self._provider.shutdown)


class _TracedSink:
    """Each delivery made for a request is a `publish` span, a child of the request's span."""

    def __init__(self, sink: Sink, tracer: trace.Tracer) -> None:
        self._sink = sink
        self._tracer = tracer

    async def deliver(self, batch: Sequence[Delivery]) -> None:
        current = _CURRENT.get()
        if current is None:  # the outbox sweep publishes for no request in hand
            await self._sink.deliver(batch)
            return
        events = sum(len(item_events) for _, _, item_events in batch)
        parent = trace.set_span_in_context(current.span, otel_context.get_current())
        attributes: dict[str, AttributeValue] = {
            "messaging.system": "kafka",
            "messaging.operation.type": "send",
            "messaging.batch.message_count": len(batch) + events,
            EVENTS: events,
        }
        with self._tracer.start_as_current_span(
            "publish", context=parent, kind=SpanKind.PRODUCER, attributes=attributes
        ):
            await self._sink.deliver(batch)


def exporting(settings: Settings) -> OpenTelemetryTracing:
    """Tracing that exports over OTLP/HTTP, configured by OpenTelemetry's standard variables."""
    detected = Resource.create()
    ours: dict[str, AttributeValue] = {SERVICE_VERSION: __version__}
    if str(detected.attributes.get(SERVICE_NAME, "")).startswith("unknown_service"):
        ours[SERVICE_NAME] = "customer-async"  # unless OTEL_SERVICE_NAME says otherwise
    if SERVICE_VERSION in detected.attributes:
        del ours[SERVICE_VERSION]
    provider = TracerProvider(resource=detected.merge(Resource(ours)))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    return OpenTelemetryTracing(provider, settings)
