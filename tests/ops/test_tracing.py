"""OpenTelemetry spans of a request: their tree, parent, attributes, and the trace headers they
leave on the reply and events; with tracing off, nothing of OpenTelemetry is even imported.

The spans are recorded by the SDK's own `InMemorySpanExporter`; decoding and dispatch are the
service's own, around a write path and a sink that stand in for the store and Kafka
(tests/support/handling.py).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanContext, SpanKind, StatusCode

from customer_async.cli import EXIT_MISCONFIGURED
from customer_async.customer_ids import created_customer_id
from customer_async.edge.records import IncomingRecord
from customer_async.errors import StoreUnavailable
from customer_async.interfaces import NO_TRACING
from customer_async.ops.otel import OpenTelemetryTracing
from customer_async.ops.tracing import tracing_for, tracing_wanted
from customer_async.settings import Settings
from customer_async.types import Operation, Reply, ReplyAddress
from tests.support.handling import SETTINGS, Delivered, RecordingSink, handle, record

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
CALLER_SPAN = "00f067aa0ba902b7"
CALLER = f"00-{TRACE_ID}-{CALLER_SPAN}-01"


@pytest.fixture
def exported() -> InMemorySpanExporter:
    return InMemorySpanExporter()


@pytest.fixture
def tracing(exported: InMemorySpanExporter) -> Iterator[OpenTelemetryTracing]:
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exported))
    yield OpenTelemetryTracing(provider, SETTINGS)
    provider.shutdown()


def by_name(exported: InMemorySpanExporter) -> dict[str, ReadableSpan]:
    spans = exported.get_finished_spans()
    named = {span.name: span for span in spans}
    assert len(named) == len(spans), [span.name for span in spans]
    return named


def context_of(span: ReadableSpan) -> SpanContext:
    context: SpanContext | None = span.context
    assert context is not None
    return context


def hex_span_id(span: ReadableSpan) -> str:
    return f"{context_of(span).span_id:016x}"


def headers_of(delivered: Delivered) -> dict[str, str]:
    return {name: value.decode() for name, value in delivered[0].echo}


async def test_a_request_is_a_consumer_span_with_decode_store_and_publish_children(
    tracing: OpenTelemetryTracing, exported: InMemorySpanExporter
) -> None:
    await handle(
        tracing, record(Operation.CREATE, {"name": "x"}, [("traceparent", CALLER.encode())])
    )
    spans = by_name(exported)
    assert set(spans) == {"customerManagement.create", "decode", "store", "publish"}
    request = spans["customerManagement.create"]
    assert request.kind is SpanKind.CONSUMER
    for child in ("decode", "store", "publish"):
        parent = spans[child].parent
        assert parent is not None
        assert parent.span_id == context_of(request).span_id
    assert (spans["decode"].kind, spans["store"].kind, spans["publish"].kind) == (
        SpanKind.INTERNAL,
        SpanKind.CLIENT,
        SpanKind.PRODUCER,
    )


async def test_the_request_span_is_a_child_of_the_callers_traceparent(
    tracing: OpenTelemetryTracing, exported: InMemorySpanExporter
) -> None:
    await handle(
        tracing, record(Operation.RETRIEVE, {"id": "7"}, [("traceparent", CALLER.encode())])
    )
    request = by_name(exported)["customerManagement.retrieve"]
    assert request.parent is not None
    assert request.parent.is_remote
    assert f"{request.parent.span_id:016x}" == CALLER_SPAN
    trace_ids = {f"{context_of(span).trace_id:032x}" for span in exported.get_finished_spans()}
    assert trace_ids == {TRACE_ID}


async def test_the_request_span_names_topic_correlation_customer_and_status(
    tracing: OpenTelemetryTracing, exported: InMemorySpanExporter
) -> None:
    await handle(tracing, record(Operation.RETRIEVE, {"id": "7"}))
    spans = by_name(exported)
    assert dict(spans["customerManagement.retrieve"].attributes or {}) == {
        "messaging.system": "kafka",
        "messaging.operation.type": "process",
        "messaging.destination.name": "tmf.customerManagement.v5.retrieveCustomer.commandRequest",
        "messaging.destination.partition.id": "2",
        "messaging.kafka.offset": 41,
        "messaging.consumer.group.name": "service",
        "messaging.message.conversation_id": "c-1",
        "customer_async.operation": "retrieve",
        "customer_async.customer.id": "7",
        "customer_async.status_code": 200,
    }
    assert dict(spans["store"].attributes or {}) == {
        "db.system.name": "mongodb",
        "db.namespace": "customers",
    }
    assert spans["publish"].attributes is not None
    assert spans["publish"].attributes["messaging.batch.message_count"] == 1


async def test_a_create_names_the_customer_it_assigns_and_counts_its_event(
    tracing: OpenTelemetryTracing, exported: InMemorySpanExporter
) -> None:
    await handle(tracing, record(Operation.CREATE, {"name": "x"}))
    spans = by_name(exported)
    attributes = spans["customerManagement.create"].attributes or {}
    topic = SETTINGS.request_topic(Operation.CREATE)
    assert attributes["customer_async.customer.id"] == created_customer_id(f"{topic}|c-1")
    assert attributes["customer_async.status_code"] == 201
    publish = spans["publish"].attributes or {}
    assert (publish["messaging.batch.message_count"], publish["customer_async.events"]) == (2, 1)


async def test_the_reply_and_its_events_carry_the_request_spans_id(
    tracing: OpenTelemetryTracing, exported: InMemorySpanExporter
) -> None:
    """Downstream, a consumer of the reply or the events continues the service's trace."""
    trace_headers = [("traceparent", CALLER.encode()), ("tracestate", b"vendor=1")]
    sink = await handle(tracing, record(Operation.CREATE, {"name": "x"}, trace_headers))
    request = by_name(exported)["customerManagement.create"]
    [delivered] = sink.delivered
    assert headers_of(delivered) == {
        "traceparent": f"00-{TRACE_ID}-{hex_span_id(request)}-01",
        "tracestate": "vendor=1",
    }


