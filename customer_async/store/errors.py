"""Which store errors are an outage (retried within the budget, then a 503) and which are an
answer (a conflict, or a bug in what was sent: never retried).

Transient, checked in this order:

- `ConnectionFailure` and its subclasses: the client could not reach the server or lost it
  (`AutoReconnect`, `NetworkTimeout`, `NotPrimaryError`, `ServerSelectionTimeoutError`,
  `WaitQueueTimeoutError`);
- any `PyMongoError` labelled `RetryableWriteError` or `TransientTransactionError`;
- an `OperationFailure` whose code, or the code of one of its write errors or write concern
  errors (a `BulkWriteError` keeps them in `details`), is in `TRANSIENT_CODES`;
- FerretDB's `InternalError` (code 1) when its message shows that PostgreSQL under it is away
  (`POSTGRESQL_UNREACHABLE`); any other code 1 is a bug.

Not transient: everything else, including `DuplicateKeyError` and `ExecutionTimeout` (see
`is_transient`), and errors that are not PyMongo's.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from pymongo.errors import ConnectionFailure, ExecutionTimeout, OperationFailure, PyMongoError

TRANSIENT_LABELS = frozenset({"RetryableWriteError", "TransientTransactionError"})
"""Labels with which the server or PyMongo say "the same command may succeed if sent again"."""

TRANSIENT_CODES = frozenset(
    {
        # PyMongo 4.20's `_RETRYABLE_ERROR_CODES` (pymongo/helpers_shared.py, from the
        # retryable writes spec): not primary, node recovering or shutting down ...
        10107,  # NotWritablePrimary
        13435,  # NotPrimaryNoSecondaryOk
        13436,  # NotPrimaryOrSecondary
        11602,  # InterruptedDueToReplStateChange
        189,  # PrimarySteppedDown
        10058,  # LegacyNotPrimary (servers before 3.4)
        91,  # ShutdownInProgress
        11600,  # InterruptedAtShutdown
        # ... and the network between servers
        6,  # HostUnreachable
        7,  # HostNotFound
        89,  # NetworkTimeout
        9001,  # SocketException
        262,  # ExceededTimeLimit
        134,  # ReadConcernMajorityNotAvailableYet
        # Ours, not in PyMongo's list: the write was applied on the primary but not replicated
        # within wtimeout; a retry meets its own result (insert: id taken; update: version moved).
        64,  # WriteConcernFailed
    }
)
"""MongoDB error codes of elections, shutdowns and network trouble between servers."""

DUPLICATE_KEY = 11000
"""The code of a write refused because its `_id` (or another unique key) is taken."""

FERRETDB_INTERNAL_ERROR = 1
"""FerretDB v1's code for any backend error it does not translate (`handlererrors.ProtocolError`),
PostgreSQL's connection errors among them: alone it says nothing about transience."""

POSTGRESQL_UNREACHABLE = re.compile(
    r"\(SQLSTATE (?:08[0-9A-Z]{3}|57P0[1235]|53300)\)"
    r"|dial error: |connection refused|connection reset by peer|broken pipe"
    r"|unexpected EOF|\bconn closed\b"
)
"""What FerretDB's code-1 messages carry while PostgreSQL is away, as pgx words it: a PostgreSQL
SQLSTATE of class 08 (connection exception), 57P01 admin shutdown (also sent on a postmaster
crash), 57P02 crash shutdown, 57P03 cannot connect now (starting up, shutting down), 57P05 idle
session timeout, 53300 too many connections; or pgx's own words for a connection it could not
open or lost. Not 57P04 (database dropped). Observed while PostgreSQL was killed and restarted:
`FATAL: terminating connection due to unexpected postmaster exit (SQLSTATE 57P01)`, then
``failed to connect to `user=… database=…`: … dial error: … connect: connection refused``."""


def _failures(error: OperationFailure) -> Iterator[tuple[int | None, str, Mapping[str, Any]]]:
    """The error's own code and message, then those of each write error and write concern error
    in its details (code, message, the document that carries its labels)."""
    details: Mapping[str, Any] = error.details or {}
    yield error.code, str(details.get("errmsg", error)), details
    nested = [
        *details.get("writeErrors", ()),
        *details.get("writeConcernErrors", ()),
        *([details["writeConcernError"]] if "writeConcernError" in details else []),
    ]
    for failure in nested:
        if isinstance(failure, Mapping):
            yield failure.get("code"), str(failure.get("errmsg", "")), failure


def _transient_failure(code: int | None, message: str, document: Mapping[str, Any]) -> bool:
    if code in TRANSIENT_CODES:
        return True
    if not TRANSIENT_LABELS.isdisjoint(document.get("errorLabels", ())):
        return True
    return code == FERRETDB_INTERNAL_ERROR and POSTGRESQL_UNREACHABLE.search(message) is not None


def is_transient(error: BaseException) -> bool:
    """Whether `error` means the store is away for now, so the same command is worth sending
    again (within the retry budget; past it, the answer is a 503).

    `ExecutionTimeout` (code 50, maxTimeMS exceeded) never is, whatever its labels: the store
    answered that the work took longer than we allowed, and running it again would only load it
    more. The caller that set the time limit decides (the list path answers it with its own 503).

    A bulk write is transient when any of its failures is: the statements an outage hit succeed
    on a retry, and those already applied answer as such (a duplicate id, a moved version).
    """
    if isinstance(error, ConnectionFailure):
        return True
    if not isinstance(error, PyMongoError) or isinstance(error, ExecutionTimeout):
        return False
    if any(error.has_error_label(label) for label in TRANSIENT_LABELS):
        return True
    if not isinstance(error, OperationFailure):
        return False
    return any(_transient_failure(*failure) for failure in _failures(error))
