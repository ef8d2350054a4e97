"""Listing over real Kafka and the real store: filters, `fields`, errors, sort and paging.

Most tests share one small population (`POPULATION`) whose customers are told apart by name;
each filter's expected result is read off the table below.

| name  | status    | score    | validFor.startDateTime          | cities (preferred)      | party |
|-------|-----------|----------|---------------------------------|-------------------------|-------|
| Alpha | Created   | 300      | 2024-01-01T00:00Z               | Paris (true)            | 500   |
| Beta  | Approved  | 700      | 2023-12-31T23:00Z, sent +03:00  | Lyon (false)            | 501   |
| Gamma | Validated | 850, 100 | 2024-01-01T01:00Z, sent -05:00  | Paris (false), New York | 502   |
| alpha | Closed    | —        | —                               | —                       | 500   |

Related party (`relatedParty.partyOrPartyRole.id`): Alpha 2777, Beta 2778, the others none.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from customer_async.settings import Settings
from customer_async.types import Operation
from tests.e2e.conftest import StartService
from tests.support.batches import create_all
from tests.support.client import Received, ServiceClient
from tests.support.examples import NEW_ENGAGED_PARTY, create_request

pytestmark = pytest.mark.e2e

MAX_LIMIT = 1000
"""The default maximum page size (Settings.max_limit)."""


def party(party_id: str) -> dict[str, Any]:
    return {**NEW_ENGAGED_PARTY, "id": party_id}


def address(city: str, **extra: Any) -> dict[str, Any]:
    return {"@type": "GeographicAddressContactMedium", "city": city, **extra}


def related(party_id: str) -> list[dict[str, Any]]:
    return [{"role": "bill receiver", "partyOrPartyRole": {"@type": "PartyRef", "id": party_id}}]


POPULATION: list[dict[str, Any]] = [
    {
        "name": "Alpha",
        "engagedParty": party("500"),
        "creditProfile": [{"creditScore": 300}],
        "validFor": {"startDateTime": "2024-01-01T00:00:00Z"},
        "contactMedium": [address("Paris", preferred=True)],
        "relatedParty": related("2777"),
    },
    {
        "name": "Beta",
        "status": "Approved",
        "engagedParty": party("501"),
        "creditProfile": [{"creditScore": 700}],
        # Later than Alpha's as text, earlier as an instant.
        "validFor": {"startDateTime": "2024-01-01T02:00:00+03:00"},
        "contactMedium": [address("Lyon", preferred=False)],
        "relatedParty": related("2778"),
    },
    {
        "name": "Gamma",
        "status": "Validated",
        "engagedParty": party("502"),
        "creditProfile": [{"creditScore": 850}, {"creditScore": 100}],
        # Earlier than Alpha's as text, later as an instant.
        "validFor": {"startDateTime": "2023-12-31T20:00:00.000-05:00"},
        "contactMedium": [address("Paris", preferred=False), address("New York")],
    },
    {"name": "alpha", "status": "Closed", "engagedParty": party("500")},
]


async def populate(client: ServiceClient) -> list[dict[str, Any]]:
    """Creates the customers of `POPULATION`."""
    return await create_all(client, POPULATION)


async def list_names(client: ServiceClient, parameters: dict[str, Any]) -> list[str]:
    """The names in the (successful) list reply to `parameters`, in reply order."""
    reply = await client.call(Operation.LIST, parameters=parameters)
    assert reply.status == 200, (parameters, reply.body)
    assert reply.headers["X-Result-Count"] == str(len(reply.body))
    return [customer["name"] for customer in reply.body]


async def assert_selects(
    client: ServiceClient, expected: list[tuple[dict[str, Any], set[str]]]
) -> None:
    """Each filter (list parameters) selects exactly the named customers."""
    for parameters, names in expected:
        found = await list_names(client, parameters)
        assert set(found) == names, parameters
        assert len(found) == len(names), parameters


def assert_bad_filter(reply: Received, *named: str) -> None:
    """A 400 TMF error whose message names each of `named`."""
    assert reply.status == 400, reply.body
    assert reply.body["@type"] == "Error"
    assert reply.body["code"]
    assert reply.body["reason"]
    for text in named:
        assert text in reply.body["message"], (text, reply.body["message"])


async def test_eq_is_the_default_operator_and_is_case_sensitive(client: ServiceClient) -> None:
    await populate(client)
    await assert_selects(
        client,
        [
            ({"name": "Alpha"}, {"Alpha"}),
            ({"name.eq": "Alpha"}, {"Alpha"}),
            ({"name": "alpha"}, {"alpha"}),
            ({"name": "ALPHA"}, set()),
            ({"status": "Created"}, {"Alpha"}),
            ({"engagedParty.id": "500"}, {"Alpha", "alpha"}),
            ({"relatedParty.partyOrPartyRole.id": "2778"}, {"Beta"}),
            ({"contactMedium.city": "Paris"}, {"Alpha", "Gamma"}),
            ({"contactMedium.city": "New York"}, {"Gamma"}),
        ],
    )


async def test_ne_excludes_every_customer_with_an_equal_value(client: ServiceClient) -> None:
    """`ne` holds when no value reached equals: a missing attribute, or no array element."""
    await populate(client)
    await assert_selects(
        client,
        [
            ({"status.ne": "Created"}, {"Beta", "Gamma", "alpha"}),
            ({"engagedParty.id.ne": "500"}, {"Beta", "Gamma"}),
            ({"relatedParty.partyOrPartyRole.id.ne": "2777"}, {"Beta", "Gamma", "alpha"}),
            # Gamma has one medium in Paris and one elsewhere: it has a city equal to Paris.
            ({"contactMedium.city.ne": "Paris"}, {"Beta", "alpha"}),
            ({"contactMedium.city.ne": "Paris,Lyon"}, {"alpha"}),
            ({"creditProfile.creditScore.ne": 100}, {"Alpha", "Beta", "alpha"}),
            ({"contactMedium.preferred.ne": False}, {"Alpha", "alpha"}),
        ],
    )


async def test_ordering_operators_compare_numbers_numerically(client: ServiceClient) -> None:
    await populate(client)
    await assert_selects(
        client,
        [
            ({"creditProfile.creditScore.gt": "700"}, {"Gamma"}),
            ({"creditProfile.creditScore.gte": "700"}, {"Beta", "Gamma"}),
            ({"creditProfile.creditScore.lt": 300}, {"Gamma"}),
            ({"creditProfile.creditScore.lte": 300}, {"Alpha", "Gamma"}),
            # As text "85" > "700"; as numbers 85 < 300.
            ({"creditProfile.creditScore.lte": "85"}, set()),
            ({"creditProfile.creditScore.gte": 700.0}, {"Beta", "Gamma"}),
            ({"creditProfile.creditScore": "0850"}, {"Gamma"}),
        ],
    )


async def test_ordering_operators_compare_strings(client: ServiceClient) -> None:
    await populate(client)
    await assert_selects(
        client,
        [
            ({"name.gt": "Beta"}, {"Gamma", "alpha"}),
            ({"name.gte": "Beta"}, {"Beta", "Gamma", "alpha"}),
            ({"name.lt": "Beta"}, {"Alpha"}),
            ({"name.lte": "Beta"}, {"Alpha", "Beta"}),
            ({"contactMedium.city.lt": "M"}, {"Beta"}),
        ],
    )


async def test_date_times_compare_as_instants_whatever_their_offset(
    client: ServiceClient,
) -> None:
    await populate(client)
    await assert_selects(
        client,
        [
            ({"validFor.startDateTime.gt": "2024-01-01T00:00:00Z"}, {"Gamma"}),
            ({"validFor.startDateTime.gte": "2024-01-01T01:00:00+01:00"}, {"Alpha", "Gamma"}),
            ({"validFor.startDateTime.lt": "2024-01-01"}, {"Beta"}),
            ({"validFor.startDateTime.lte": "2023-12-31T18:00:00-05:00"}, {"Beta"}),
            ({"validFor.startDateTime": "2023-12-31T19:00:00.000-05:00"}, {"Alpha"}),
            ({"validFor.startDateTime.eq": "2024-01-01T01:00Z"}, {"Gamma"}),
            ({"validFor.startDateTime.ne": "2024-01-01T00:00:00Z"}, {"Beta", "Gamma", "alpha"}),
        ],
    )
    # Chronological too when sorting; a customer without the attribute sorts first.
    assert await list_names(client, {"sort": "validFor.startDateTime"}) == [
        "alpha",
        "Beta",
        "Alpha",
        "Gamma",
    ]
    descending = await list_names(client, {"sort": "-validFor.startDateTime,name"})
    assert descending == ["Gamma", "Alpha", "Beta", "alpha"]


async def test_regex_matches_anywhere_in_strings_and_into_arrays(client: ServiceClient) -> None:
    await populate(client)
    await assert_selects(
        client,
        [
            ({"name.regex": "^[Aa]lpha$"}, {"Alpha", "alpha"}),
            ({"name.regex": "mm"}, {"Gamma"}),
            ({"contactMedium.city.regex": "York$"}, {"Gamma"}),
            ({"name.regex": "^B,^G"}, {"Beta", "Gamma"}),
            ({"status.regex": "^(Approved|Closed)$"}, {"Beta", "alpha"}),
        ],
    )


async def test_comma_or_json_array_means_or_and_separate_keys_mean_and(
    client: ServiceClient,
) -> None:
    await populate(client)
    await assert_selects(
        client,
        [
            ({"status": "Approved,Closed"}, {"Beta", "alpha"}),
            ({"name": ["Alpha", "Gamma"]}, {"Alpha", "Gamma"}),
            ({"engagedParty.id": [501, "502"]}, {"Beta", "Gamma"}),
            ({"creditProfile.creditScore.gt": "800,600"}, {"Beta", "Gamma"}),
            ({"contactMedium.city": "Paris", "creditProfile.creditScore.gt": 500}, {"Gamma"}),
            ({"engagedParty.id": "500", "status": "Closed"}, {"alpha"}),
            ({"engagedParty.id": "500", "status.ne": "Closed"}, {"Alpha"}),
            ({"name": "Alpha,Beta", "status": "Approved,Validated"}, {"Beta"}),
        ],
    )


async def test_a_json_array_element_keeps_its_comma(client: ServiceClient) -> None:
    await create_all(
        client,
        [create_request(name="Smith, John"), create_request(name="Smith"), create_request()],
    )
    assert await list_names(client, {"name": ["Smith, John"]}) == ["Smith, John"]
    assert await list_names(client, {"name": "Smith, John"}) == ["Smith"]


async def test_values_are_coerced_to_the_attribute_type(client: ServiceClient) -> None:
    await populate(client)
    await assert_selects(
        client,
        [
            ({"contactMedium.preferred": True}, {"Alpha"}),
            ({"contactMedium.preferred": "true"}, {"Alpha"}),
            ({"contactMedium.preferred": "false"}, {"Beta", "Gamma"}),
            ({"engagedParty.id": 500}, {"Alpha", "alpha"}),
            ({"creditProfile.creditScore": 850}, {"Gamma"}),
            ({"creditProfile.creditScore": "850"}, {"Gamma"}),
        ],
    )
    for parameters, named in (
        ({"contactMedium.preferred": "yes"}, "contactMedium.preferred"),
        ({"contactMedium.preferred": 1}, "contactMedium.preferred"),
        ({"creditProfile.creditScore": "high"}, "creditProfile.creditScore"),
        ({"creditProfile.creditScore": 1.5}, "creditProfile.creditScore"),
        ({"validFor.startDateTime.gt": "yesterday"}, "validFor.startDateTime.gt"),
        ({"validFor.startDateTime": 20240101}, "validFor.startDateTime"),
        ({"contactMedium.preferred.gt": "true"}, "contactMedium.preferred.gt"),
        ({"creditProfile.creditScore.regex": "^8"}, "creditProfile.creditScore.regex"),
    ):
        assert_bad_filter(await client.call(Operation.LIST, parameters=parameters), named)


async def test_fields_selects_attributes_and_always_keeps_id_href_and_type(
    client: ServiceClient,
) -> None:
    alpha, beta, *_ = await populate(client)
    identity = {"id", "href", "@type"}

    listed = await client.call(Operation.LIST, parameters={"fields": "name,status", "sort": "name"})
    assert listed.status == 200
    assert [set(customer) for customer in listed.body] == [identity | {"name", "status"}] * 4
    assert listed.body[0] == {
        "id": alpha["id"],
        "href": alpha["href"],
        "@type": "Customer",
        "name": "Alpha",
        "status": "Created",
    }

    # A JSON array works too; an attribute a customer lacks is simply absent.
    validity = await client.call(
        Operation.LIST, parameters={"fields": ["validFor"], "name": "Alpha,alpha"}
    )
    assert validity.status == 200
    assert sorted((set(customer) for customer in validity.body), key=len) == [
        identity,
        identity | {"validFor"},
    ]

    retrieved = await client.call(Operation.RETRIEVE, parameters={"id": beta["id"], "fields": "id"})
    assert retrieved.body == {"id": beta["id"], "href": beta["href"], "@type": "Customer"}

    created = await client.call(
        Operation.CREATE, create_request(name="Delta"), parameters={"fields": "name"}
    )
    assert created.status == 201
    assert set(created.body) == identity | {"name"}
    assert created.body["name"] == "Delta"

    patched = await client.call(
        Operation.PATCH,
        {"status": "Approved", "name": "Delta Two"},
        parameters={"id": created.body["id"], "fields": "status,creditProfile"},
    )
    assert patched.status == 200
    assert patched.body == {
        "id": created.body["id"],
        "href": created.body["href"],
        "@type": "Customer",
        "status": "Approved",
    }
    # `fields` shapes the reply only: the whole change was stored.
    stored = await client.call(Operation.RETRIEVE, parameters={"id": created.body["id"]})
    assert stored.body["name"] == "Delta Two"
    assert stored.body["engagedParty"] == create_request()["engagedParty"]


async def test_bad_fields_parameter_is_400(client: ServiceClient) -> None:
    for fields in ("name,", "contactMedium.city", "_id", "$where", {"name": 1}):
        reply = await client.call(Operation.LIST, parameters={"fields": fields})
        assert reply.status == 400, (fields, reply.body)
        assert "fields" in reply.body["message"]


async def test_unknown_attribute_or_operator_is_400_naming_it(client: ServiceClient) -> None:
    await populate(client)
    for parameters, named in (
        ({"nosuch": "x"}, "nosuch"),
        ({"contactMedium.town": "Paris"}, "contactMedium.town"),
        ({"name.like": "Alpha"}, "like"),
        ({"creditProfile.creditScore.between": "1,2"}, "between"),
        ({"validFor.startDateTime.after": "2024-01-01"}, "after"),
        ({"contactMedium": "Paris"}, "contactMedium"),
        ({"engagedParty": "500"}, "engagedParty"),
        ({"name": "Alpha", "nosuch.gt": "1"}, "nosuch"),
    ):
        assert_bad_filter(await client.call(Operation.LIST, parameters=parameters), named)


async def test_injection_attempts_are_400_and_never_reach_the_store(
    client: ServiceClient,
) -> None:
    await populate(client)
    for parameters, named in (
        ({"name": {"$ne": None}}, "name"),
        ({"name": {"$regex": ".*"}}, "name"),
        ({"name": [{"$gt": ""}]}, "name"),
        ({"name": None}, "name"),
        ({"$where": "true"}, "$where"),
        ({"$or": [{"name": "Alpha"}]}, "$or"),
        ({"name.$gt": ""}, "name.$gt"),
        ({"contactMedium.$elemMatch": "x"}, "contactMedium.$elemMatch"),
        ({"_id": "x"}, "_id"),
        ({"_dt.validFor.startDateTime.gt": "2000-01-01"}, "_dt"),
        ({"_deleted": "true"}, "_deleted"),
        ({"name.regex": "(unclosed"}, "name.regex"),
        ({"name.regex": "a" * 257}, "name.regex"),
    ):
        assert_bad_filter(await client.call(Operation.LIST, parameters=parameters), named)


async def test_page_size_beyond_the_maximum_and_bad_paging_are_400(client: ServiceClient) -> None:
    await populate(client)
    for parameters in (
        {"limit": MAX_LIMIT + 1},
        {"pageLimit": str(MAX_LIMIT + 1)},
        {"limit": 0},
        {"limit": -5},
        {"limit": "ten"},
        {"offset": -1},
        {"offset": "1.5"},
        {"limit": 10, "pageLimit": 20},
        {"sort": "nosuch"},
        {"sort": "contactMedium"},
        {"sort": "_id"},
        {"sort": "name,-name"},
    ):
        reply = await client.call(Operation.LIST, parameters=parameters)
        assert reply.status == 400, (parameters, reply.body)
        assert reply.body["reason"]
    largest = await client.call(Operation.LIST, parameters={"limit": MAX_LIMIT})
    assert largest.status == 200
    assert len(largest.body) == 4


PAGED_CUSTOMERS = 250
PAGE = 40


async def walk(client: ServiceClient, sort: str | None) -> list[dict[str, Any]]:
    """Every page of a list sorted by `sort`, from offset 0 until a page comes back short."""
    walked: list[dict[str, Any]] = []
    offset = 0
    while True:
        parameters: dict[str, Any] = {"offset": offset, "pageLimit": PAGE, "fields": "name"}
        if sort is not None:
            parameters["sort"] = sort
        reply = await client.call(Operation.LIST, parameters=parameters)
        assert reply.status == 200, reply.body
        assert reply.headers["X-Total-Count"] == str(PAGED_CUSTOMERS)
        assert reply.headers["X-Result-Count"] == str(len(reply.body))
        assert len(reply.body) == min(PAGE, PAGED_CUSTOMERS - offset)
        walked += reply.body
        offset += PAGE
        if len(reply.body) < PAGE:
            return walked


async def test_paging_returns_every_customer_exactly_once_in_each_sort(
    start_service: StartService, settings: Settings
) -> None:
    """250 customers sharing 7 names: only a unique tiebreak makes the pages stable."""
    await start_service()
    client = ServiceClient(settings)
    await client.start()
    try:
        created = await create_all(
            client,
            [
                {"name": f"Club {n % 7}", "engagedParty": party("500")}
                for n in range(PAGED_CUSTOMERS)
            ],
        )
        every_id = sorted(customer["id"] for customer in created)
        assert len(set(every_id)) == PAGED_CUSTOMERS
        for sort in (None, "name", "-name"):
            walked = await walk(client, sort)
            counts = Counter(customer["id"] for customer in walked)
            assert [id_ for id_, count in counts.items() if count > 1] == [], sort
            assert sorted(counts) == every_id, sort
            names = [customer["name"] for customer in walked]
            if sort == "name":
                assert names == sorted(names)
            elif sort == "-name":
                assert names == sorted(names, reverse=True)
    finally:
        await client.stop()