async def test_an_unsampled_caller_exports_nothing_and_passes_its_decision_on(
    tracing: OpenTelemetryTracing, exported: InMemorySpanExporter
) -> None:
    unsampled = f"00-{TRACE_ID}-{CALLER_SPAN}-00"
    sink = await handle(
        tracing, record(Operation.RETRIEVE, {"id": "7"}, [("traceparent", unsampled.encode())])
    )
    assert exported.get_finished_spans() == ()
    version, trace_id, span_id, flags = headers_of(sink.delivered[0])["traceparent"].split("-")
    assert (version, trace_id, flags) == ("00", TRACE_ID, "00")
    assert span_id != CALLER_SPAN


async def test_without_a_traceparent_the_request_span_starts_a_trace_and_no_header_is_added(
    tracing: OpenTelemetryTracing, exported: InMemorySpanExporter
) -> None:
    sink = await handle(tracing, record(Operation.RETRIEVE, {"id": "7"}))
    assert by_name(exported)["customerManagement.retrieve"].parent is None
    assert headers_of(sink.delivered[0]) == {}


async def test_an_invalid_traceparent_is_dropped_as_before(
    tracing: OpenTelemetryTracing, exported: InMemorySpanExporter
) -> None:
    invalid = f"00-{TRACE_ID}-{CALLER_SPAN}-0"
    sink = await handle(
        tracing, record(Operation.RETRIEVE, {"id": "7"}, [("traceparent", invalid.encode())])
    )
    assert by_name(exported)["customerManagement.retrieve"].parent is None
    assert headers_of(sink.delivered[0]) == {}


async def test_a_refusal_is_an_answer_and_not_an_error_of_the_store(
    tracing: OpenTelemetryTracing, exported: InMemorySpanExporter
) -> None:
    await handle(tracing, record(Operation.RETRIEVE, {"id": "missing"}))
    spans = by_name(exported)
    request = spans["customerManagement.retrieve"]
    assert (request.attributes or {})["customer_async.status_code"] == 404
    assert request.status.status_code is StatusCode.UNSET
    assert spans["store"].status.status_code is StatusCode.UNSET
    assert spans["store"].events == ()


async def test_a_store_outage_marks_the_store_and_the_request_spans_as_errors(
    tracing: OpenTelemetryTracing, exported: InMemorySpanExporter
) -> None:
    outage = StoreUnavailable("the store stayed away", retry_after=1)
    await handle(tracing, record(Operation.CREATE, {"name": "x"}), failure=outage)
    spans = by_name(exported)
    request = spans["customerManagement.create"]
    assert (request.attributes or {})["customer_async.status_code"] == 503
    assert request.status.status_code is StatusCode.ERROR
    assert spans["store"].status.status_code is StatusCode.ERROR
    assert [event.name for event in spans["store"].events] == ["exception"]


async def test_a_rejected_record_is_decoded_and_answered_without_touching_the_store(
    tracing: OpenTelemetryTracing, exported: InMemorySpanExporter
) -> None:
    refused = IncomingRecord(SETTINGS.request_topic(Operation.CREATE), 0, 0, None, b"{not json")
    await handle(tracing, refused)
    spans = by_name(exported)
    assert set(spans) == {"customerManagement.create", "decode", "publish"}
    assert (spans["customerManagement.create"].attributes or {})[
        "customer_async.status_code"
    ] == 400


