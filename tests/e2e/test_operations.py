"""The five operations over real Kafka and the real store, with the seed's payloads.

Through the project's `CustomerClient`, as a caller would; `call` where a test needs the whole
reply (headers, key) or parameters the typed calls never send. The default reply topic, used when
a request names no Reply-Channel, is proven in test_requests.py.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from customer_async.client import (
    BadRequest,
    Conflict,
    CustomerClient,
    NotFound,
    UnsupportedMediaType,
)
from customer_async.settings import Settings
from customer_async.types import Operation
from tests.support.client import ServiceClient
from tests.support.examples import JSON_PATCH, MERGE_PATCH, NEW_ENGAGED_PARTY, create_request

pytestmark = pytest.mark.e2e


async def create(client: CustomerClient, **changes: object) -> dict[str, Any]:
    return await client.create(create_request(**changes))


async def test_create_assigns_id_href_defaults_and_replies_201(
    customer_client: CustomerClient, settings: Settings
) -> None:
    reply = await customer_client.call(
        Operation.CREATE, payload=create_request(id="client-id", href="x")
    )
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
    assert reply.key == body["id"]  # the create was sent without a key
    assert reply.headers["Content-Type"] == "application/json"
    assert reply.headers["X-Request-Channel"] == settings.request_topic(Operation.CREATE)
    assert not any(k.startswith("_") for k in body)


async def test_retrieve_returns_the_stored_customer(customer_client: CustomerClient) -> None:
    created = await create(customer_client)
    # No record key: the reply's key is the service's doing.
    reply = await customer_client.call(Operation.RETRIEVE, parameters={"id": created["id"]})
    assert reply.status == 200
    assert reply.body == created
    assert reply.key == created["id"]
    assert await customer_client.retrieve(created["id"]) == created


async def test_retrieve_with_fields_keeps_id_href_type(customer_client: CustomerClient) -> None:
    created = await create(customer_client)
    assert await customer_client.retrieve(created["id"], fields="name,status") == {
        "id": created["id"],
        "href": created["href"],
        "@type": "Customer",
        "name": "Moon Football Club",
        "status": "Created",
    }


async def test_retrieve_parameters_from_a_json_payload(client: ServiceClient) -> None:
    """Raw: a console user's retrieve with its parameters as the value and no Parameters header."""
    created = (await client.call(Operation.CREATE, create_request())).body
    reply = await client.call(Operation.RETRIEVE, {"id": created["id"]})
    assert reply.status == 200
    assert reply.body["id"] == created["id"]


async def test_retrieve_unknown_id_is_404(customer_client: CustomerClient) -> None:
    with pytest.raises(NotFound) as raised:
        await customer_client.retrieve("nope")
    assert raised.value.status == 404
    assert raised.value.error["@type"] == "Error"
    assert raised.value.error["status"] == "404"
    assert "nope" in raised.value.message


@pytest.mark.parametrize("parameters", [{}, {"id": ""}, {"id": {"x": 1}}, {"id": True}])
async def test_missing_or_malformed_id_is_400(
    customer_client: CustomerClient, parameters: dict[str, object]
) -> None:
    for operation in (Operation.RETRIEVE, Operation.DELETE, Operation.PATCH):
        with pytest.raises(BadRequest) as raised:
            await customer_client.call(operation, parameters=parameters)
        assert raised.value.status == 400, operation
        assert raised.value.code
        assert raised.value.reason


async def test_numeric_id_is_compared_as_a_string(customer_client: CustomerClient) -> None:
    with pytest.raises(NotFound) as raised:
        await customer_client.call(Operation.RETRIEVE, parameters={"id": 1140})
    assert raised.value.status == 404
    assert "'1140'" in raised.value.message


async def test_list_pages_with_counts(customer_client: CustomerClient) -> None:
    ids = [(await create(customer_client, name=f"Club {n}"))["id"] for n in range(3)]
    page = await customer_client.list(limit=2, sort="name")
    assert (page.total_count, page.result_count) == (3, 2)
    assert [c["name"] for c in page.items] == ["Club 0", "Club 1"]
    # `pageLimit` is the alias of `limit` the typed call never sends.
    rest = await customer_client.call(
        Operation.LIST, parameters={"offset": 2, "pageLimit": 2, "sort": "name"}
    )
    assert rest.status == 200
    assert [c["id"] for c in rest.body] == [ids[2]]
    empty = await customer_client.list(offset=10)
    assert empty.items == []
    assert empty.result_count == 0


