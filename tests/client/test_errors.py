"""The client's error tree: each status maps to the class a caller would catch."""

from __future__ import annotations

import pytest

from customer_async.client import errors
from customer_async.client.errors import error_class, error_from_reply


@pytest.mark.parametrize(
    ("status", "cls", "status_class"),
    [
        (400, errors.BadRequest, errors.RequestRefused),
        (403, errors.Forbidden, errors.RequestRefused),
        (404, errors.NotFound, errors.RequestRefused),
        (409, errors.Conflict, errors.RequestRefused),
        (413, errors.PayloadTooLarge, errors.RequestRefused),
        (415, errors.UnsupportedMediaType, errors.RequestRefused),
        (500, errors.InternalServerError, errors.ServiceFailed),
        (503, errors.ServiceUnavailable, errors.ServiceFailed),
    ],
)
def test_each_contract_status_has_its_class_under_its_status_class(
    status: int, cls: type[errors.ErrorReply], status_class: type[errors.ErrorReply]
) -> None:
    assert error_class(status) is cls
    assert issubclass(cls, status_class)
    assert issubclass(cls, errors.CustomerClientError)


@pytest.mark.parametrize(
    ("status", "cls"),
    [(418, errors.RequestRefused), (504, errors.ServiceFailed), (302, errors.ErrorReply)],
)
def test_a_status_the_contract_does_not_list_falls_back_to_its_status_class(
    status: int, cls: type[errors.ErrorReply]
) -> None:
    assert error_class(status) is cls


def test_an_error_reply_carries_status_code_reason_message_and_correlation_id() -> None:
    body = {
        "@type": "Error",
        "code": "NOT_FOUND",
        "reason": "Customer not found",
        "message": "no customer with id '42'",
        "status": "404",
    }
    error = error_from_reply(404, body, "corr-1")
    assert isinstance(error, errors.NotFound)
    assert (error.status, error.code, error.reason, error.message) == (
        404,
        "NOT_FOUND",
        "Customer not found",
        "no customer with id '42'",
    )
    assert error.correlation_id == "corr-1"
    assert error.error == body
    assert str(error) == "404 Customer not found: no customer with id '42'"
    assert not error.retriable


def test_a_body_that_is_not_a_tmf_error_still_gives_the_status_and_a_reason() -> None:
    error = error_from_reply(500, "boom", "corr-2")
    assert isinstance(error, errors.InternalServerError)
    assert (error.code, error.reason, error.message) == ("500", "Internal Server Error", "")
    assert str(error) == "500 Internal Server Error"


def test_a_503_is_retriable_and_carries_retry_after() -> None:
    body = {"@type": "Error", "code": "STORE_UNAVAILABLE", "reason": "Store unavailable"}
    error = error_from_reply(503, body, "corr-3", {"Retry-After": "5"})
    assert isinstance(error, errors.ServiceUnavailable)
    assert error.retry_after == 5.0
    assert error.retriable
    unreadable = error_from_reply(503, body, "c", {"Retry-After": "soon"})
    assert isinstance(unreadable, errors.ServiceUnavailable)
    assert unreadable.retry_after is None


def test_a_timeout_names_the_correlation_id_to_resend_with() -> None:
    error = errors.ReplyTimeout("retrieve", "corr-4", 2.5)
    assert error.correlation_id == "corr-4"
    assert error.retriable
    assert "corr-4" in str(error)
    assert "2.5 s" in str(error)
