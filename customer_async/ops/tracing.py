"""OpenTelemetry spans of each request, or nothing at all: what the rest of the code calls.

The service's parts trace through a `Tracing`, whose methods do nothing: with tracing off (the
default unless an OTLP endpoint is configured) or without the `otel` extra, nothing of
OpenTelemetry is imported and requests are handled exactly as without this module.
`tracing_for(settings)` returns the real one (`otel.py`) when tracing is configured:

    customerManagement.<operation>   CONSUMER, child of the caller's `traceparent`
    ├── decode                       the record into a command (edge/decode.py)
    ├── store                        the read handler, or the whole write path (writes.py)
    └── publish                      replies and events to Kafka (within `store` for a write)

With tracing on, the `traceparent` of the reply and the events names the request's span, so a
consumer of either continues the same trace.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Mapping
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Final, Literal

if TYPE_CHECKING:
    from customer_async.answering import Sink
    from customer_async.edge.decode import Rejection
    from customer_async.edge.records import IncomingRecord
    from customer_async.settings import Settings
    from customer_async.types import Command, Operation

log = logging.getLogger(__name__)

SpanName = Literal["decode", "store"]
"""The children of a request's span that the service's parts open (publish opens itself)."""

OTLP_ENDPOINTS: Final = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
"""OpenTelemetry's standard variables: either one set turns tracing on (setting `auto`)."""


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


class TracingUnavailable(RuntimeError):
    """Tracing is switched on, but the `otel` extra (OpenTelemetry) is not installed."""


def tracing_wanted(settings: Settings, environ: Mapping[str, str] | None = None) -> bool:
    """Whether `settings` and OpenTelemetry's standard variables ask for spans to be exported."""
    environ = os.environ if environ is None else environ
    if settings.tracing == "off" or environ.get("OTEL_SDK_DISABLED", "").lower() == "true":
        return False
    if settings.tracing == "on":
        return True
    return any(environ.get(name, "").strip() for name in OTLP_ENDPOINTS)


def tracing_for(settings: Settings) -> Tracing:
    """The service's tracing: OpenTelemetry exporting over OTLP/HTTP if wanted, else none.

    Whether, and where to, both come from the process environment (the exporter reads it too).
    """
    if not tracing_wanted(settings):
        return NO_TRACING
    try:
        # Imported only here: with tracing off, OpenTelemetry is never loaded.
        from customer_async.ops import otel  # noqa: PLC0415 - see the comment above
    except ImportError as exc:
        advice = "install the `otel` extra: pip install 'customer-async[otel]'"
        if settings.tracing == "on":
            raise TracingUnavailable(f"CUSTOMER_ASYNC_TRACING=on: {advice}") from exc
        log.warning("an OTLP endpoint is set but OpenTelemetry is missing; not tracing: %s", advice)
        return NO_TRACING
    return otel.exporting(settings)
