"""Which tracing the service runs: OpenTelemetry when it is switched on, else none at all.

The service's parts trace through a `Tracing` (interfaces.py), whose base does nothing: with
tracing off (the default unless an OTLP endpoint is configured) or without the `otel` extra,
nothing of OpenTelemetry is imported and requests are handled exactly as without tracing.
`tracing_for(settings)` returns the real one (`otel.py`) when tracing is configured; with it on,
the `traceparent` of the reply and the events names the request's span, so a consumer of either
continues the same trace.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Final

from customer_async.interfaces import NO_TRACING, Tracing

if TYPE_CHECKING:
    from customer_async.settings import Settings

log = logging.getLogger(__name__)

OTLP_ENDPOINTS: Final = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
"""OpenTelemetry's standard variables: either one set turns tracing on (setting `auto`)."""


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
