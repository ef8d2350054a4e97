"""Runs one decoded request to its single logical reply.

decode (edge/) → read handler, or the write path (protocol/writes.py: one read, one
conditional write, publish) → answer (answering.py). A refused record gets its error reply;
every error becomes a TMF error reply (replies.py), and a request whose write was published is
never answered again with something else.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping

from customer_async.answering import Answering, reply_address
from customer_async.edge.decode import Rejection
from customer_async.errors import CustomerAsyncError
from customer_async.interfaces import NO_METRICS, NO_TRACING, Metrics, Tracing
from customer_async.log_limits import EXEMPT_ATTRIBUTE
from customer_async.ops.json_logs import REQUEST_LOGGER, request_fields
from customer_async.protocol.writes import WritePath
from customer_async.replies import error_reply
from customer_async.types import Command, Operation, ReadHandler

log = logging.getLogger(__name__)
request_log = logging.getLogger(REQUEST_LOGGER)


class Dispatcher:
    """Turns commands into delivered replies (and, through the write path, events)."""

    def __init__(
        self,
        reads: Mapping[Operation, ReadHandler],
        writes: WritePath,
        answering: Answering,
        metrics: Metrics = NO_METRICS,
        tracing: Tracing = NO_TRACING,
    ) -> None:
        self._reads = reads
        self._writes = writes
        self._answering = answering
        self._metrics = metrics
        self._tracing = tracing

    async def dispatch(self, request: Command | Rejection) -> None:
        """Deliver the one reply (and any events) `request` is owed; count and log it."""
        started = time.perf_counter()
        with request_fields(request.correlation_id, request.operation):
            try:
                status = await self._answer(request)
            except Exception:
                self._handled(request, 500, started)  # the caller answers it with a 500
                raise
            self._handled(request, status, started)

    def _handled(self, request: Command | Rejection, status: int, started: float) -> None:
        seconds = time.perf_counter() - started
        self._metrics.request_handled(request.operation, status, seconds)
        self._tracing.answered(status)
        # One line per request, never held back as a repeat (logged in JSON or at DEBUG only).
        request_log.info(
            "%s %s answered %d in %.1f ms",
            request.operation,
            request.correlation_id,
            status,
            seconds * 1000,
            extra={
                EXEMPT_ATTRIBUTE: True,
                "correlation_id": request.correlation_id,
                "operation": str(request.operation),
                "status": status,
                "duration_ms": round(seconds * 1000, 3),
            },
        )

    async def _answer(self, request: Command | Rejection) -> int:
        """Deliver the request's reply; its status."""
        address = reply_address(request)
        if isinstance(request, Rejection):
            return (await self._answering.send_error(address, request.error)).status
        try:
            with self._tracing.span("store"):
                if request.operation.writes:
                    return (await self._writes.apply(request, address)).status
                reply = await self._reads[request.operation](request)
        except CustomerAsyncError as error:
            # Raised before anything was written or published: the request's one answer.
            if error.status >= 500:
                log.warning("%s %s failed: %s", request.operation, request.correlation_id, error)
            reply = error_reply(error)
        except Exception as error:
            log.exception("%s %s: unexpected failure", request.operation, request.correlation_id)
            reply = error_reply(error)
        await self._answering.send(address, reply)
        return reply.status