async def test_a_delivery_outside_any_request_is_not_a_span(
    tracing: OpenTelemetryTracing, exported: InMemorySpanExporter
) -> None:
    """The outbox sweep publishes for no request in hand: no orphan `publish` root."""
    sink = RecordingSink()
    await tracing.sink(sink).deliver([(ReplyAddress("r", "c", "t"), Reply(200), ())])
    assert len(sink.delivered) == 1
    assert exported.get_finished_spans() == ()


async def test_with_tracing_off_the_reply_keeps_the_trace_headers_of_today() -> None:
    sink = await handle(
        NO_TRACING, record(Operation.RETRIEVE, {"id": "7"}, [("traceparent", CALLER.encode())])
    )
    version, trace_id, span_id, flags = headers_of(sink.delivered[0])["traceparent"].split("-")
    assert (version, trace_id, flags) == ("00", TRACE_ID, "01")
    assert span_id != CALLER_SPAN


@pytest.mark.parametrize(
    ("setting", "environ", "wanted"),
    [
        ("auto", {}, False),
        ("auto", {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}, True),
        ("auto", {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://c:4318/v1/traces"}, True),
        ("auto", {"OTEL_EXPORTER_OTLP_ENDPOINT": " "}, False),
        ("on", {}, True),
        ("off", {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}, False),
        ("on", {"OTEL_SDK_DISABLED": "true"}, False),
    ],
)
def test_tracing_is_on_when_an_otlp_endpoint_or_the_setting_says_so(
    setting: str, environ: dict[str, str], wanted: bool
) -> None:
    assert tracing_wanted(Settings(tracing=setting), environ) is wanted  # type: ignore[arg-type]


def test_unconfigured_tracing_is_the_one_that_traces_nothing() -> None:
    for name in ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"):
        os.environ.pop(name, None)
    assert tracing_for(Settings()) is NO_TRACING


async def test_an_otlp_endpoint_in_the_environment_turns_exporting_tracing_on() -> None:
    os.environ["OTEL_EXPORTER_OTLP_ENDPOINT"] = "http://127.0.0.1:9"
    tracing = tracing_for(Settings())
    assert isinstance(tracing, OpenTelemetryTracing)
    await tracing.shutdown()  # nothing was recorded, so nothing is sent


def run_python(code: str, **variables: str) -> subprocess.CompletedProcess[str]:
    """`code` in a fresh interpreter, with `variables` and no OpenTelemetry variable of ours."""
    environ = {name: value for name, value in os.environ.items() if not name.startswith("OTEL_")}
    environ.update(variables)
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=Path(__file__).parents[2],
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_with_tracing_off_opentelemetry_is_never_imported() -> None:
    handled = run_python(
        "import asyncio, sys\n"
        "from customer_async.service import CustomerService\n"
        "from customer_async.settings import Settings\n"
        "from tests.support.handling import handle, record\n"
        "from customer_async.types import Operation\n"
        "async def main():\n"
        "    service = CustomerService(Settings())\n"
        "    assert not service.tracing.enabled\n"
        "    await handle(service.tracing, record(Operation.RETRIEVE, {'id': '7'},"
        " [('traceparent', b'00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01')]))\n"
        "    await service.tracing.shutdown()\n"
        "asyncio.run(main())\n"
        "loaded = sorted(m for m in sys.modules if m.startswith('opentelemetry'))\n"
        "assert not loaded, loaded\n"
    )
    assert handled.returncode == 0, handled.stderr


def test_an_endpoint_without_the_extra_is_served_untraced_with_a_warning() -> None:
    untraced = run_python(
        "import sys\n"
        "sys.modules['opentelemetry'] = None  # as if the `otel` extra were not installed\n"
        "from customer_async.interfaces import NO_TRACING\n"
        "from customer_async.ops.tracing import tracing_for\n"
        "from customer_async.settings import Settings\n"
        "assert tracing_for(Settings(tracing='auto')) is NO_TRACING\n",
        OTEL_EXPORTER_OTLP_ENDPOINT="http://collector:4318",
    )
    assert untraced.returncode == 0, untraced.stderr
    assert "OpenTelemetry is missing" in untraced.stderr
    assert "customer-async[otel]" in untraced.stderr


def test_tracing_on_without_the_extra_refuses_to_serve() -> None:
    """A configuration error: one line saying what to install, and the misconfiguration exit."""
    refused = run_python(
        "import sys\n"
        "sys.modules['opentelemetry'] = None  # as if the `otel` extra were not installed\n"
        "from customer_async.cli import main\n"
        "main(['serve'])\n",
        CUSTOMER_ASYNC_TRACING="on",
        CUSTOMER_ASYNC_HTTP_ENABLED="false",
    )
    assert refused.returncode == EXIT_MISCONFIGURED, refused.stderr
    assert "cannot start: CUSTOMER_ASYNC_TRACING=on" in refused.stderr
    assert "customer-async[otel]" in refused.stderr
