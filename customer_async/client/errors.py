"""The client's one error tree: what a caller catches when a call does not end in a 2xx reply.

    CustomerClientError                   everything this client raises on purpose
    ├── ErrorReply                        the service answered with a TMF Error (any non-2xx)
    │   ├── RequestRefused                4xx: the request was refused, nothing changed
    │   │   ├── BadRequest                400
    │   │   ├── Forbidden                 403 (a refused Reply-Channel)
    │   │   ├── NotFound                  404
    │   │   ├── Conflict                  409 (a JSON Patch `test` failed)
    │   │   ├── PayloadTooLarge           413
    │   │   └── UnsupportedMediaType      415
    │   └── ServiceFailed                 5xx: the service could not do it
    │       ├── InternalServerError       500
    │       └── ServiceUnavailable        503 (transient: resend, same correlation id)
    ├── ReplyTimeout                      no reply in time: resend with its correlation id
    ├── MalformedReply                    a reply that breaks the wire contract
    ├── TopicNotFound                     a topic the call needs does not exist
    ├── BrokerUnavailable                 Kafka could not be reached or refused us
    └── ClientNotStarted                  used before `start()` or after `close()`

`retriable` says whether resending the same request (same `X-Correlation-Id`) may succeed; the
service applies a resent write once and answers it with the first reply. aiokafka errors are
translated where they are caught (`raise … from exc`), never leaked.
"""

from __future__ import annotations

from collections.abc import Mapping
from http import HTTPStatus
from typing import Any, ClassVar


class CustomerClientError(Exception):
    """Root of every error the client raises on purpose."""

    retriable: ClassVar[bool] = False


class ErrorReply(CustomerClientError):
    """The service answered with a non-2xx status and a TMF `Error` body."""

    status_class: ClassVar[str] = "error"

    def __init__(
        self,
        status: int,
        *,
        code: str,
        reason: str,
        message: str,
        correlation_id: str,
        error: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(f"{status} {reason}: {message}" if message else f"{status} {reason}")
        self.status = status
        self.code = code
        self.reason = reason
        self.message = message
        self.correlation_id = correlation_id
        self.error: Mapping[str, Any] = error or {}
        """The whole TMF Error body as received (it may hold `referenceError` and extensions)."""


class RequestRefused(ErrorReply):
    """4xx: the service refused the request; nothing was changed."""

    status_class = "4xx"


class BadRequest(RequestRefused):
    """400: not JSON, a schema violation, a bad parameter, filter or patch."""


class Forbidden(RequestRefused):
    """403: the service does not allow the client's Reply-Channel."""


class NotFound(RequestRefused):
    """404: no customer with that id."""


class Conflict(RequestRefused):
    """409: a JSON Patch `test` operation failed."""


class PayloadTooLarge(RequestRefused):
    """413: the request value is larger than the service accepts."""


class UnsupportedMediaType(RequestRefused):
    """415: the patch Content-Type is not one the service knows."""


class ServiceFailed(ErrorReply):
    """5xx: the service could not carry out the request."""

    status_class = "5xx"


class InternalServerError(ServiceFailed):
    """500: a bug in the service."""


class ServiceUnavailable(ServiceFailed):
    """503: the store stayed down; resend the same request (same correlation id) later."""

    retriable = True

    def __init__(self, status: int, *, retry_after: float | None = None, **fields: Any) -> None:
        super().__init__(status, **fields)
        self.retry_after = retry_after
        """Seconds the service suggests waiting (its `Retry-After` header), when it sent one."""


class ReplyTimeout(CustomerClientError):
    """No reply came in time. Resend with `correlation_id` to get the one reply it has."""

    retriable = True

    def __init__(self, operation: str, correlation_id: str, timeout: float) -> None:
        super().__init__(
            f"no reply to {operation} within {timeout:g} s; "
            f"retry with correlation id {correlation_id}"
        )
        self.operation = operation
        self.correlation_id = correlation_id
        self.timeout = timeout


class MalformedReply(CustomerClientError):
    """A reply without a usable `Status-Code`, or whose value is not the JSON it should be."""


class TopicNotFound(CustomerClientError):
    """A topic the call reads does not exist (is a service running with this topic prefix?)."""

    def __init__(self, topic: str) -> None:
        super().__init__(f"topic {topic} does not exist: is the service running with this prefix?")
        self.topic = topic


class BrokerUnavailable(CustomerClientError):
    """Kafka could not be reached, or refused an operation the client needs."""

    retriable = True


class ClientNotStarted(CustomerClientError):
    """The client was used before `start()` (or `async with`) or after `close()`."""


_BY_STATUS: dict[int, type[ErrorReply]] = {
    400: BadRequest,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    413: PayloadTooLarge,
    415: UnsupportedMediaType,
    500: InternalServerError,
    503: ServiceUnavailable,
}


def error_class(status: int) -> type[ErrorReply]:
    """The most specific class for a status: its own, else its status class, else `ErrorReply`."""
    if status in _BY_STATUS:
        return _BY_STATUS[status]
    if 400 <= status < 500:
        return RequestRefused
    if 500 <= status < 600:
        return ServiceFailed
    return ErrorReply


def error_from_reply(
    status: int,
    body: object,
    correlation_id: str,
    headers: Mapping[str, str] | None = None,
) -> ErrorReply:
    """The exception for a non-2xx reply; tolerant of a body that is not a TMF Error."""
    error = body if isinstance(body, Mapping) else {}
    cls = error_class(status)
    fields: dict[str, Any] = {
        "code": str(error.get("code", status)),
        "reason": str(error.get("reason") or _phrase(status)),
        "message": str(error.get("message", "")),
        "correlation_id": correlation_id,
        "error": error,
    }
    if cls is ServiceUnavailable:
        return ServiceUnavailable(
            status, retry_after=_seconds((headers or {}).get("Retry-After")), **fields
        )
    return cls(status, **fields)


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return f"Status {status}"


def _seconds(value: str | None) -> float | None:
    try:
        return None if value is None else float(value)
    except ValueError:
        return None
