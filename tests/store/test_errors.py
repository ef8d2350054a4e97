"""Which store errors are retried as an outage and which are answered at once.

Each exception is built as PyMongo raises it (pymongo/helpers_shared.py: a failed command's
response document becomes `details`). The FerretDB documents are quoted from FerretDB v1.24.2 on
PostgreSQL 15 while its postmaster was killed (SIGKILL, then SIGINT) and started again.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from bson.errors import InvalidDocument
from pymongo.errors import (
    AutoReconnect,
    BulkWriteError,
    ConfigurationError,
    ConnectionFailure,
    DuplicateKeyError,
    ExecutionTimeout,
    InvalidURI,
    NetworkTimeout,
    NotPrimaryError,
    OperationFailure,
    ProtocolError,
    PyMongoError,
    ServerSelectionTimeoutError,
    WaitQueueTimeoutError,
    WriteConcernError,
    WriteError,
    WTimeoutError,
)

from customer_async.store.errors import is_transient

_CONNECT = "failed to connect to `user=postgres database=ferretdb`:"
_REFUSED = "dial error: dial tcp 127.0.0.1:34227: connect: connection refused"
_FIND_FRAMES = (
    "[msg_find.go:344 handler.handleMaxTimeMSError] [values.go:74 iterator.ConsumeValuesN[...]] "
    "[projection_iterator.go:60 common.(*projectionIterator).Next] "
    "[filter_iterator.go:52 common.(*filterIterator).Next] "
    "[query_iterator.go:92 postgresql.(*queryIterator).Next] "
)


def _command_failed(errmsg: str, code: int, code_name: str, **extra: Any) -> dict[str, Any]:
    return {"ok": 0.0, "errmsg": errmsg, "code": code, "codeName": code_name, **extra}


def _failure(errmsg: str, code: int, code_name: str, **extra: Any) -> OperationFailure:
    """A failed command as PyMongo raises it for a code it has no subclass for."""
    response = _command_failed(errmsg, code, code_name, **extra)
    return OperationFailure(errmsg, code, response, 21)


def _ferretdb(errmsg: str) -> OperationFailure:
    """FerretDB's `InternalError`: a backend error it did not translate."""
    return _failure(errmsg, 1, "InternalError")


def _bulk(
    write_errors: list[dict[str, Any]], write_concern_errors: list[dict[str, Any]] | None = None
) -> BulkWriteError:
    """An `insert_many`/`bulk_write` result with failures, as pymongo/bulk_shared.py raises it."""
    return BulkWriteError(
        {
            "writeErrors": write_errors,
            "writeConcernErrors": write_concern_errors or [],
            "nInserted": 1,
            "nUpserted": 0,
            "nMatched": 0,
            "nModified": 0,
            "nRemoved": 0,
            "upserted": [],
        }
    )


def _write_error(index: int, code: int, errmsg: str) -> dict[str, Any]:
    return {"index": index, "code": code, "errmsg": errmsg, "op": {"_id": f"c{index}"}}


OBSERVED_DURING_POSTGRESQL_RESTART = [
    pytest.param(
        _ferretdb(
            "[msg_insert.go:168 handler.(*Handler).MsgInsert] FATAL: terminating connection due "
            "to unexpected postmaster exit (SQLSTATE 57P01)"
        ),
        id="insert-postmaster-killed-57P01",
    ),
    pytest.param(
        _ferretdb(
            _FIND_FRAMES + "FATAL: terminating connection due to unexpected postmaster exit "
            "(SQLSTATE 57P01)"
        ),
        id="find-postmaster-killed-57P01",
    ),
    pytest.param(
        _ferretdb(
            "[msg_delete.go:95 handler.(*Handler).MsgDelete] [msg_delete.go:169 "
            "handler.(*Handler).execDelete] [collection.go:291 postgresql.(*collection).DeleteAll] "
            "FATAL: terminating connection due to unexpected postmaster exit (SQLSTATE 57P01)"
        ),
        id="delete-postmaster-killed-57P01",
    ),
    pytest.param(
        _ferretdb(
            "[msg_insert.go:168 handler.(*Handler).MsgInsert] FATAL: terminating connection due "
            "to administrator command (SQLSTATE 57P01)"
        ),
        id="insert-fast-shutdown-57P01",
    ),
    pytest.param(
        _ferretdb(
            "[msg_find.go:344 handler.handleMaxTimeMSError] [collection.go:109 "
            f"postgresql.(*collection).Query] {_CONNECT}\n"
            f"\t127.0.0.1:34227 (127.0.0.1): {_REFUSED}\n"
            f"\t127.0.0.1:34227 (127.0.0.1): {_REFUSED}"
        ),
        id="find-postgresql-down-connection-refused",
    ),
    pytest.param(
        _ferretdb(
            "[msg_update.go:117 handler.(*Handler).updateDocument] [collection.go:109 "
            f"postgresql.(*collection).Query] {_CONNECT}\n"
            f"\t127.0.0.1:34227 (127.0.0.1): {_REFUSED}\n"
            f"\t127.0.0.1:34227 (127.0.0.1): {_REFUSED}"
        ),
        id="update-postgresql-down-connection-refused",
    ),
    pytest.param(
        _ferretdb(
            f"[msg_insert.go:168 handler.(*Handler).MsgInsert] {_CONNECT}\n"
            f"\t127.0.0.1:34227 (127.0.0.1): {_REFUSED}\n"
            f"\t127.0.0.1:34227 (127.0.0.1): {_REFUSED}"
        ),
        id="insert-many-postgresql-down-connection-refused",
    ),
    pytest.param(
        _ferretdb(
            "[msg_find.go:344 handler.handleMaxTimeMSError] [msg_aggregate.go:429 "
            "handler.processStagesDocuments] [collection.go:109 postgresql.(*collection).Query] "
            f"{_CONNECT}\n"
            "\t127.0.0.1:43327 (127.0.0.1): tls error: server refused TLS connection\n"
            "\t127.0.0.1:43327 (127.0.0.1): server error: FATAL: the database system is shutting "
            "down (SQLSTATE 57P03)"
        ),
        id="count-postgresql-shutting-down-57P03",
    ),
]