async def test_list_filters_by_equality_and_selects_fields(
    customer_client: CustomerClient,
) -> None:
    await create(customer_client, name="Moon")
    sun = await create(customer_client, name="Sun")
    page = await customer_client.list({"name": "Sun"}, fields="name")
    assert page.items == [
        {"id": sun["id"], "href": sun["href"], "@type": "Customer", "name": "Sun"}
    ]


async def test_list_unknown_filter_attribute_is_400(customer_client: CustomerClient) -> None:
    with pytest.raises(BadRequest) as raised:
        await customer_client.list({"nosuch": "x"})
    assert raised.value.status == 400
    assert "nosuch" in raised.value.message


async def test_merge_patch_from_the_seed(customer_client: CustomerClient) -> None:
    created = await create(customer_client)
    patched = await customer_client.patch(created["id"], MERGE_PATCH)
    assert patched == {**created, "name": "Sun Football Club", "engagedParty": NEW_ENGAGED_PARTY}
    assert await customer_client.retrieve(created["id"]) == patched


async def test_json_patch_from_the_seed(customer_client: CustomerClient) -> None:
    created = await create(customer_client)
    patched = await customer_client.patch(created["id"], JSON_PATCH)
    assert patched == {**created, "name": "Sun Football Club", "engagedParty": NEW_ENGAGED_PARTY}


async def test_patch_without_content_type_goes_by_the_payload_shape(
    customer_client: CustomerClient,
) -> None:
    """No Content-Type header: an object is a merge patch, an array a JSON Patch."""
    created = await create(customer_client)
    target = {"id": created["id"]}
    merged = await customer_client.call(Operation.PATCH, payload=MERGE_PATCH, parameters=target)
    assert merged.status == 200
    assert merged.body == {
        **created,
        "name": "Sun Football Club",
        "engagedParty": NEW_ENGAGED_PARTY,
    }
    with pytest.raises(Conflict):
        await customer_client.call(
            Operation.PATCH,
            payload=[{"op": "test", "path": "/name", "value": "Moon Football Club"}],
            parameters=target,
        )


async def test_patch_unknown_id_is_404_and_bad_content_type_415(
    customer_client: CustomerClient,
) -> None:
    with pytest.raises(NotFound) as missing:
        await customer_client.patch("nope", {"name": "x"})
    assert missing.value.status == 404
    created = await create(customer_client)
    with pytest.raises(UnsupportedMediaType) as unsupported:
        await customer_client.patch(created["id"], {"name": "x"}, content_type="text/plain")
    assert unsupported.value.status == 415


async def test_patch_of_non_patchable_attribute_is_400(customer_client: CustomerClient) -> None:
    created = await create(customer_client)
    with pytest.raises(BadRequest) as raised:
        await customer_client.patch(created["id"], {"id": "other"})
    assert raised.value.status == 400
    assert "id" in raised.value.message
    same = await customer_client.patch(created["id"], {"id": created["id"], "name": "Same Id"})
    assert same["name"] == "Same Id"


async def test_failed_json_patch_test_is_409(customer_client: CustomerClient) -> None:
    created = await create(customer_client)
    with pytest.raises(Conflict) as raised:
        await customer_client.patch(
            created["id"], [{"op": "test", "path": "/name", "value": "Someone Else"}]
        )
    assert raised.value.status == 409


async def test_delete_replies_204_then_404(
    customer_client: CustomerClient, client: ServiceClient
) -> None:
    created = await create(customer_client)
    correlation_id = str(uuid.uuid4())
    # No record key: the reply's key is the service's doing.
    reply = await customer_client.call(
        Operation.DELETE, parameters={"id": created["id"]}, correlation_id=correlation_id
    )
    assert reply.status == 204
    assert reply.body is None
    assert "Content-Type" not in reply.headers
    assert reply.key == created["id"]
    # A null value rather than an empty one shows on the record only (`client` watches it).
    assert (await client.reply(correlation_id)).value is None
    with pytest.raises(NotFound):
        await customer_client.retrieve(created["id"])
    with pytest.raises(NotFound) as again:
        await customer_client.delete(created["id"])
    assert again.value.status == 404


async def test_regex_the_store_cannot_run_is_400(customer_client: CustomerClient) -> None:
    """A lookahead is valid Python `re` but not every store's dialect: 400, never 500."""
    refused: BadRequest | None = None
    try:
        await customer_client.list({"name.regex": "(?=M)Moon"})
    except BadRequest as exc:
        refused = exc
    if refused is not None:
        assert "regular expression" in refused.message
