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

Through `CustomerClient.list` and `pages`, as a caller queries; `call` sends the parameters the
typed calls cannot carry (a JSON array `fields`, `pageLimit`, values that are objects or null),
which is exactly what the refusals are about.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Sequence
from typing import Any

import pytest

from customer_async.client import BadRequest, CustomerClient
from customer_async.types import Operation
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


async def create_all(client: CustomerClient, payloads: Sequence[Any]) -> list[dict[str, Any]]:
    """Creates a customer for each payload, all at once; the created customers in order."""
    return list(await asyncio.gather(*(client.create(payload) for payload in payloads)))


async def populate(client: CustomerClient) -> list[dict[str, Any]]:
    """Creates the customers of `POPULATION`."""
    return await create_all(client, POPULATION)


async def list_names(
    client: CustomerClient, filters: dict[str, Any], *, sort: str | None = None
) -> list[str]:
    """The names in the (successful) list reply to `filters`, in reply order."""
    page = await client.list(filters, sort=sort)
    assert page.result_count == len(page.items), filters
    return [customer["name"] for customer in page.items]


async def assert_selects(
    client: CustomerClient, expected: list[tuple[dict[str, Any], set[str]]]
) -> None:
    """Each filter selects exactly the named customers."""
    for filters, names in expected:
        found = await list_names(client, filters)
        assert set(found) == names, filters
        assert len(found) == len(names), filters


async def assert_bad_filter(
    client: CustomerClient, parameters: dict[str, Any], *named: str
) -> None:
    """The list request is refused with a 400 TMF error whose message names each of `named`."""
    with pytest.raises(BadRequest) as raised:
        await client.call(Operation.LIST, parameters=parameters)
    error = raised.value
    assert error.status == 400, parameters
    assert error.error["@type"] == "Error"
    assert error.code
    assert error.reason
    for text in named:
        assert text in error.message, (text, error.message)


