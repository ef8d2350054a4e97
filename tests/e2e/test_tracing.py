"""Tracing end to end: a create through real Kafka and the real store, its spans exported by the
service over OTLP/HTTP to a collector on loopback, in the caller's trace."""
# Raw records: the W3C traceparent a caller sends, which CustomerClient never sets.

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.trace.v1.trace_pb2 import Span

from customer_async.settings import Settings
from customer_async.types import Operation
from tests.e2e.conftest import StartService
from tests.support.client import ServiceClient
from tests.support.examples import create_request

pytestmark = pytest.mark.e2e

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
CALLER_SPAN = "00f067aa0ba902b7"


class Collector:
    """An OTLP/HTTP trace receiver on loopback: keeps every span it is sent, and its resource."""

    def __init__(self) -> None:
        self.spans: list[Span] = []
        self.service_names: set[str] = set()
        collector = self

        class Receive(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                collector.received(ExportTraceServiceRequest.FromString(body))
                answer = ExportTraceServiceResponse().SerializeToString()
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, format: str, *args: object) -> None:
                del format, args

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Receive)
        self._lock = threading.Lock()
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/v1/traces"

    def received(self, request: ExportTraceServiceRequest) -> None:
        with self._lock:
            for resource_spans in request.resource_spans:
                for attribute in resource_spans.resource.attributes:
                    if attribute.key == "service.name":
                        self.service_names.add(attribute.value.string_value)
                for scope_spans in resource_spans.scope_spans:
                    self.spans.extend(scope_spans.spans)

    def in_trace(self, trace_id: str) -> dict[str, Span]:
        with self._lock:
            return {span.name: span for span in self.spans if span.trace_id.hex() == trace_id}

    def serve(self) -> Iterator[Collector]:
        thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self._server.shutdown()
            self._server.server_close()
            thread.join()


@pytest.fixture
def collector() -> Iterator[Collector]:
    yield from Collector().serve()


async def test_a_create_exports_decode_store_and_publish_spans_in_the_callers_trace(
    settings: Settings, start_service: StartService, collector: Collector
) -> None:
    """The OTLP endpoint variable alone turns tracing on; the reply names the exported span."""
    os.environ["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"] = collector.url
    os.environ["OTEL_BSP_SCHEDULE_DELAY"] = "50"  # export within milliseconds, not 5 s
    service = await start_service()
    assert service.tracing.enabled
    client = ServiceClient(settings)
    await client.start()
    try:
        correlation_id = await client.send(
            Operation.CREATE,
            create_request(),
            raw_headers=[("traceparent", f"00-{TRACE_ID}-{CALLER_SPAN}-01".encode())],
        )
        assert correlation_id is not None
        reply = await client.reply(correlation_id)
        [event] = await client.events_for(correlation_id, 1)
    finally:
        await client.stop()
    assert reply.status == 201

    names = {"customerManagement.create", "decode", "store", "publish"}
    for _ in range(200):
        if names <= set(collector.in_trace(TRACE_ID)):
            break
        await asyncio.sleep(0.05)
    spans = collector.in_trace(TRACE_ID)
    assert set(spans) == names
    request = spans["customerManagement.create"]
    assert request.kind == Span.SPAN_KIND_CONSUMER
    assert request.parent_span_id.hex() == CALLER_SPAN
    for child in ("decode", "store", "publish"):
        assert spans[child].parent_span_id == request.span_id
    attributes = {a.key: a.value for a in request.attributes}
    assert attributes["customer_async.status_code"].int_value == 201
    assert attributes["customer_async.customer.id"].string_value == reply.body["id"]
    assert attributes["messaging.message.conversation_id"].string_value == correlation_id
    ours = f"00-{TRACE_ID}-{request.span_id.hex()}-01"
    assert reply.headers["traceparent"] == event.headers["traceparent"] == ours
    assert collector.service_names == {"customer-async"}
