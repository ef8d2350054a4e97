"""Every error reply is built one way: status and TMF body from the error, Retry-After on a 503."""

from __future__ import annotations

from customer_async.errors import CustomerNotFound, StoreUnavailable, WriteContended
from customer_async.replies import error_reply, refused_reply
from customer_async.types import Reply


def test_a_refusal_keeps_its_status_reason_and_message_and_the_key_given() -> None:
    reply = error_reply(CustomerNotFound("no customer with id '7'"), key="7")
    assert reply == Reply(
        404,
        {
            "@type": "Error",
            "code": "NOT_FOUND",
            "reason": "Customer not found",
            "message": "no customer with id '7'",
            "status": "404",
        },
        key="7",
    )


def test_a_503_says_when_to_resend() -> None:
    assert error_reply(StoreUnavailable("away", retry_after=30)).headers == {"Retry-After": "30"}
    assert error_reply(WriteContended("busy", retry_after=1)).headers == {"Retry-After": "1"}


def test_anything_unexpected_is_a_500_that_does_not_repeat_its_message() -> None:
    reply = error_reply(RuntimeError("secret detail"))
    assert reply.status == 500
    assert reply.headers == {}
    assert "secret" not in str(reply.body)


def test_a_reply_the_broker_refuses_becomes_a_small_500_with_its_key() -> None:
    refused = Reply(200, ["x" * 2000], key="c-1")
    fallback = refused_reply(refused, "MessageSizeTooLargeError: big", too_large=True)
    assert (fallback.status, fallback.key, fallback.headers) == (500, "c-1", {})
    assert fallback.body["message"] == (
        "the 200 reply is too large to publish: MessageSizeTooLargeError: big"
    )
    assert "refused to publish" in refused_reply(refused, "denied", too_large=False).body["message"]
