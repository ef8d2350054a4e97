"""The five operations over real Kafka and the real store, with the seed's payloads."""

from __future__ import annotations

import pytest

from customer_async.settings import Settings
from customer_async.types import Operation
from tests.support.client import ServiceClient
from tests.support.examples import JSON_PATCH, MERGE_PATCH, NEW_ENGAGED_PARTY, create_request

pytestmark = pytest.mark.e2e


async def create(client: ServiceClient, **changes: object) -> dict[str, object]:
    reply = await client.call(Operation.CREATE, create_request(**changes))
    assert reply.status == 201, reply.body
    body: dict[str, object] = reply.body
    return body


async def test_create_assigns_id_href_defaults_and_replies_201(
    client: ServiceClient, settings: Settings
) -> None:
    reply = await client.call(Operation.CREATE, create_request(id="client-id", href="x"))
    body = reply.body
    assert reply.status == 201
    assert body["id"] != "client-id"
    assert (
        body["href"] == f"http://localhost:8080/tmf-api/customerManagement/v5/customer/{body['id']}"
    )
    assert body["@type"] == "Customer"
    assert body["status"] == "Created"
    host = settings.kafka_bootstrap_servers.split(",")[0].rsplit(":", 1)[0]
    assert body["topicRef"] == (
        f"kafka://{host}/{settings.topic_prefix}.customerManagement.v5.retrieveCustomer.commandRequest"
    )
    assert body["contactMedium"] == create_request()["contactMedium"]
    assert reply.key == body["id"]
    assert reply.topic == settings.reply_topic(Operation.CREATE)
    assert reply.headers["Content-Type"] == "application/json"
    assert reply.headers["X-Request-Channel"] == settings.request_topic(Operation.CREATE)
    assert not any(k.startswith("_") for k in body)


async def test_retrieve_returns_the_stored_customer(client: ServiceClient) -> None:
    created = await create(client)
    reply = await client.call(Operation.RETRIEVE, parameters={"id": created["id"]})
    assert reply.status == 200
    assert reply.body == created
    assert reply.key == created["id"]


async def test_retrieve_with_fields_keeps_id_href_type(client: ServiceClient) -> None:
    created = await create(client)
    reply = await client.call(
        Operation.RETRIEVE, parameters={"id": created["id"], "fields": "name,status"}
    )
    assert reply.body == {
        "id": created["id"],
        "href": created["href"],
        "@type": "Customer",
        "name": "Moon Football Club",
        "status": "Created",
    }


async def test_retrieve_parameters_from_a_json_payload(client: ServiceClient) -> None:
    created = await create(client)
    reply = await client.call(Operation.RETRIEVE, {"id": created["id"]})
    assert reply.status == 200
    assert reply.body["id"] == created["id"]


async def test_retrieve_unknown_id_is_404(client: ServiceClient) -> None:
    reply = await client.call(Operation.RETRIEVE, parameters={"id": "nope"})
    assert reply.status == 404
    assert reply.body["@type"] == "Error"
    assert reply.body["status"] == "404"
    assert "nope" in reply.body["message"]


@pytest.mark.parametrize("parameters", [{}, {"id": ""}, {"id": {"x": 1}}, {"id": True}])
async def test_missing_or_malformed_id_is_400(
    client: ServiceClient, parameters: dict[str, object]
) -> None:
    for operation in (Operation.RETRIEVE, Operation.DELETE, Operation.PATCH):
        reply = await client.call(operation, parameters=parameters)
        assert reply.status == 400, (operation, reply.body)
        assert reply.body["code"]
        assert reply.body["reason"]


async def test_numeric_id_is_compared_as_a_string(client: ServiceClient) -> None:
    reply = await client.call(Operation.RETRIEVE, parameters={"id": 1140})
    assert reply.status == 404
    assert "'1140'" in reply.body["message"]