async def test_eq_is_the_default_operator_and_is_case_sensitive(
    customer_client: CustomerClient,
) -> None:
    await populate(customer_client)
    await assert_selects(
        customer_client,
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


async def test_ne_excludes_every_customer_with_an_equal_value(
    customer_client: CustomerClient,
) -> None:
    """`ne` holds when no value reached equals: a missing attribute, or no array element."""
    await populate(customer_client)
    await assert_selects(
        customer_client,
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


async def test_ordering_operators_compare_numbers_numerically(
    customer_client: CustomerClient,
) -> None:
    await populate(customer_client)
    await assert_selects(
        customer_client,
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


async def test_ordering_operators_compare_strings(customer_client: CustomerClient) -> None:
    await populate(customer_client)
    await assert_selects(
        customer_client,
        [
            ({"name.gt": "Beta"}, {"Gamma", "alpha"}),
            ({"name.gte": "Beta"}, {"Beta", "Gamma", "alpha"}),
            ({"name.lt": "Beta"}, {"Alpha"}),
            ({"name.lte": "Beta"}, {"Alpha", "Beta"}),
            ({"contactMedium.city.lt": "M"}, {"Beta"}),
        ],
    )


async def test_date_times_compare_as_instants_whatever_their_offset(
    customer_client: CustomerClient,
) -> None:
    await populate(customer_client)
    await assert_selects(
        customer_client,
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
    assert await list_names(customer_client, {}, sort="validFor.startDateTime") == [
        "alpha",
        "Beta",
        "Alpha",
        "Gamma",
    ]
    descending = await list_names(customer_client, {}, sort="-validFor.startDateTime,name")
    assert descending == ["Gamma", "Alpha", "Beta", "alpha"]


async def test_regex_matches_anywhere_in_strings_and_into_arrays(
    customer_client: CustomerClient,
) -> None:
    await populate(customer_client)
    await assert_selects(
        customer_client,
        [
            ({"name.regex": "^[Aa]lpha$"}, {"Alpha", "alpha"}),
            ({"name.regex": "mm"}, {"Gamma"}),
            ({"contactMedium.city.regex": "York$"}, {"Gamma"}),
            ({"name.regex": "^B,^G"}, {"Beta", "Gamma"}),
            ({"status.regex": "^(Approved|Closed)$"}, {"Beta", "alpha"}),
        ],
    )


async def test_comma_or_json_array_means_or_and_separate_keys_mean_and(
    customer_client: CustomerClient,
) -> None:
    await populate(customer_client)
    await assert_selects(
        customer_client,
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


async def test_a_json_array_element_keeps_its_comma(customer_client: CustomerClient) -> None:
    await create_all(
        customer_client,
        [create_request(name="Smith, John"), create_request(name="Smith"), create_request()],
    )
    assert await list_names(customer_client, {"name": ["Smith, John"]}) == ["Smith, John"]
    assert await list_names(customer_client, {"name": "Smith, John"}) == ["Smith"]


async def test_values_are_coerced_to_the_attribute_type(customer_client: CustomerClient) -> None:
    await populate(customer_client)
    await assert_selects(
        customer_client,
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
        await assert_bad_filter(customer_client, parameters, named)


async def test_fields_selects_attributes_and_always_keeps_id_href_and_type(
    customer_client: CustomerClient,
) -> None:
    alpha, beta, *_ = await populate(customer_client)
    identity = {"id", "href", "@type"}

    listed = await customer_client.list(fields="name,status", sort="name")
    assert [set(customer) for customer in listed.items] == [identity | {"name", "status"}] * 4
    assert listed.items[0] == {
        "id": alpha["id"],
        "href": alpha["href"],
        "@type": "Customer",
        "name": "Alpha",
        "status": "Created",
    }

    # A JSON array works too (the typed call sends a comma list); a missing attribute is absent.
    validity = await customer_client.call(
        Operation.LIST, parameters={"fields": ["validFor"], "name": "Alpha,alpha"}
    )
    assert validity.status == 200
    assert sorted((set(customer) for customer in validity.body), key=len) == [
        identity,
        identity | {"validFor"},
    ]

    retrieved = await customer_client.retrieve(beta["id"], fields="id")
    assert retrieved == {"id": beta["id"], "href": beta["href"], "@type": "Customer"}

    created = await customer_client.create(create_request(name="Delta"), fields="name")
    assert set(created) == identity | {"name"}
    assert created["name"] == "Delta"

    patched = await customer_client.patch(
        created["id"],
        {"status": "Approved", "name": "Delta Two"},
        fields=["status", "creditProfile"],
    )
    assert patched == {
        "id": created["id"],
        "href": created["href"],
        "@type": "Customer",
        "status": "Approved",
    }
    # `fields` shapes the reply only: the whole change was stored.
    stored = await customer_client.retrieve(created["id"])
    assert stored["name"] == "Delta Two"
    assert stored["engagedParty"] == create_request()["engagedParty"]


async def test_bad_fields_parameter_is_400(customer_client: CustomerClient) -> None:
    for fields in ("name,", "contactMedium.city", "_id", "$where", {"name": 1}):
        with pytest.raises(BadRequest) as raised:
            await customer_client.call(Operation.LIST, parameters={"fields": fields})
        assert raised.value.status == 400, fields
        assert "fields" in raised.value.message


async def test_unknown_attribute_or_operator_is_400_naming_it(
    customer_client: CustomerClient,
) -> None:
    await populate(customer_client)
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
        await assert_bad_filter(customer_client, parameters, named)


async def test_injection_attempts_are_400_and_never_reach_the_store(
    customer_client: CustomerClient,
) -> None:
    await populate(customer_client)
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
        await assert_bad_filter(customer_client, parameters, named)


async def test_page_size_beyond_the_maximum_and_bad_paging_are_400(
    customer_client: CustomerClient,
) -> None:
    await populate(customer_client)
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
        with pytest.raises(BadRequest) as raised:
            await customer_client.call(Operation.LIST, parameters=parameters)
        assert raised.value.status == 400, parameters
        assert raised.value.reason
    largest = await customer_client.list(limit=MAX_LIMIT)
    assert len(largest.items) == 4


PAGED_CUSTOMERS = 250
PAGE = 40


async def walk(client: CustomerClient, sort: str | None) -> list[dict[str, Any]]:
    """Every page of a list sorted by `sort`, as `pages` fetches them from offset 0 on."""
    walked: list[dict[str, Any]] = []
    async for page in client.pages(fields="name", sort=sort, limit=PAGE):
        assert page.offset == len(walked)
        if page.total_exact:
            assert page.total_count == PAGED_CUSTOMERS
        else:  # counted up to the bound only: a lower bound, past this page
            assert page.total_count is not None
            assert page.next_offset < page.total_count <= PAGED_CUSTOMERS
        assert page.result_count == len(page.items)
        assert len(page.items) == min(PAGE, PAGED_CUSTOMERS - page.offset)
        walked += page.items
    return walked


async def test_paging_returns_every_customer_exactly_once_in_each_sort(
    customer_client: CustomerClient,
) -> None:
    """250 customers sharing 7 names: only a unique tiebreak makes the pages stable."""
    created = await create_all(
        customer_client,
        [{"name": f"Club {n % 7}", "engagedParty": party("500")} for n in range(PAGED_CUSTOMERS)],
    )
    every_id = sorted(customer["id"] for customer in created)
    assert len(set(every_id)) == PAGED_CUSTOMERS
    for sort in (None, "name", "-name"):
        walked = await walk(customer_client, sort)
        counts = Counter(customer["id"] for customer in walked)
        assert [id_ for id_, count in counts.items() if count > 1] == [], sort
        assert sorted(counts) == every_id, sort
        names = [customer["name"] for customer in walked]
        if sort == "name":
            assert names == sorted(names)
        elif sort == "-name":
            assert names == sorted(names, reverse=True)
