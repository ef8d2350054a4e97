"""Command records: topic, key, value and the contract's headers, built without a broker."""

from __future__ import annotations

import json
import re

import pytest

from customer_async.client.requests import (
    JSON_PATCH,
    comma_list,
    command_record,
    list_parameters,
)
from customer_async.client.topics import Topics
from customer_async.settings import Settings
from customer_async.types import Operation


def test_topics_are_the_ones_the_service_uses_for_the_same_prefix() -> None:
    topics = Topics("acme")
    settings = Settings(topic_prefix="acme")
    for operation in Operation:
        assert topics.request(operation) == settings.request_topic(operation)
        assert topics.default_reply(operation) == settings.reply_topic(operation)
    assert topics.notification == settings.notification_topic


def test_the_client_reply_topic_passes_the_default_reply_channel_allow_list() -> None:
    topics = Topics("acme")
    assert re.fullmatch(Settings().reply_channel_allow, topics.client_reply)
    assert topics.client_reply.startswith("acme.")
    assert topics.client_reply not in {topics.request(op) for op in Operation}


def test_a_record_carries_correlation_reply_channel_parameters_and_content_type() -> None:
    record = command_record(
        Topics("acme"),
        Operation.PATCH,
        correlation_id="corr-1",
        reply_channel="acme.mine.commandReply",
        parameters={"id": "42", "fields": "name"},
        payload=[{"op": "remove", "path": "/description"}],
        content_type=JSON_PATCH,
        key="42",
    )
    assert record.topic == "acme.customerManagement.v5.patchCustomer.commandRequest"
    assert record.key == b"42"
    headers = dict(record.headers)
    assert headers["X-Correlation-Id"] == b"corr-1"
    assert headers["Reply-Channel"] == b"acme.mine.commandReply"
    assert json.loads(headers["Parameters"]) == {"id": "42", "fields": "name"}
    assert headers["Content-Type"] == b"application/json-patch+json"
    assert json.loads(record.value) == [{"op": "remove", "path": "/description"}]


def test_a_record_without_payload_parameters_or_content_type_leaves_them_out() -> None:
    record = command_record(
        Topics("acme"), Operation.LIST, correlation_id="c", reply_channel="r.commandReply"
    )
    assert record.value == b""
    assert record.key is None
    assert [name for name, _ in record.headers] == ["X-Correlation-Id", "Reply-Channel"]


def test_values_are_compact_utf8_json() -> None:
    record = command_record(
        Topics("acme"),
        Operation.CREATE,
        correlation_id="c",
        reply_channel="r.commandReply",
        payload={"name": "Zoë", "engagedParty": {"id": "1"}},
    )
    assert record.value == '{"name":"Zoë","engagedParty":{"id":"1"}}'.encode()


def test_list_parameters_join_fields_and_sort_and_keep_filters() -> None:
    parameters = list_parameters(
        {"contactMedium.city": ["Paris", "Lyon"], "validFor.startDateTime.gte": "2024-01-01"},
        fields=["name", "status"],
        sort=["-name", "validFor.startDateTime"],
        offset=20,
        limit=10,
    )
    assert parameters == {
        "contactMedium.city": ["Paris", "Lyon"],
        "validFor.startDateTime.gte": "2024-01-01",
        "fields": "name,status",
        "sort": "-name,validFor.startDateTime",
        "offset": 20,
        "limit": 10,
    }


def test_list_parameters_leave_out_what_was_not_given() -> None:
    assert list_parameters() == {}
    assert list_parameters(fields="", sort=[]) == {}


@pytest.mark.parametrize("control", ["fields", "offset", "limit", "pageLimit", "sort"])
def test_a_paging_or_selection_parameter_is_not_taken_as_a_filter(control: str) -> None:
    with pytest.raises(ValueError, match=control):
        list_parameters({control: "1"})


def test_comma_list_accepts_text_or_a_sequence() -> None:
    assert comma_list("name,status") == "name,status"
    assert comma_list(("name", "status")) == "name,status"
    assert comma_list(None) is None


@pytest.mark.parametrize("value", [{"$ne": None}, None, {"a", "b"}, [["nested"]], [{"a": 1}]])
def test_a_filter_value_that_is_no_value_or_list_of_values_is_refused(value: object) -> None:
    with pytest.raises(TypeError, match="filter 'name'"):
        list_parameters({"name": value})  # type: ignore[dict-item]


@pytest.mark.parametrize("value", [{"name": 1}, 3, ["name", 2]])
def test_fields_or_sort_that_are_not_texts_are_refused(value: object) -> None:
    with pytest.raises(TypeError, match="expected text"):
        comma_list(value)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="expected text"):
        list_parameters(sort=value)  # type: ignore[arg-type]
