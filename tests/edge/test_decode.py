"""Decoding request records into commands: every path of the contract's Request section."""

from __future__ import annotations

import json
import uuid

import pytest

from customer_async.edge.decode import Rejection, RequestTopics
from customer_async.edge.records import IncomingRecord
from customer_async.settings import Settings
from customer_async.types import Command, Operation

SETTINGS = Settings(topic_prefix="p", max_request_bytes=300_000)
TOPICS = RequestTopics(SETTINGS)


def record(
    operation: Operation, value: bytes | None = b"", *headers: tuple[str, bytes | None]
) -> IncomingRecord:
    return IncomingRecord(SETTINGS.request_topic(operation), 0, 7, b"k", value, headers)


def decoded(rec: IncomingRecord) -> Command:
    result = TOPICS.decode(rec)
    assert isinstance(result, Command), result
    return result


def rejected(rec: IncomingRecord) -> Rejection:
    result = TOPICS.decode(rec)
    assert isinstance(result, Rejection), result
    return result


def test_headers_become_the_command() -> None:
    command = decoded(
        record(
            Operation.PATCH,
            b'{"name": "x"}',
            ("X-Correlation-Id", b"c-1"),
            ("Reply-Channel", b"p.mine.commandReply"),
            ("Parameters", b'{"id": 42}'),
            ("Content-Type", b"application/merge-patch+json"),
        )
    )
    assert command.operation is Operation.PATCH
    assert command.correlation_id == "c-1"
    assert command.reply_channel == "p.mine.commandReply"
    assert command.parameters == {"id": 42}
    assert command.content_type == "application/merge-patch+json"
    assert command.payload == {"name": "x"}
    assert command.key == "k"
    assert command.request_key == f"{SETTINGS.request_topic(Operation.PATCH)}|c-1"


def test_missing_correlation_id_is_generated_as_a_uuid() -> None:
    command = decoded(record(Operation.LIST))
    assert str(uuid.UUID(command.correlation_id)) == command.correlation_id


def test_absent_reply_channel_is_the_default_reply_topic() -> None:
    assert decoded(record(Operation.CREATE, b"{}")).reply_channel == SETTINGS.reply_topic(
        Operation.CREATE
    )


@pytest.mark.parametrize(
    "channel",
    [
        "elsewhere",
        "p.customerManagement.v5.listCustomer.commandRequest",
        "p.customerManagement.v5.customer.notificationEvent",
        "x.commandReply.more",
    ],
)
def test_refused_reply_channel_is_403_on_the_default_topic(channel: str) -> None:
    refusal = rejected(record(Operation.LIST, b"", ("Reply-Channel", channel.encode())))
    assert refusal.error.status == 403
    assert refusal.reply_channel == SETTINGS.reply_topic(Operation.LIST)


def test_allow_list_never_admits_request_or_notification_topics() -> None:
    anything = RequestTopics(Settings(topic_prefix="p", reply_channel_allow=".*"))
    assert anything.reply_allowed("p.any.thing")
    assert not anything.reply_allowed(SETTINGS.request_topic(Operation.CREATE))
    assert not anything.reply_allowed(SETTINGS.notification_topic)


@pytest.mark.parametrize("operation", [Operation.RETRIEVE, Operation.LIST, Operation.DELETE])
def test_json_object_value_is_the_parameters_without_the_header(operation: Operation) -> None:
    assert decoded(record(operation, b'{"id": "7"}')).parameters == {"id": "7"}


def test_header_parameters_win_over_the_value() -> None:
    command = decoded(record(Operation.RETRIEVE, b'{"id": "7"}', ("Parameters", b'{"id": "8"}')))
    assert command.parameters == {"id": "8"}


def test_value_is_not_read_as_parameters_for_create_and_patch() -> None:
    assert decoded(record(Operation.CREATE, b'{"id": "7"}')).parameters == {}


@pytest.mark.parametrize(
    ("operation", "value", "headers"),
    [
        (Operation.CREATE, b"{not json", ()),
        (Operation.CREATE, b"\xff\xfe", ()),
        (Operation.RETRIEVE, b"", (("Parameters", b"id=7"),)),
        (Operation.RETRIEVE, b"", (("Parameters", b"[1, 2]"),)),
        (Operation.LIST, b"[1, 2]", ()),
    ],
)
def test_bad_json_is_400(
    operation: Operation, value: bytes, headers: tuple[tuple[str, bytes], ...]
) -> None:
    refusal = rejected(record(operation, value, *headers))
    assert refusal.error.status == 400
    assert refusal.error.code == "INVALID_JSON"


