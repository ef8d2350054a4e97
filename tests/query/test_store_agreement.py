"""The real store agrees with the reference: filters, sort and paging on generated customers.

Customers are stored exactly as a create stores them (`CustomerStore.insert`, with its shadow
and indexes) and queried exactly as a list queries them (`parse_list_query`, then
`CustomerStore.find`), on the MongoDB-protocol server under test. What comes back is compared
with `tests.query.reference`, which reads the filter language straight off the contract.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from pymongo import AsyncMongoClient
from pymongo.asynchronous.collection import AsyncCollection

from customer_async.protocol.record import new_record
from customer_async.query import parse_list_query
from customer_async.query.shadow import customer_shadow
from customer_async.schemas import attribute_types, validate
from customer_async.settings import Settings
from customer_async.store import CustomerStore
from customer_async.types import Document, Operation, Reply, ReplyAddress
from tests.query import reference
from tests.query.strategies import CUSTOMER_TYPES, customers, filter_params

pytestmark = pytest.mark.e2e

Collection = AsyncCollection[dict[str, Any]]

# Each example stores its own customers; the fixtures (one store, one database per test) are
# meant to outlive the examples, and the collection is emptied at the start of every example.
STORE_EXAMPLES = hypothesis_settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

SCALAR_SORT_PATHS = (
    "id",
    "name",
    "status",
    "engagedParty.id",
    "validFor.startDateTime",
    "validFor.endDateTime",
)
"""Sortable paths that hold at most one value per customer, so their order is easy to model."""

ARRAY_SORT_PATHS = ("contactMedium.city", "creditProfile.creditScore")
"""Sortable paths that reach into arrays: only exactly-once paging is checked on them."""


@pytest.fixture
async def store(
    settings: Settings, mongo: AsyncMongoClient[dict[str, Any]]
) -> AsyncIterator[CustomerStore]:
    """The service's store on this test's own database, with the service's indexes."""
    customer_store = CustomerStore.from_settings(settings)
    await customer_store.ensure_indexes()
    try:
        yield customer_store
    finally:
        await customer_store.close()
        await mongo.drop_database(settings.mongodb_database)


@pytest.fixture
def collection(settings: Settings, mongo: AsyncMongoClient[dict[str, Any]]) -> Collection:
    """The store's customer collection, to empty it between examples."""
    return mongo[settings.mongodb_database]["customer"]


def customer_with_media(customer_id: str, *preferred: bool) -> dict[str, Any]:
    """A minimal valid customer whose email contact media have the given `preferred` flags."""
    return {
        "id": customer_id,
        "href": f"http://localhost:8080/tmf-api/customerManagement/v5/customer/{customer_id}",
        "@type": "Customer",
        "name": customer_id,
        "engagedParty": {"id": "p1"},
        "contactMedium": [
            {"@type": "EmailContactMedium", "preferred": flag, "emailAddress": "a@example.com"}
            for flag in preferred
        ],
    }


MIXED_MEDIA = [
    customer_with_media("both", False, True),
    customer_with_media("true", True),
    customer_with_media("false", False),
    customer_with_media("none"),
]
"""Customers whose `contactMedium.preferred` values are: both, only true, only false, none."""


def customer_sets() -> st.SearchStrategy[list[dict[str, Any]]]:
    """Up to 25 customers with distinct ids."""
    return st.lists(customers(), max_size=25, unique_by=lambda customer: str(customer["id"]))


async def store_customers(
    store: CustomerStore,
    collection: Collection,
    customer_set: Sequence[Document],
    settings: Settings,
) -> None:
    """Empties the collection, then stores every customer the way a create does."""
    await collection.delete_many({})
    types = attribute_types()
    for customer in customer_set:
        validate("Customer", customer)
        correlation_id = str(uuid.uuid4())
        record = new_record(
            str(customer["id"]),
            customer,
            request_key=f"{settings.request_topic(Operation.CREATE)}|{correlation_id}",
            reply=Reply(201, customer, key=customer["id"]),
            address=ReplyAddress(
                settings.reply_topic(Operation.CREATE),
                correlation_id,
                settings.request_topic(Operation.CREATE),
            ),
            events=(),
        )
        assert await store.insert(record, customer_shadow(customer, types))


async def listed_ids(
    store: CustomerStore, params: Mapping[str, Any], settings: Settings
) -> tuple[list[str], int]:
    """The ids a list with `params` returns, and the total it reports."""
    query = parse_list_query(params, attribute_types(), settings)
    page = await store.find(query.filter, query.sort, query.offset, query.limit, query.projection)
    return [str(item["id"]) for item in page.items], page.total


