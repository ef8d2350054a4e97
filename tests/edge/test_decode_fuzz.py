"""Any record decodes to a Command or a 4xx Rejection: never an exception, never a 500."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from customer_async.edge.decode import Rejection, RequestTopics
from customer_async.edge.records import IncomingRecord
from customer_async.settings import Settings
from customer_async.types import Command, Operation

SETTINGS = Settings(topic_prefix="fz", max_request_bytes=8192)
TOPICS = RequestTopics(SETTINGS)
HEADER_NAMES = [
    "X-Correlation-Id",
    "Reply-Channel",
    "Parameters",
    "Content-Type",
    "kafka_correlationId",
    "kafka_replyTopic",
    "traceparent",
    "tracestate",
]
KEYS = st.sampled_from(["id", "name", "$where", "a.b", "__proto__", "_id", "", "fields", "limit"])
HOSTILE_NUMBERS = st.sampled_from(
    ["1e999", "-1e999", "NaN", "Infinity", "-Infinity", "1" * 5000, str(2**64), "-0", "1e-999"]
)


def json_text() -> st.SearchStrategy[str]:
    """JSON-like text: valid documents and the literals Python's parser takes beyond JSON."""
    scalars = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(allow_nan=False, allow_infinity=False),
        st.text(max_size=20),
    ).map(json.dumps)
    values = st.recursive(
        st.one_of(scalars, HOSTILE_NUMBERS),
        lambda children: st.one_of(
            st.lists(children, max_size=4).map(lambda xs: "[" + ",".join(xs) + "]"),
            st.dictionaries(KEYS, children, max_size=4).map(
                lambda d: "{" + ",".join(f"{json.dumps(k)}:{v}" for k, v in d.items()) + "}"
            ),
        ),
        max_leaves=12,
    )
    return st.one_of(values, st.integers(1, 200).map(lambda n: "[" * n + "]" * n))


def byte_values() -> st.SearchStrategy[bytes | None]:
    return st.one_of(
        st.none(),
        st.binary(max_size=64),
        json_text().map(str.encode),
        st.just(b'{"name": "\xff\xfe"}'),
        st.just(b" " * 5000),
    )


RECORDS = st.builds(
    IncomingRecord,
    topic=st.sampled_from([SETTINGS.request_topic(op) for op in Operation]),
    partition=st.just(0),
    offset=st.integers(0, 1000),
    key=st.one_of(st.none(), st.binary(max_size=16)),
    value=byte_values(),
    headers=st.lists(
        st.tuples(
            st.one_of(st.sampled_from(HEADER_NAMES), st.text(max_size=8)),
            st.one_of(
                byte_values(),
                st.sampled_from(
                    [b"fz.x.commandReply", b"fz.customerManagement.v5.notificationEvent"]
                ),
                st.sampled_from([SETTINGS.request_topic(op).encode() for op in Operation]),
            ),
        ),
        max_size=6,
    ),
)


def checked(record: IncomingRecord) -> Command | Rejection:
    result = TOPICS.decode(record)
    if isinstance(result, Rejection):
        assert result.error.status < 500, result.error
        assert TOPICS.reply_allowed(result.reply_channel)
    else:
        assert TOPICS.reply_allowed(result.reply_channel)
        json.dumps(result.payload, allow_nan=False)  # a reply can always repeat it as JSON
        json.dumps(dict(result.parameters), allow_nan=False)
    return result


@settings(max_examples=600, suppress_health_check=[HealthCheck.too_slow])
@given(RECORDS)
@example(IncomingRecord("fz.customerManagement.v5.createCustomer.commandRequest", 0, 0, None, None))
def test_any_record_decodes_to_a_command_or_a_4xx_rejection(record: IncomingRecord) -> None:
    checked(record)


@pytest.mark.parametrize(
    "value",
    [b"1e999", b"-1e999", b"NaN", b'{"name": Infinity}', b"[-Infinity]", b"1" * 5000, b"2" * 20],
)
def test_numbers_no_json_reply_could_repeat_are_400(value: bytes) -> None:
    record = IncomingRecord(SETTINGS.request_topic(Operation.CREATE), 0, 0, None, value)
    result = checked(record)
    assert isinstance(result, Rejection)
    assert result.error.status == 400
    assert "out of range" in result.error.message


def test_a_parameters_header_with_nan_is_400() -> None:
    record = IncomingRecord(
        SETTINGS.request_topic(Operation.LIST), 0, 0, None, b"", [("Parameters", b'{"limit": NaN}')]
    )
    result = checked(record)
    assert isinstance(result, Rejection)
    assert result.error.status == 400


@pytest.mark.parametrize(
    "channel", [b"bad channel.commandReply", b"x" * 250 + b".commandReply", b"\xff.commandReply"]
)
def test_a_reply_channel_kafka_cannot_name_is_403_on_the_default_topic(channel: bytes) -> None:
    record = IncomingRecord(
        SETTINGS.request_topic(Operation.RETRIEVE), 0, 0, None, b"", [("Reply-Channel", channel)]
    )
    result = checked(record)
    assert isinstance(result, Rejection)
    assert result.error.status == 403
    assert result.reply_channel == SETTINGS.reply_topic(Operation.RETRIEVE)
