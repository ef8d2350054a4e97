"""The generated data is what the service really stores: schema-valid, with the schema's types."""

from __future__ import annotations

from typing import Any

from hypothesis import given

from customer_async.schemas import attribute_types, validate
from tests.query.strategies import CUSTOMER_TYPES, customers


def test_customer_types_agree_with_the_customer_schema() -> None:
    schema_types = attribute_types()
    assert {path: schema_types.get(path) for path in CUSTOMER_TYPES} == dict(CUSTOMER_TYPES)


@given(customers())
def test_generated_customers_are_valid_customers(customer: dict[str, Any]) -> None:
    validate("Customer", customer)
