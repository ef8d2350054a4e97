"""What a failed request is answered: the TMF `Error` reply built from an exception.

Every error reply the service sends is built here, whoever caught the error: the dispatcher (a
refusal or a bug in a handler), the write path (a refusal it remembers with the customer), the
consume loop (a bug outside the handlers) and the Kafka edge (a reply the broker refused for
good, replaced by a small 500). So the status, the TMF body and the headers of an error reply
have one definition.
"""

from __future__ import annotations

from customer_async.errors import CustomerAsyncError, InternalError, StoreUnavailable
from customer_async.types import Reply


def error_reply(error: Exception, key: str | None = None) -> Reply:
    """The TMF error reply for `error` (anything unexpected is a 500; a 503 says when to resend)."""
    if not isinstance(error, CustomerAsyncError):
        error = InternalError("an unexpected error occurred; see the log")
    headers = {"Retry-After": str(error.retry_after)} if isinstance(error, StoreUnavailable) else {}
    return Reply(error.status, error.to_tmf(), key=key, headers=headers)


def refused_reply(refused: Reply, reason: str, *, too_large: bool) -> Reply:
    """The small 500 sent instead of `refused`, a reply the broker will not take (`reason`)."""
    why = "too large" if too_large else "refused"
    error = InternalError(f"the {refused.status} reply is {why} to publish: {reason}")
    return error_reply(error, key=refused.key)
