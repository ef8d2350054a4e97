"""The service's one error tree; every error knows its status code and TMF `reason`.

    CustomerAsyncError
    ├── RequestError                      the client sent something we refuse (4xx)
    │   ├── BadRequest                    400
    │   │   ├── InvalidJson               value or header not JSON / not the expected shape
    │   │   ├── SchemaViolation           JSON Schema says no; message names the JSON path
    │   │   ├── InvalidParameter          id, fields, offset, limit, sort
    │   │   ├── FilterParseError          unknown attribute or operator, bad value
    │   │   ├── InvalidAttributeName      `$…`, `_…` or dotted attribute names
    │   │   ├── NonPatchableAttribute     id, href, @type changed
    │   │   └── InvalidPatch              malformed patch, bad pointer, query matching nothing
    │   ├── ReplyChannelForbidden         403
    │   ├── CustomerNotFound              404
    │   ├── PatchTestFailed               409
    │   ├── PayloadTooLarge               413
    │   └── UnsupportedContentType        415
    └── ServiceError                      our side failed (5xx)
        ├── InternalError                 500, a bug; never shows a stack trace
        ├── StoreUnavailable              503, the store stayed down past the retry budget
        │   └── WriteContended            503, a write lost its race too often (not applied)
        ├── KafkaAuthenticationFailed     start-up: the broker refused the configured login
        └── OperationsPortUnavailable     start-up: the operations port cannot be listened on

Library errors (aiokafka, pymongo, jsonschema, jsonpatch, the operations port's OSError) are
translated into these where they are caught, with `raise ... from exc`; nothing outside the edge,
the store and the operations port sees them.
"""

from __future__ import annotations

from typing import ClassVar

from customer_async.types import Document


class CustomerAsyncError(Exception):
    """Root of every error the service raises on purpose."""

    status: ClassVar[int] = 500
    code: ClassVar[str] = "INTERNAL_ERROR"
    reason: ClassVar[str] = "Internal error"

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.reason)
        self.message = message or self.reason

    def to_tmf(self) -> Document:
        """The TMF `Error` resource for this error."""
        return {
            "@type": "Error",
            "code": self.code,
            "reason": self.reason,
            "message": self.message,
            "status": str(self.status),
        }


class RequestError(CustomerAsyncError):
    """The request is refused; nothing was changed."""

    status = 400
    code = "BAD_REQUEST"
    reason = "Bad request"


class BadRequest(RequestError):
    """400: the request cannot be understood or is not valid."""


class InvalidJson(BadRequest):
    """The value, or a header that must hold JSON, is not JSON of the expected shape."""

    code = "INVALID_JSON"
    reason = "Invalid JSON"


class SchemaViolation(BadRequest):
    """A document does not validate against its JSON Schema."""

    code = "SCHEMA_VIOLATION"
    reason = "Schema violation"


class InvalidParameter(BadRequest):
    """A parameter (`id`, `fields`, `offset`, `limit`, `sort`) is missing or malformed."""

    code = "INVALID_PARAMETER"
    reason = "Invalid parameter"


class FilterParseError(BadRequest):
    """A filter names an unknown attribute or operator, or a value of the wrong type."""

    code = "INVALID_FILTER"
    reason = "Invalid filter"


class InvalidAttributeName(BadRequest):
    """An attribute name starts with `$` or `_`, or contains `.`."""

    code = "INVALID_ATTRIBUTE_NAME"
    reason = "Invalid attribute name"


class NonPatchableAttribute(BadRequest):
    """A patch changes `id`, `href` or `@type`."""

    code = "NON_PATCHABLE_ATTRIBUTE"
    reason = "Non-patchable attribute"


class InvalidPatch(BadRequest):
    """A patch document is malformed, points nowhere, or its query matches no element."""

    code = "INVALID_PATCH"
    reason = "Invalid patch"


class ReplyChannelForbidden(RequestError):
    """The `Reply-Channel` is not on the allow-list."""

    status = 403
    code = "FORBIDDEN_REPLY_CHANNEL"
    reason = "Reply channel not allowed"


class CustomerNotFound(RequestError):
    """No customer has that id."""

    status = 404
    code = "NOT_FOUND"
    reason = "Customer not found"


class PatchTestFailed(RequestError):
    """A JSON Patch `test` operation did not hold."""

    status = 409
    code = "CONFLICT"
    reason = "Patch test failed"


class PayloadTooLarge(RequestError):
    """The request value is larger than the configured maximum."""

    status = 413
    code = "PAYLOAD_TOO_LARGE"
    reason = "Payload too large"


class UnsupportedContentType(RequestError):
    """The patch `Content-Type` is not one the service applies."""

    status = 415
    code = "UNSUPPORTED_MEDIA_TYPE"
    reason = "Unsupported content type"


class ServiceError(CustomerAsyncError):
    """The service could not do its part; the request itself may be fine."""

    retriable: ClassVar[bool] = False


class InternalError(ServiceError):
    """500: an unexpected failure. The message never carries a stack trace."""


class KafkaAuthenticationFailed(ServiceError):
    """The broker refused the configured login (or its certificate is not trusted): a
    configuration error, reported once at start-up instead of being retried forever."""


class OperationsPortUnavailable(ServiceError):
    """The operations port's address is in use or cannot be bound: a configuration error,
    reported once at start-up, before anything has connected to Kafka or the store."""


class StoreUnavailable(ServiceError):
    """503: the store stayed unreachable past the configured retry budget."""

    status = 503
    code = "SERVICE_UNAVAILABLE"
    reason = "Store unavailable"
    retriable = True

    def __init__(self, message: str | None = None, retry_after: int = 5) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        """Seconds after which a resend (same X-Correlation-Id) is worth trying."""


class WriteContended(StoreUnavailable):
    """503 for a write that lost the race for its customer every time: it was not applied (each
    lost race was read back), so a resend is applied once."""