async def test_list_pages_with_counts(client: ServiceClient) -> None:
    ids = [(await create(client, name=f"Club {n}"))["id"] for n in range(3)]
    reply = await client.call(Operation.LIST, parameters={"limit": 2, "sort": "name"})
    assert reply.status == 200
    assert reply.headers["X-Total-Count"] == "3"
    assert reply.headers["X-Result-Count"] == "2"
    assert [c["name"] for c in reply.body] == ["Club 0", "Club 1"]
    rest = await client.call(
        Operation.LIST, parameters={"offset": 2, "pageLimit": 2, "sort": "name"}
    )
    assert [c["id"] for c in rest.body] == [ids[2]]
    empty = await client.call(Operation.LIST, parameters={"offset": 10})
    assert empty.status == 200
    assert empty.body == []
    assert empty.headers["X-Result-Count"] == "0"


async def test_list_filters_by_equality_and_selects_fields(client: ServiceClient) -> None:
    await create(client, name="Moon")
    sun = await create(client, name="Sun")
    reply = await client.call(Operation.LIST, {"name": "Sun", "fields": "name"})
    assert reply.body == [
        {"id": sun["id"], "href": sun["href"], "@type": "Customer", "name": "Sun"}
    ]


async def test_list_unknown_filter_attribute_is_400(client: ServiceClient) -> None:
    reply = await client.call(Operation.LIST, parameters={"nosuch": "x"})
    assert reply.status == 400
    assert "nosuch" in reply.body["message"]


async def test_merge_patch_from_the_seed(client: ServiceClient) -> None:
    created = await create(client)
    reply = await client.call(Operation.PATCH, MERGE_PATCH, parameters={"id": created["id"]})
    assert reply.status == 200
    assert reply.body == {**created, "name": "Sun Football Club", "engagedParty": NEW_ENGAGED_PARTY}
    again = await client.call(Operation.RETRIEVE, parameters={"id": created["id"]})
    assert again.body == reply.body


async def test_json_patch_from_the_seed(client: ServiceClient) -> None:
    created = await create(client)
    reply = await client.call(
        Operation.PATCH,
        JSON_PATCH,
        parameters={"id": created["id"]},
        content_type="application/json-patch+json",
    )
    assert reply.status == 200
    assert reply.body == {**created, "name": "Sun Football Club", "engagedParty": NEW_ENGAGED_PARTY}


async def test_patch_unknown_id_is_404_and_bad_content_type_415(client: ServiceClient) -> None:
    missing = await client.call(Operation.PATCH, {"name": "x"}, parameters={"id": "nope"})
    assert missing.status == 404
    created = await create(client)
    unsupported = await client.call(
        Operation.PATCH, {"name": "x"}, parameters={"id": created["id"]}, content_type="text/plain"
    )
    assert unsupported.status == 415


async def test_patch_of_non_patchable_attribute_is_400(client: ServiceClient) -> None:
    created = await create(client)
    reply = await client.call(Operation.PATCH, {"id": "other"}, parameters={"id": created["id"]})
    assert reply.status == 400
    assert "id" in reply.body["message"]
    same = await client.call(
        Operation.PATCH, {"id": created["id"], "name": "Same Id"}, parameters={"id": created["id"]}
    )
    assert same.status == 200


async def test_failed_json_patch_test_is_409(client: ServiceClient) -> None:
    created = await create(client)
    reply = await client.call(
        Operation.PATCH,
        [{"op": "test", "path": "/name", "value": "Someone Else"}],
        parameters={"id": created["id"]},
    )
    assert reply.status == 409


async def test_delete_replies_204_then_404(client: ServiceClient) -> None:
    created = await create(client)
    reply = await client.call(Operation.DELETE, parameters={"id": created["id"]})
    assert reply.status == 204
    assert reply.value is None
    assert "Content-Type" not in reply.headers
    assert reply.key == created["id"]
    gone = await client.call(Operation.RETRIEVE, parameters={"id": created["id"]})
    assert gone.status == 404
    again = await client.call(Operation.DELETE, parameters={"id": created["id"]})
    assert again.status == 404


async def test_regex_the_store_cannot_run_is_400(client: ServiceClient) -> None:
    """A lookahead is valid Python `re` but not every store's dialect: 400, never 500."""
    reply = await client.call(Operation.LIST, parameters={"name.regex": "(?=M)Moon"})
    assert reply.status in (200, 400)
    if reply.status == 400:
        assert "regular expression" in reply.body["message"]
