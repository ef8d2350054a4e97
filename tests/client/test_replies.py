"""Reading reply records, and handing each to the call waiting for its correlation id."""

from __future__ import annotations

import asyncio

import pytest

from customer_async.client.errors import MalformedReply, NotFound
from customer_async.client.replies import PendingReplies, Reply, correlation_id_of, parse_reply


def reply_headers(status: str = "200", **extra: str) -> list[tuple[str, bytes | None]]:
    headers: dict[str, str] = {
        "X-Correlation-Id": "corr-1",
        "Status-Code": status,
        "X-Request-Channel": "acme.customerManagement.v5.listCustomer.commandRequest",
        **extra,
    }
    return [(name, value.encode()) for name, value in headers.items()]


def test_a_reply_record_gives_status_body_key_and_counts() -> None:
    reply = parse_reply(
        None,
        b'[{"id": "1"}]',
        reply_headers(**{"X-Total-Count": "12", "X-Result-Count": "1"}),
    )
    assert (reply.status, reply.correlation_id, reply.key) == (200, "corr-1", None)
    assert reply.body == [{"id": "1"}]
    assert (reply.count("X-Total-Count"), reply.count("X-Result-Count")) == (12, 1)
    assert reply.count("X-Missing") is None
    assert reply.ok


def test_an_empty_value_is_no_body() -> None:
    reply = parse_reply(b"42", b"", reply_headers("204"))
    assert (reply.status, reply.body, reply.key) == (204, None, "42")
    reply.raise_for_status()


def test_a_non_2xx_reply_raises_its_error_class() -> None:
    body = b'{"@type": "Error", "code": "NOT_FOUND", "reason": "Not found", "message": "no 42"}'
    reply = parse_reply(b"42", body, reply_headers("404"))
    with pytest.raises(NotFound) as raised:
        reply.raise_for_status()
    assert (raised.value.correlation_id, raised.value.message) == ("corr-1", "no 42")


@pytest.mark.parametrize("status", ["", "2000", "OK"])
def test_a_reply_without_a_valid_status_is_malformed(status: str) -> None:
    with pytest.raises(MalformedReply, match="Status-Code"):
        parse_reply(None, b"{}", reply_headers(status))


def test_a_reply_whose_value_is_not_json_is_malformed() -> None:
    with pytest.raises(MalformedReply, match="not JSON"):
        parse_reply(None, b"{oops", reply_headers())


def test_the_correlation_id_is_read_from_the_headers() -> None:
    assert correlation_id_of(reply_headers()) == "corr-1"
    assert correlation_id_of([("Status-Code", b"200")]) is None


async def test_a_delivered_reply_resolves_only_the_call_with_its_correlation_id() -> None:
    pending = PendingReplies()
    first, second = pending.expect("a"), pending.expect("b")
    assert pending.deliver("b", Reply(200, "b"))
    assert second.result().correlation_id == "b"
    assert not first.done()
    assert not pending.deliver("unknown", Reply(200, "unknown"))
    assert "a" in pending
    assert len(pending) == 2


async def test_an_error_reading_a_reply_fails_its_call() -> None:
    pending = PendingReplies()
    future = pending.expect("a")
    pending.deliver("a", MalformedReply("bad"))
    with pytest.raises(MalformedReply):
        await future


async def test_a_correlation_id_can_wait_once_at_a_time_and_again_after_forget() -> None:
    pending = PendingReplies()
    first = pending.expect("a")
    with pytest.raises(ValueError, match="already waiting"):
        pending.expect("a")
    pending.forget("a")
    assert first.cancelled()
    assert "a" not in pending
    pending.expect("a")  # a resend after a timeout waits again


async def test_a_late_or_repeated_reply_is_ignored() -> None:
    pending = PendingReplies()
    future = pending.expect("a")
    assert pending.deliver("a", Reply(200, "a"))
    assert not pending.deliver("a", Reply(200, "a"))  # the resend's second answer
    pending.forget("a")
    assert not pending.deliver("a", Reply(200, "a"))
    assert future.result().status == 200


async def test_fail_all_fails_every_waiting_call() -> None:
    pending = PendingReplies()
    futures = [pending.expect(str(n)) for n in range(3)]
    pending.fail_all(RuntimeError("closed"))
    results = await asyncio.gather(*futures, return_exceptions=True)
    assert all(isinstance(result, RuntimeError) for result in results)