POSTGRESQL_AWAY_IN_PGX_WORDS = [
    pytest.param(
        _ferretdb(
            f"{_CONNECT}\n\t127.0.0.1:34227 (127.0.0.1): server error: FATAL: the database "
            "system is starting up (SQLSTATE 57P03)"
        ),
        id="postgresql-starting-up-57P03",
    ),
    pytest.param(
        _ferretdb(
            f"{_CONNECT}\n\t127.0.0.1:34227 (127.0.0.1): server error: FATAL: sorry, too many "
            "clients already (SQLSTATE 53300)"
        ),
        id="postgresql-too-many-connections-53300",
    ),
    pytest.param(
        _ferretdb(
            "FATAL: terminating connection due to crash of another server process (SQLSTATE 57P02)"
        ),
        id="postgresql-crash-shutdown-57P02",
    ),
    pytest.param(
        _ferretdb("FATAL: terminating connection due to idle-session timeout (SQLSTATE 57P05)"),
        id="postgresql-idle-session-timeout-57P05",
    ),
    pytest.param(
        _ferretdb("ERROR: could not receive data from client (SQLSTATE 08006)"),
        id="postgresql-connection-failure-08006",
    ),
    pytest.param(
        _ferretdb(
            f"{_CONNECT} 127.0.0.1:34227 (127.0.0.1): server error: FATAL: could not establish "
            "connection (SQLSTATE 08001)"
        ),
        id="postgresql-cannot-connect-08001",
    ),
    pytest.param(
        _ferretdb("[collection.go:109 postgresql.(*collection).Query] unexpected EOF"),
        id="pgx-unexpected-eof",
    ),
    pytest.param(
        _ferretdb("[collection.go:109 postgresql.(*collection).Query] conn closed"),
        id="pgx-conn-closed",
    ),
    pytest.param(
        _ferretdb(
            "[collection.go:109 postgresql.(*collection).Query] read tcp "
            "127.0.0.1:51234->127.0.0.1:34227: read: connection reset by peer"
        ),
        id="pgx-connection-reset",
    ),
    pytest.param(
        _ferretdb(
            "[collection.go:109 postgresql.(*collection).Query] write tcp "
            "127.0.0.1:51234->127.0.0.1:34227: write: broken pipe"
        ),
        id="pgx-broken-pipe",
    ),
    pytest.param(
        _bulk(
            [
                _write_error(
                    1,
                    1,
                    "FATAL: terminating connection due to administrator command (SQLSTATE 57P01)",
                )
            ]
        ),
        id="bulk-write-error-code-1-57P01",
    ),
]

CONNECTION_FAILURES = [
    pytest.param(ConnectionFailure("could not connect"), id="ConnectionFailure"),
    pytest.param(AutoReconnect("connection closed"), id="AutoReconnect"),
    pytest.param(NetworkTimeout("timed out"), id="NetworkTimeout"),
    pytest.param(
        ServerSelectionTimeoutError("127.0.0.1:27017: [Errno 111] Connection refused"),
        id="ServerSelectionTimeoutError",
    ),
    pytest.param(
        NotPrimaryError("not primary", _command_failed("not primary", 10107, "NotWritablePrimary")),
        id="NotPrimaryError",
    ),
    pytest.param(WaitQueueTimeoutError("pool wait timed out"), id="WaitQueueTimeoutError"),
]

