"""asyncapi.yaml is complete, self-consistent, and names the schemas the service validates with."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from customer_async import schemas
from customer_async.errors import CustomerNotFound, SchemaViolation
from customer_async.settings import Settings
from customer_async.types import Operation
from tests.asyncapi_support import (
    ASYNCAPI_PATH,
    SCHEMA_REF_PREFIX,
    asyncapi_document,
    dereference,
    header_schema_names,
    payload_schema_names,
    resolve_local,
    schema_names,
)

REQUEST_OPERATIONS = [f"{operation}Customer" for operation in Operation]
EVENTS = [
    "CustomerCreateEvent",
    "CustomerAttributeValueChangeEvent",
    "CustomerStateChangeEvent",
    "CustomerDeleteEvent",
]


def refs_in(node: Any) -> Iterator[str]:
    """Every `$ref` value anywhere under a node."""
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            yield node["$ref"]
        for value in node.values():
            yield from refs_in(value)
    elif isinstance(node, list):
        for value in node:
            yield from refs_in(value)


def channel_of(ref_holder: dict[str, Any]) -> dict[str, Any]:
    """The channel object an operation (or reply) points to."""
    channel = dereference(ref_holder["channel"])
    assert isinstance(channel, dict)
    return channel


def address(channel: dict[str, Any], prefix: str = "tmf") -> str:
    """A channel's topic name for a prefix."""
    return str(channel["address"]).replace("{prefix}", prefix)


def test_document_is_asyncapi_3_with_local_and_production_servers() -> None:
    document = asyncapi_document()
    assert document["asyncapi"] == "3.1.0"
    assert document["info"]["title"]
    assert document["defaultContentType"] == "application/json"
    assert document["servers"]["local"] == {
        "host": "localhost:9092",
        "protocol": "kafka",
        "description": document["servers"]["local"]["description"],
    }
    assert document["servers"]["production"]["protocol"] == "kafka"


def test_every_local_ref_resolves() -> None:
    local = [ref for ref in refs_in(asyncapi_document()) if ref.startswith("#/")]
    assert local
    for ref in local:
        assert resolve_local(ref) is not None, ref


def test_every_schema_ref_names_an_existing_schema_file() -> None:
    registry = schemas.SchemaRegistry()
    external = [ref for ref in refs_in(asyncapi_document()) if not ref.startswith("#/")]
    assert external
    for ref in external:
        assert ref.startswith(SCHEMA_REF_PREFIX), ref
        assert (ASYNCAPI_PATH.parent / ref).is_file(), ref
        assert schema_names({"$ref": ref})[0] in registry.names, ref


def test_a_broken_local_ref_is_reported() -> None:
    with pytest.raises(KeyError, match="nowhere"):
        resolve_local("#/components/messages/nowhere")


def test_every_channel_address_uses_the_prefix_parameter_defaulting_to_tmf() -> None:
    for name, channel in asyncapi_document()["channels"].items():
        assert channel["address"].startswith("{prefix}."), name
        parameter = dereference(channel["parameters"]["prefix"])
        assert parameter["default"] == "tmf", name


@pytest.mark.parametrize("operation", list(Operation))
def test_request_operation_receives_on_the_request_topic_and_replies_by_header(
    operation: Operation,
) -> None:
    settings = Settings(topic_prefix="tmf")
    declared = asyncapi_document()["operations"][f"{operation}Customer"]
    assert declared["action"] == "receive"
    assert address(channel_of(declared)) == settings.request_topic(operation)
    reply = declared["reply"]
    assert dereference(reply["address"])["location"] == "$message.header#/Reply-Channel"
    assert address(channel_of(reply)) == settings.reply_topic(operation)


def test_notifications_are_sent_on_the_notification_topic() -> None:
    declared = asyncapi_document()["operations"]["publishCustomerEvent"]
    assert declared["action"] == "send"
    assert "reply" not in declared
    assert address(channel_of(declared)) == Settings(topic_prefix="tmf").notification_topic


def test_operation_messages_are_messages_of_their_channels() -> None:
    channels = asyncapi_document()["channels"]
    for name, operation in asyncapi_document()["operations"].items():
        for part in (operation, operation.get("reply")):
            if part is None:
                continue
            channel_ref = part["channel"]["$ref"]
            channel_name = channel_ref.removeprefix("#/channels/")
            assert channel_name in channels, name
            for message in part["messages"]:
                assert message["$ref"].startswith(f"{channel_ref}/messages/"), name
                assert isinstance(dereference(message), dict), name


def test_every_message_has_headers_payload_content_type_and_correlation_id() -> None:
    for name, message in asyncapi_document()["components"]["messages"].items():
        assert message["contentType"].startswith("application/"), name
        assert len(schema_names(message["headers"])) == 1, name
        assert schema_names(message["payload"]), name
        correlation = dereference(message["correlationId"])
        assert correlation["location"] == "$message.header#/X-Correlation-Id", name


@pytest.mark.parametrize(
    ("operation", "expected"),
    [
        ("retrieveCustomer", ["Customer", "Error"]),
        ("listCustomer", ["CustomerList", "Error"]),
        ("createCustomer", ["Customer", "Error"]),
        ("patchCustomer", ["Customer", "Error"]),
        ("deleteCustomer", ["Error"]),
        ("publishCustomerEvent", EVENTS),
        *((event, [event]) for event in EVENTS),
    ],
)
def test_payload_schema_names_lists_what_each_reply_or_event_declares(
    operation: str, expected: list[str]
) -> None:
    assert payload_schema_names(operation) == expected


@pytest.mark.parametrize("operation", [*REQUEST_OPERATIONS, "publishCustomerEvent", *EVENTS])
def test_declared_reply_and_event_schemas_load_and_compile(operation: str) -> None:
    registry = schemas.SchemaRegistry()
    for name in payload_schema_names(operation) + header_schema_names(operation):
        assert registry.schema(name)["$id"].endswith(f"/{name}.schema.json")
        assert registry.validator(name).schema is registry.schema(name)


def test_reply_headers_and_notification_headers_are_declared() -> None:
    for operation in REQUEST_OPERATIONS:
        assert header_schema_names(operation) == ["ReplyHeaders"]
    assert header_schema_names("publishCustomerEvent") == ["NotificationHeaders"]


def test_unknown_operation_or_event_is_a_key_error() -> None:
    with pytest.raises(KeyError, match="frobnicateCustomer"):
        payload_schema_names("frobnicateCustomer")


@pytest.mark.parametrize("operation", REQUEST_OPERATIONS)
def test_an_error_reply_matches_a_declared_payload_schema(operation: str) -> None:
    body = CustomerNotFound("no customer with id '7'").to_tmf()
    matching = []
    for name in payload_schema_names(operation):
        try:
            schemas.validate(name, body)
        except SchemaViolation:
            continue
        matching.append(name)
    assert matching == ["Error"]


def test_patch_request_accepts_the_three_patch_documents() -> None:
    message = dereference(asyncapi_document()["operations"]["patchCustomer"]["messages"][0])
    assert schema_names(message["payload"]) == ["Customer_MVO", "JsonPatch", "JsonPatchQuery"]
    for content_type in (
        "application/merge-patch+json",
        "application/json",
        "application/json-patch+json",
        "application/json-patch-query+json",
    ):
        assert f"`{content_type}`" in message["description"]