def test_too_large_value_is_413_on_the_requested_channel() -> None:
    value = json.dumps({"name": "x" * 300_000}).encode()
    refusal = rejected(record(Operation.CREATE, value, ("Reply-Channel", b"p.mine.commandReply")))
    assert refusal.error.status == 413
    assert refusal.reply_channel == "p.mine.commandReply"


def test_empty_value_is_no_payload() -> None:
    assert decoded(record(Operation.RETRIEVE, None)).payload is None
    assert decoded(record(Operation.RETRIEVE, b"  ")).payload is None


def test_first_of_repeated_headers_wins_and_none_values_are_ignored() -> None:
    command = decoded(
        record(
            Operation.LIST,
            b"",
            ("X-Correlation-Id", None),
            ("X-Correlation-Id", b"first"),
            ("X-Correlation-Id", b"second"),
        )
    )
    assert command.correlation_id == "first"


@pytest.mark.parametrize("depth", [65, 100_000])
def test_too_deep_nesting_is_400_not_a_crash(depth: int) -> None:
    refusal = rejected(record(Operation.CREATE, b"[" * depth + b"]" * depth))
    assert refusal.error.status == 400
    assert "nested deeper" in refusal.error.message


def test_nesting_up_to_the_limit_is_accepted() -> None:
    assert decoded(record(Operation.CREATE, b"[" * 64 + b"]" * 64)).payload is not None


def test_spring_headers_are_aliases_and_the_raw_correlation_is_echoed() -> None:
    """ReplyingKafkaTemplate's raw `kafka_correlationId` (a binary UUID) and `kafka_replyTopic`."""
    raw = uuid.uuid4().bytes
    command = decoded(
        record(
            Operation.RETRIEVE,
            b"",
            ("kafka_correlationId", raw),
            ("kafka_replyTopic", b"p.spring.commandReply"),
            ("Parameters", b'{"id": "1"}'),
        )
    )
    assert command.correlation_id == raw.hex()
    assert command.reply_channel == "p.spring.commandReply"
    assert command.echo == (("kafka_correlationId", raw),)


def test_named_headers_win_over_the_spring_aliases() -> None:
    command = decoded(
        record(
            Operation.RETRIEVE,
            b"",
            ("kafka_correlationId", b"spring-1"),
            ("X-Correlation-Id", b"named-1"),
            ("kafka_replyTopic", b"p.spring.commandReply"),
            ("Reply-Channel", b"p.named.commandReply"),
            ("Parameters", b'{"id": "1"}'),
        )
    )
    assert (command.correlation_id, command.reply_channel) == ("named-1", "p.named.commandReply")
    assert command.echo == ()


def test_a_printable_spring_correlation_is_its_text_and_a_refusal_still_echoes_it() -> None:
    refusal = rejected(
        record(
            Operation.RETRIEVE,
            b"",
            ("kafka_correlationId", b"spring-2"),
            ("kafka_replyTopic", b"p.customerManagement.v5.customer.notificationEvent"),
        )
    )
    assert refusal.correlation_id == "spring-2"
    assert refusal.echo == (("kafka_correlationId", b"spring-2"),)
    assert refusal.error.status == 403


def test_a_valid_traceparent_goes_on_under_a_new_span_and_an_invalid_one_is_dropped() -> None:
    caller = b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    traced = decoded(
        record(
            Operation.RETRIEVE,
            b'{"id": "1"}',
            ("traceparent", caller),
            ("tracestate", b"a=1"),
        )
    )
    context = dict(traced.echo)
    version, trace, span, flags = context["traceparent"].decode().split("-")
    assert (version, trace, flags) == ("00", "4bf92f3577b34da6a3ce929d0e0e4736", "01")
    assert len(span) == 16
    assert span != "00f067aa0ba902b7"
    assert context["tracestate"] == b"a=1"
    for bad in (b"not-a-trace", b"00-00000000000000000000000000000000-00f067aa0ba902b7-01"):
        assert decoded(record(Operation.RETRIEVE, b'{"id": "1"}', ("traceparent", bad))).echo == ()