async def test_ne_through_an_array_excludes_customers_with_any_equal_element(
    store: CustomerStore, collection: Collection, settings: Settings
) -> None:
    """`ne` holds when no reached value equals, as `eq` holds when any does (MongoDB's rule)."""
    await store_customers(store, collection, MIXED_MEDIA, settings)
    equal, _ = await listed_ids(store, {"contactMedium.preferred": True}, settings)
    not_equal, _ = await listed_ids(store, {"contactMedium.preferred.ne": True}, settings)
    not_in, _ = await listed_ids(store, {"contactMedium.preferred.ne": "true,false"}, settings)
    assert sorted(equal) == ["both", "true"]
    assert sorted(not_equal) == ["false", "none"]
    assert not_in == ["none"]


@STORE_EXAMPLES
@given(customer_sets(), st.lists(filter_params(), min_size=1, max_size=8))
@example(MIXED_MEDIA, [{"contactMedium.preferred.ne": True}])
async def test_store_returns_exactly_the_customers_the_reference_matches(
    store: CustomerStore,
    collection: Collection,
    settings: Settings,
    customer_set: list[dict[str, Any]],
    filters: list[dict[str, Any]],
) -> None:
    """Every filter selects, on the real store, exactly the customers the reference matches."""
    await store_customers(store, collection, customer_set, settings)
    for params in filters:
        expected = {
            customer["id"]
            for customer in customer_set
            if reference.matches(customer, params, CUSTOMER_TYPES)
        }
        ids, total = await listed_ids(store, {**params, "limit": 1000}, settings)
        assert set(ids) == expected, params
        assert len(ids) == len(expected) == total, params


@st.composite
def sorts(draw: st.DrawFn) -> list[str]:
    """One to three distinct sort paths, each ascending (maybe with `+`) or descending."""
    paths = draw(
        st.lists(
            st.sampled_from(SCALAR_SORT_PATHS + ARRAY_SORT_PATHS),
            min_size=1,
            max_size=3,
            unique=True,
        )
    )
    return [draw(st.sampled_from(("", "+", "-"))) + path for path in paths]


def sort_value(customer: Mapping[str, Any], path: str) -> tuple[int, Any]:
    """How a scalar path sorts: missing first (MongoDB's null), then by value, dates by instant."""
    reached = list(reference.reach(customer, path.split(".")))
    if not reached:
        return (0, "")
    (value,) = reached
    if CUSTOMER_TYPES[path] == "date-time":
        return (1, reference.instant(value))
    return (1, value)


def expected_order(customer_set: Sequence[Document], sort: Sequence[str]) -> list[str]:
    """The ids in the order the sort names, with the unique `id` tiebreak last."""
    ordered = sorted(customer_set, key=lambda customer: str(customer["id"]))
    for item in reversed(sort):
        path = item.lstrip("+-")
        ordered.sort(key=lambda customer: sort_value(customer, path), reverse=item[0] == "-")
    return [str(customer["id"]) for customer in ordered]


@STORE_EXAMPLES
@given(customer_sets(), st.data())
async def test_pages_walked_in_any_sort_return_every_match_exactly_once(
    store: CustomerStore,
    collection: Collection,
    settings: Settings,
    customer_set: list[dict[str, Any]],
    data: st.DataObject,
) -> None:
    """Pages of any size in any sort add up to the unpaged list, which is in the sort's order."""
    filters = data.draw(st.one_of(st.just({}), filter_params()), label="filters")
    sort = data.draw(sorts(), label="sort")
    page_size = data.draw(st.integers(min_value=1, max_value=7), label="page size")
    await store_customers(store, collection, customer_set, settings)
    sort_parameter = ",".join(sort)
    everything, total = await listed_ids(
        store, {**filters, "sort": sort_parameter, "limit": 1000}, settings
    )
    assert len(set(everything)) == len(everything) == total
    walked: list[str] = []
    offset = 0
    while True:
        params = {**filters, "sort": sort_parameter, "offset": offset, "limit": page_size}
        ids, page_total = await listed_ids(store, params, settings)
        assert page_total == total
        assert len(ids) == min(page_size, total - offset)
        walked += ids
        offset += page_size
        if offset >= total:
            break
    # The pages, one after the other, are the whole list: every match once, in one order.
    assert walked == everything
    if all(item.lstrip("+-") in SCALAR_SORT_PATHS for item in sort):
        listed = [customer for customer in customer_set if customer["id"] in set(everything)]
        assert walked == expected_order(listed, sort)