TRANSIENT_CODES = [
    pytest.param(10107, "NotWritablePrimary", id="10107-NotWritablePrimary"),
    pytest.param(13435, "NotPrimaryNoSecondaryOk", id="13435-NotPrimaryNoSecondaryOk"),
    pytest.param(13436, "NotPrimaryOrSecondary", id="13436-NotPrimaryOrSecondary"),
    pytest.param(
        11602, "InterruptedDueToReplStateChange", id="11602-InterruptedDueToReplStateChange"
    ),
    pytest.param(189, "PrimarySteppedDown", id="189-PrimarySteppedDown"),
    pytest.param(10058, "LegacyNotPrimary", id="10058-LegacyNotPrimary"),
    pytest.param(91, "ShutdownInProgress", id="91-ShutdownInProgress"),
    pytest.param(11600, "InterruptedAtShutdown", id="11600-InterruptedAtShutdown"),
    pytest.param(6, "HostUnreachable", id="6-HostUnreachable"),
    pytest.param(7, "HostNotFound", id="7-HostNotFound"),
    pytest.param(89, "NetworkTimeout", id="89-NetworkTimeout"),
    pytest.param(9001, "SocketException", id="9001-SocketException"),
    pytest.param(262, "ExceededTimeLimit", id="262-ExceededTimeLimit"),
    pytest.param(
        134, "ReadConcernMajorityNotAvailableYet", id="134-ReadConcernMajorityNotAvailableYet"
    ),
    pytest.param(64, "WriteConcernFailed", id="64-WriteConcernFailed"),
]

LABELLED = [
    pytest.param(
        PyMongoError("connection pool paused", error_labels=["RetryableWriteError"]),
        id="PyMongoError-RetryableWriteError",
    ),
    pytest.param(
        _failure("unknown", 999, "Unknown", errorLabels=["RetryableWriteError"]),
        id="OperationFailure-RetryableWriteError",
    ),
    pytest.param(
        _failure("write conflict", 112, "WriteConflict", errorLabels=["TransientTransactionError"]),
        id="OperationFailure-TransientTransactionError",
    ),
    pytest.param(
        _bulk(
            [],
            [
                {
                    "code": 100,
                    "codeName": "UnsatisfiableWriteConcern",
                    "errmsg": "not enough data-bearing nodes",
                    "errorLabels": ["RetryableWriteError"],
                }
            ],
        ),
        id="BulkWriteError-write-concern-error-RetryableWriteError",
    ),
]

WRITE_CONCERN_AND_BULK = [
    pytest.param(
        WTimeoutError(
            "waiting for replication timed out",
            64,
            {
                "code": 64,
                "codeName": "WriteConcernFailed",
                "errmsg": "waiting for replication timed out",
                "errInfo": {"wtimeout": True},
            },
        ),
        id="WTimeoutError-64",
    ),
    pytest.param(
        WriteConcernError(
            "shutdown in progress",
            91,
            {"code": 91, "codeName": "ShutdownInProgress", "errmsg": "shutdown in progress"},
        ),
        id="WriteConcernError-91",
    ),
    pytest.param(
        _bulk(
            [
                _write_error(0, 11000, "E11000 duplicate key error collection: db.customer"),
                _write_error(1, 11602, "operation was interrupted"),
            ]
        ),
        id="BulkWriteError-duplicate-and-11602",
    ),
    pytest.param(_bulk([_write_error(0, 189, "primary stepped down")]), id="BulkWriteError-189"),
    pytest.param(
        _bulk(
            [],
            [
                {
                    "code": 64,
                    "codeName": "WriteConcernFailed",
                    "errmsg": "waiting for replication timed out",
                    "errInfo": {"wtimeout": True},
                }
            ],
        ),
        id="BulkWriteError-write-concern-64",
    ),
]

NOT_TRANSIENT = [
    pytest.param(
        DuplicateKeyError(
            "E11000 duplicate key error collection: db.customer",
            11000,
            _command_failed("E11000 duplicate key error collection: db.customer", 11000, "Dup"),
        ),
        id="DuplicateKeyError",
    ),
    pytest.param(
        _bulk(
            [
                _write_error(0, 11000, "E11000 duplicate key error collection: db.customer_lease"),
                _write_error(2, 11000, "E11000 duplicate key error collection: db.customer_lease"),
            ]
        ),
        id="BulkWriteError-duplicates-only",
    ),
    pytest.param(
        _bulk([_write_error(0, 2, "unknown operator: $foo")]), id="BulkWriteError-BadValue"
    ),
    pytest.param(_failure("unknown operator: $foo", 2, "BadValue"), id="2-BadValue"),
    pytest.param(_failure("Expected field name", 9, "FailedToParse"), id="9-FailedToParse"),
    pytest.param(
        _failure("Regular expression is invalid: missing )", 51091, "Location51091"),
        id="51091-invalid-regex",
    ),
    pytest.param(
        WriteError("Document failed validation", 121, {"code": 121, "errmsg": "failed"}),
        id="121-DocumentValidationFailure",
    ),
    pytest.param(
        OperationFailure("Command failed", None, None), id="OperationFailure-without-code"
    ),
    pytest.param(
        ExecutionTimeout(
            "operation exceeded time limit",
            50,
            _command_failed("operation exceeded time limit", 50, "MaxTimeMSExpired"),
        ),
        id="ExecutionTimeout",
    ),
    pytest.param(
        ExecutionTimeout(
            "operation exceeded time limit",
            50,
            _command_failed(
                "operation exceeded time limit",
                50,
                "MaxTimeMSExpired",
                errorLabels=["TransientTransactionError"],
            ),
        ),
        id="ExecutionTimeout-even-labelled",
    ),
    pytest.param(
        _failure("unknown", 999, "Unknown", errorLabels=["NoWritesPerformed"]),
        id="other-label-only",
    ),
    pytest.param(InvalidDocument("cannot encode object: <object>"), id="InvalidDocument"),
    pytest.param(ConfigurationError("unknown option foo"), id="ConfigurationError"),
    pytest.param(InvalidURI("Invalid URI scheme"), id="InvalidURI"),
    pytest.param(ProtocolError("unexpected response"), id="ProtocolError"),
    pytest.param(ValueError("bad"), id="ValueError"),
    pytest.param(OSError(111, "Connection refused"), id="OSError-not-pymongo"),
    pytest.param(asyncio.CancelledError(), id="CancelledError"),
]

CODE_1_WITHOUT_CONNECTION_SIGNAL = [
    pytest.param(
        _ferretdb(
            "[msg_update.go:117 handler.(*Handler).updateDocument] ERROR: invalid input syntax "
            "for type json (SQLSTATE 22P02)"
        ),
        id="code-1-invalid-json-22P02",
    ),
    pytest.param(
        _ferretdb(
            "[msg_insert.go:168 handler.(*Handler).MsgInsert] ERROR: deadlock detected "
            "(SQLSTATE 40P01)"
        ),
        id="code-1-deadlock-40P01",
    ),
    pytest.param(
        _ferretdb(
            f"{_CONNECT}\n"
            "\t127.0.0.1:34227 (127.0.0.1): tls error: server refused TLS connection\n"
            "\t127.0.0.1:34227 (127.0.0.1): server error: FATAL: password authentication failed "
            'for user "postgres" (SQLSTATE 28P01)'
        ),
        id="code-1-authentication-failed-28P01",
    ),
    pytest.param(
        _ferretdb(
            'FATAL: terminating connection due to dropped database "ferretdb" (SQLSTATE 57P04)'
        ),
        id="code-1-database-dropped-57P04",
    ),
    pytest.param(
        _ferretdb("[msg_find.go:344 handler.handleMaxTimeMSError] sort exceeded memory limit"),
        id="code-1-plain",
    ),
    pytest.param(
        _failure(f"{_CONNECT} {_REFUSED}", 2, "BadValue"),
        id="code-2-with-connection-wording",
    ),
]


@pytest.mark.parametrize("error", OBSERVED_DURING_POSTGRESQL_RESTART)
def test_ferretdb_answers_while_postgresql_restarts_are_transient(error: OperationFailure) -> None:
    assert is_transient(error) is True


@pytest.mark.parametrize("error", POSTGRESQL_AWAY_IN_PGX_WORDS)
def test_other_signs_that_postgresql_is_away_are_transient(error: PyMongoError) -> None:
    assert is_transient(error) is True


@pytest.mark.parametrize("error", CONNECTION_FAILURES)
def test_connection_failures_are_transient(error: ConnectionFailure) -> None:
    assert is_transient(error) is True


@pytest.mark.parametrize(("code", "code_name"), TRANSIENT_CODES)
def test_election_shutdown_and_network_codes_are_transient(code: int, code_name: str) -> None:
    assert is_transient(_failure("interrupted", code, code_name)) is True


@pytest.mark.parametrize("error", LABELLED)
def test_errors_labelled_retryable_are_transient(error: PyMongoError) -> None:
    assert is_transient(error) is True


@pytest.mark.parametrize("error", WRITE_CONCERN_AND_BULK)
def test_write_concern_and_bulk_failures_with_a_transient_code_are_transient(
    error: OperationFailure,
) -> None:
    assert is_transient(error) is True


@pytest.mark.parametrize("error", NOT_TRANSIENT)
def test_answers_and_bugs_are_not_transient(error: BaseException) -> None:
    assert is_transient(error) is False


@pytest.mark.parametrize("error", CODE_1_WITHOUT_CONNECTION_SIGNAL)
def test_an_internal_error_without_a_connection_signal_is_not_transient(
    error: OperationFailure,
) -> None:
    assert is_transient(error) is False
